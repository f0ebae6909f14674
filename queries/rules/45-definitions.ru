# title: Definitions
# derives: One skos:definition per concept that has a schema:description: the one on
#   the concept's own page if there is one, else the alphabetically first elsewhere, with
#   the settings' definition boilerplate ("⎊ Definition", "Meaning ⎊") cut from it.
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
  BIND(SUBSTR(?best, 2) AS ?raw)
  BIND(COALESCE(REPLACE(?raw, ?definitionBoilerplate, ""), ?raw) AS ?definition)
  FILTER(STRLEN(?definition) > 0)
}
