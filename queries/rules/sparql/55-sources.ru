# title: Sources
# derives: kg:source from every concept (facets have theirs) to each page whose graph
#   mentions its IRI, as subject or object.
# runs: corpus
# why: A concept merges what several pages say about one IRI. kg:source says which pages
#   those are, so a question about a concept can be traced back to the pages, and their
#   provenance records, behind it.
# after: 35-facets

PREFIX kg:     <urn:kg:vocab:>
PREFIX kgg:    <urn:kg:graph:>
PREFIX prov:   <http://www.w3.org/ns/prov#>

CONSTRUCT { ?concept kg:source ?page }
WHERE {
  {
    SELECT DISTINCT ?concept ?page
    WHERE {
      GRAPH kgg:concepts { ?concept kg:kind ?kind }
      FILTER(?kind != "facet")
      { GRAPH ?page { ?concept ?p ?o } } UNION { GRAPH ?page { ?s ?p ?concept } }
    }
  }
  GRAPH kgg:provenance { ?page a prov:Entity }
}
