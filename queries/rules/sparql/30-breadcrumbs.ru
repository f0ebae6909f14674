# title: Breadcrumb hierarchy
# derives: skos:broader from each item of a page's breadcrumb trail to the item one
#   position above it (Home › Area › Peer to Peer gives Peer to Peer broader Area, and Area
#   broader Home); trail items that are nothing else become concepts of kind "page". A
#   numbered page of an area in a trail (continuation pattern) stands for the area.
# runs: corpus
# why: The trail is the site's own statement of where a page sits. It ties every area to
#   the site's area index and home page, so the concept layer is one tree per site.
# after: 00-settings

PREFIX schema: <http://schema.org/>
PREFIX kg:     <urn:kg:vocab:>
PREFIX kgg:    <urn:kg:graph:>
PREFIX prov:   <http://www.w3.org/ns/prov#>
PREFIX skos:   <http://www.w3.org/2004/02/skos/core#>
PREFIX xsd:    <http://www.w3.org/2001/XMLSchema#>

# Each trail item once (DISTINCT), then compared with the concepts: every page's trail
# names the same few index pages.
# after: 25-definition-pages
CONSTRUCT { ?item a skos:Concept ; kg:kind "page" }
WHERE {
  {
    SELECT DISTINCT ?item WHERE {
      GRAPH kgg:provenance { ?page a prov:Entity }
      GRAPH ?page { ?page schema:breadcrumb/schema:itemListElement/schema:item ?listed }
      FILTER(isIRI(?listed))
      # A numbered page (continuation pattern) stands for the page it continues.
      OPTIONAL { GRAPH kgg:link-scratch { kg:settings kg:continuationPattern ?continuationPattern } }
      BIND(COALESCE(IF(REGEX(STR(?listed), ?continuationPattern),
                       IRI(REPLACE(STR(?listed), ?continuationPattern, "$1")), ?listed), ?listed) AS ?item)
    }
  }
  MINUS { GRAPH kgg:concepts { ?item kg:kind ?known } }
}

# after: 00-settings
CONSTRUCT { ?item skos:broader ?above }
WHERE {
  GRAPH kgg:provenance { ?page a prov:Entity }
  GRAPH ?page {
    ?page schema:breadcrumb ?trail .
    ?trail schema:itemListElement ?here , ?up .
    ?here schema:position ?position ; schema:item ?listed .
    ?up schema:position ?upPosition ; schema:item ?listedAbove .
  }
  FILTER(xsd:integer(?upPosition) = xsd:integer(?position) - 1)
  FILTER(isIRI(?listed) && isIRI(?listedAbove))
  OPTIONAL { GRAPH kgg:link-scratch { kg:settings kg:continuationPattern ?continuationPattern } }
  BIND(COALESCE(IF(REGEX(STR(?listed), ?continuationPattern),
                   IRI(REPLACE(STR(?listed), ?continuationPattern, "$1")), ?listed), ?listed) AS ?item)
  BIND(COALESCE(IF(REGEX(STR(?listedAbove), ?continuationPattern),
                   IRI(REPLACE(STR(?listedAbove), ?continuationPattern, "$1")), ?listedAbove), ?listedAbove) AS ?above)
  FILTER(?item != ?above)
}
