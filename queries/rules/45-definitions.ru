# title: Definitions
# derives: One skos:definition per concept that has a schema:description: the one on
#   the concept's own page if there is one, else the alphabetically first elsewhere, else
#   the first of its numbered pages (continuation pattern), with its HTML tags and the
#   settings' definition boilerplate ("⎊ Definition", "Meaning ⎊") cut from it.
# runs: corpus
# why: The description is what a glossary says a term means, but sites decorate it. The
#   concept layer holds the clean text; the raw description stays in the page graph.
# after: 35-facets

PREFIX schema: <http://schema.org/>
PREFIX kg:     <urn:kg:vocab:>
PREFIX kgg:    <urn:kg:graph:>
PREFIX prov:   <http://www.w3.org/ns/prov#>
PREFIX skos:   <http://www.w3.org/2004/02/skos/core#>

CONSTRUCT { ?concept skos:definition ?definition }
WHERE {
  {
    SELECT ?concept (MIN(CONCAT(STR(?rank), STR(?text))) AS ?best)
    WHERE {
      GRAPH kgg:concepts { ?concept kg:kind ?kind }
      GRAPH kgg:provenance { ?page a prov:Entity }
      GRAPH ?page { ?concept schema:description ?text }
      BIND(IF(?page = ?concept, 1, 2) AS ?rank)
    }
    GROUP BY ?concept
  }
  OPTIONAL { GRAPH kgg:link-scratch { kg:settings kg:definitionBoilerplate ?definitionBoilerplate } }
  # Tags become spaces and the spaces that leaves are closed up (some sites write HTML
  # into descriptions), then the boilerplate goes.
  BIND(REPLACE(REPLACE(REPLACE(SUBSTR(?best, 2), "</?[a-zA-Z][^<>]*>", " "), " {2,}", " "), "^ +| +$", "") AS ?raw)
  BIND(COALESCE(REPLACE(?raw, ?definitionBoilerplate, ""), ?raw) AS ?definition)
  FILTER(STRLEN(?definition) > 0)
}

# A concept still without a definition takes the first description of its numbered pages
# (the settings' continuation pattern), as 40-labels does for labels.
CONSTRUCT { ?concept skos:definition ?definition }
WHERE {
  {
    SELECT ?concept (MIN(STR(?text)) AS ?first)
    WHERE {
      GRAPH kgg:link-scratch { kg:settings kg:continuationPattern ?continuationPattern }
      GRAPH kgg:provenance { ?page a prov:Entity }
      FILTER(REGEX(STR(?page), ?continuationPattern))
      GRAPH ?page { ?page schema:description ?text }
      BIND(IRI(REPLACE(STR(?page), ?continuationPattern, "$1")) AS ?concept)
      GRAPH kgg:concepts { ?concept kg:kind ?kind }
      MINUS { GRAPH kgg:concepts { ?concept skos:definition ?known } }
    }
    GROUP BY ?concept
  }
  OPTIONAL { GRAPH kgg:link-scratch { kg:settings kg:definitionBoilerplate ?definitionBoilerplate } }
  BIND(REPLACE(REPLACE(REPLACE(?first, "</?[a-zA-Z][^<>]*>", " "), " {2,}", " "), "^ +| +$", "") AS ?raw)
  BIND(COALESCE(REPLACE(?raw, ?definitionBoilerplate, ""), ?raw) AS ?definition)
  FILTER(STRLEN(?definition) > 0)
}
