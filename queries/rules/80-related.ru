# title: Related areas and related definitions
# derives: For every pair of areas that list a common definition or term, a kg:Overlap
#   node with kg:between (both areas), kg:shared (each common member) and kg:sharedCount;
#   then skos:related, both ways, between the two areas, and between every two definitions
#   or terms that one area lists, except where one is already broader or narrower than the
#   other (SKOS keeps the two relations apart).
# why: Areas that share definitions are about overlapping things, and the number they
#   share says how much. skos:related cannot carry a number, so the overlap node does; its
#   IRI is urn:kg:overlap: + the SHA-1 of the two area IRIs in order, so it is stable.

PREFIX kg:     <urn:kg:vocab:>
PREFIX kgg:    <urn:kg:graph:>
PREFIX skos:   <http://www.w3.org/2004/02/skos/core#>

# Areas that share members, and how many they share.
INSERT { GRAPH kgg:concepts { ?overlap a kg:Overlap ; kg:between ?one , ?other ; kg:sharedCount ?count } }
WHERE {
  {
    SELECT ?one ?other (COUNT(DISTINCT ?common) AS ?count)
    WHERE {
      GRAPH kgg:concepts {
        ?one kg:kind "area" ; skos:narrower ?common .
        ?other kg:kind "area" ; skos:narrower ?common .
        ?common kg:kind ?kind .
      }
      FILTER(?kind IN ("definition", "term") && STR(?one) < STR(?other))
    }
    GROUP BY ?one ?other
  }
  BIND(IRI(CONCAT("urn:kg:overlap:", SHA1(CONCAT(STR(?one), " ", STR(?other))))) AS ?overlap)
} ;

# What they share.
INSERT { GRAPH kgg:concepts { ?overlap kg:shared ?member } }
WHERE {
  GRAPH kgg:concepts {
    ?overlap a kg:Overlap ; kg:between ?one , ?other .
    ?one skos:narrower ?member .
    ?other skos:narrower ?member .
    ?member kg:kind ?kind .
    FILTER(?one != ?other && ?kind IN ("definition", "term"))
  }
} ;

INSERT { GRAPH kgg:concepts { ?one skos:related ?other } }
WHERE {
  GRAPH kgg:concepts {
    ?overlap a kg:Overlap ; kg:between ?one , ?other .
    FILTER(?one != ?other)
    FILTER NOT EXISTS { ?one skos:broader|skos:narrower ?other }
    FILTER NOT EXISTS { ?other skos:broader|skos:narrower ?one }
  }
} ;

# Definitions and terms listed by the same area.
INSERT { GRAPH kgg:concepts { ?one skos:related ?other } }
WHERE {
  {
    SELECT DISTINCT ?one ?other
    WHERE {
      GRAPH kgg:concepts {
        ?area kg:kind "area" ; skos:narrower ?one , ?other .
        ?one kg:kind ?oneKind .
        ?other kg:kind ?otherKind .
      }
      FILTER(?one != ?other && ?oneKind IN ("definition", "term") && ?otherKind IN ("definition", "term"))
    }
  }
  FILTER NOT EXISTS { GRAPH kgg:concepts { ?one skos:broader|skos:narrower ?other } }
  FILTER NOT EXISTS { GRAPH kgg:concepts { ?other skos:broader|skos:narrower ?one } }
}
