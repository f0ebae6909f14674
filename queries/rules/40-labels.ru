# title: Preferred labels
# derives: One skos:prefLabel per concept (facets already have theirs): the first of the
#   concept's headline on its own page, the headline of the thing whose page it is
#   (schema:mainEntityOfPage), its name on its own page, a headline on another page, a
#   name on another page, the name of a breadcrumb item pointing at it, the headline or
#   name of one of its numbered pages; ties go to the alphabetically first. The settings'
#   label boilerplate is cut from it. Each label also gets kg:key, the label in lower case,
#   which queries look up to find a concept by its label whatever the case (an index
#   lookup; comparing LCASE of every label is a scan).
# runs: corpus
# why: SKOS allows one preferred label per concept, and a definition's own page is the
#   authority on its title; an area's listing of it is a copy.
# after: 35-facets

PREFIX schema: <http://schema.org/>
PREFIX kg:     <urn:kg:vocab:>
PREFIX kgg:    <urn:kg:graph:>
PREFIX prov:   <http://www.w3.org/ns/prov#>
PREFIX skos:   <http://www.w3.org/2004/02/skos/core#>

CONSTRUCT { ?concept skos:prefLabel ?label ; kg:key ?key }
WHERE {
  {
    SELECT ?concept (MIN(CONCAT(STR(?rank), STR(?text))) AS ?best)
    WHERE {
      GRAPH kgg:concepts { ?concept kg:kind ?kind }
      MINUS { GRAPH kgg:concepts { ?concept skos:prefLabel ?known } }
      GRAPH kgg:provenance { ?page a prov:Entity }
      {
        GRAPH ?page { ?concept schema:headline ?text } BIND(IF(?page = ?concept, 1, 4) AS ?rank)
      } UNION {
        # The headline of the thing whose page this is (mainEntityOfPage): a page's own name
        # is often its title tag, with the site's name after it ("Nonce - Coin Words").
        GRAPH ?page { ?thing schema:mainEntityOfPage ?concept ; schema:headline ?text }
        FILTER(?page = ?concept)
        BIND(2 AS ?rank)
      } UNION {
        GRAPH ?page { ?concept schema:name ?text } BIND(IF(?page = ?concept, 3, 5) AS ?rank)
      } UNION {
        GRAPH ?page { ?crumb schema:item ?concept ; schema:name ?text } BIND(6 AS ?rank)
      }
    }
    GROUP BY ?concept
  }
  OPTIONAL { GRAPH kgg:link-scratch { kg:settings kg:labelBoilerplate ?labelBoilerplate } }
  BIND(SUBSTR(?best, 2) AS ?raw)
  BIND(COALESCE(REPLACE(?raw, ?labelBoilerplate, ""), ?raw) AS ?label)
  FILTER(STRLEN(?label) > 0)
  BIND(LCASE(?label) AS ?key)
}

# A concept still without a label takes the headline, else the name, of its numbered pages
# (the settings' continuation pattern): an area whose own page is not in the corpus. (As a
# branch of the query above it made the query join every concept with every page: 10,000
# pages took minutes instead of 3 s.)
CONSTRUCT { ?concept skos:prefLabel ?label ; kg:key ?key }
WHERE {
  {
    SELECT ?concept (MIN(CONCAT(STR(?rank), STR(?text))) AS ?best)
    WHERE {
      GRAPH kgg:link-scratch { kg:settings kg:continuationPattern ?continuationPattern }
      GRAPH kgg:provenance { ?page a prov:Entity }
      FILTER(REGEX(STR(?page), ?continuationPattern))
      { GRAPH ?page { ?page schema:headline ?text } BIND(1 AS ?rank) }
      UNION
      { GRAPH ?page { ?page schema:name ?text } BIND(2 AS ?rank) }
      BIND(IRI(REPLACE(STR(?page), ?continuationPattern, "$1")) AS ?concept)
      GRAPH kgg:concepts { ?concept kg:kind ?kind }
      MINUS { GRAPH kgg:concepts { ?concept skos:prefLabel ?known } }
    }
    GROUP BY ?concept
  }
  OPTIONAL { GRAPH kgg:link-scratch { kg:settings kg:labelBoilerplate ?labelBoilerplate } }
  BIND(SUBSTR(?best, 2) AS ?raw)
  BIND(COALESCE(REPLACE(?raw, ?labelBoilerplate, ""), ?raw) AS ?label)
  FILTER(STRLEN(?label) > 0)
  BIND(LCASE(?label) AS ?key)
}
