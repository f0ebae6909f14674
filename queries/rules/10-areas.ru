# title: Areas
# derives: A skos:Concept of kind "area" for every page whose own node lists other pages
#   through a member property of the settings (schema:hasPart by default).
# why: An area page is a collection: the page itself is the concept, and the things it
#   lists are its definitions. Only members outside the page's own document count, so a
#   page that lists its own sections (WebPageElement nodes, #fragments) is not an area.
# after: 00-settings

PREFIX kg:     <urn:kg:vocab:>
PREFIX kgg:    <urn:kg:graph:>
PREFIX prov:   <http://www.w3.org/ns/prov#>
PREFIX skos:   <http://www.w3.org/2004/02/skos/core#>

# One member outside the page's document is enough (EXISTS stops at the first): comparing
# the documents of every member reads each member's IRI from the store (10,000 pages:
# 1.7 s, against 0.23 s).
CONSTRUCT { ?page a skos:Concept ; kg:kind "area" }
WHERE {
  GRAPH kgg:link-scratch { kg:settings kg:memberProperty ?member }
  GRAPH kgg:provenance { ?page a prov:Entity }
  FILTER EXISTS {
    GRAPH ?page { ?page ?member ?part }
    FILTER(isIRI(?part) && STRBEFORE(CONCAT(STR(?part), "#"), "#") != STRBEFORE(CONCAT(STR(?page), "#"), "#"))
  }
}
