# title: One concept scheme per site
# derives: A skos:ConceptScheme per site (scheme and host of the concept IRIs), named
#   <urn:kg:scheme:HOST>, with kg:site (the site root) and a skos:prefLabel (the name of
#   the organisation that publishes its pages, else the host); every concept skos:inScheme
#   the scheme of its own IRI.
# runs: corpus
# why: Two glossaries can use the same words for different things. Keeping each site's
#   concepts in their own scheme lets the other rules (label containment) stay inside one
#   vocabulary, and lets a SKOS tool show each site as one thesaurus.
# after: 35-facets

PREFIX schema: <http://schema.org/>
PREFIX kg:     <urn:kg:vocab:>
PREFIX kgg:    <urn:kg:graph:>
PREFIX prov:   <http://www.w3.org/ns/prov#>
PREFIX skos:   <http://www.w3.org/2004/02/skos/core#>

CONSTRUCT {
  ?scheme a skos:ConceptScheme ; kg:site ?site .
  ?concept skos:inScheme ?scheme .
}
WHERE {
  GRAPH kgg:concepts { ?concept a skos:Concept }
  BIND(REPLACE(STR(?concept), "^([a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*).*$", "$1") AS ?origin)
  BIND(LCASE(REPLACE(?origin, "^[^:]*://(?:[^@]*@)?([^:]*).*$", "$1")) AS ?host)
  BIND(IRI(CONCAT("urn:kg:scheme:", IF(?host = "", "local", ENCODE_FOR_URI(?host)))) AS ?scheme)
  BIND(IRI(CONCAT(?origin, "/")) AS ?site)
}

CONSTRUCT { ?scheme skos:prefLabel ?name }
WHERE {
  {
    SELECT ?scheme (MIN(STR(?publisherName)) AS ?name)
    WHERE {
      GRAPH kgg:concepts { ?concept skos:inScheme ?scheme ; kg:kind ?kind }
      GRAPH kgg:provenance { ?concept a prov:Entity }
      GRAPH ?concept { ?concept schema:publisher/schema:name ?publisherName }
    }
    GROUP BY ?scheme
  }
}

CONSTRUCT { ?scheme skos:prefLabel ?host }
WHERE {
  GRAPH kgg:concepts { ?scheme a skos:ConceptScheme ; kg:site ?site }
  MINUS { GRAPH kgg:concepts { ?scheme skos:prefLabel ?named } }
  BIND(REPLACE(STR(?site), "^[^:]*://([^/]*)/$", "$1") AS ?host)
}
