# title: Definition pages
# derives: A skos:Concept of kind "definition" (or "term", by the same IRI pattern) for
#   every page that is not an area and whose own node is, or is schema:about or
#   schema:mainEntity, a thing of a definition type of the settings (schema:DefinedTerm),
#   or whose IRI matches the settings' definition IRI pattern (a /definition/ page).
# runs: corpus
# why: A definition can have a page of its own that no area in the corpus lists; it is
#   still a definition (the orphans query finds these), not an unclassified page. A page
#   about a thing that is a concept already (listed by its own IRI) is not a second one.
# after: 20-members

PREFIX schema: <http://schema.org/>
PREFIX kg:     <urn:kg:vocab:>
PREFIX kgg:    <urn:kg:graph:>
PREFIX prov:   <http://www.w3.org/ns/prov#>
PREFIX skos:   <http://www.w3.org/2004/02/skos/core#>

CONSTRUCT { ?page a skos:Concept ; kg:kind ?kind }
WHERE {
  GRAPH kgg:link-scratch { kg:settings kg:definitionType ?type }
  GRAPH kgg:provenance { ?page a prov:Entity }
  GRAPH ?page {
    { ?page a ?type } UNION { ?page schema:about|schema:mainEntity ?topic . ?topic a ?type }
  }
  FILTER NOT EXISTS { GRAPH kgg:concepts { ?page kg:kind ?known } }
  # A page about a thing that is a concept already (a glossary lists the term by its own
  # IRI) only describes that concept. One test per property, the concept looked up inside
  # (a path, or a join with the concepts graph, in one test: 30 s at 10,000 pages, not 0.3).
  FILTER NOT EXISTS {
    GRAPH ?page { ?page schema:about ?about }
    FILTER EXISTS { GRAPH kgg:concepts { ?about kg:kind ?aboutKind } }
  }
  FILTER NOT EXISTS {
    GRAPH ?page { ?page schema:mainEntity ?main }
    FILTER EXISTS { GRAPH kgg:concepts { ?main kg:kind ?mainKind } }
  }
  OPTIONAL { GRAPH kgg:link-scratch { kg:settings kg:termIriPattern ?termIriPattern } }
  BIND(COALESCE(IF(REGEX(STR(?page), ?termIriPattern), "term", "definition"), "definition") AS ?kind)
}

# Pages under a definition path (the settings' definition IRI pattern), whatever their
# markup, with the same exceptions.
CONSTRUCT { ?page a skos:Concept ; kg:kind ?kind }
WHERE {
  GRAPH kgg:link-scratch { kg:settings kg:definitionIriPattern ?definitionIriPattern }
  GRAPH kgg:provenance { ?page a prov:Entity }
  FILTER(REGEX(STR(?page), ?definitionIriPattern))
  FILTER NOT EXISTS { GRAPH kgg:concepts { ?page kg:kind ?known } }
  FILTER NOT EXISTS {
    GRAPH ?page { ?page schema:about ?about }
    FILTER EXISTS { GRAPH kgg:concepts { ?about kg:kind ?aboutKind } }
  }
  FILTER NOT EXISTS {
    GRAPH ?page { ?page schema:mainEntity ?main }
    FILTER EXISTS { GRAPH kgg:concepts { ?main kg:kind ?mainKind } }
  }
  OPTIONAL { GRAPH kgg:link-scratch { kg:settings kg:termIriPattern ?termIriPattern } }
  BIND(COALESCE(IF(REGEX(STR(?page), ?termIriPattern), "term", "definition"), "definition") AS ?kind)
}
