# title: Related areas and related definitions
# derives: For each area, the areas it shares most definitions or terms with, at most
#   kg:maxRelatedPerConcept of them: a kg:Overlap node with kg:between (both areas),
#   kg:shared (each common member) and kg:sharedCount. For each definition or term, the
#   ones it shares most areas with, as many. Then skos:related, both ways, between the two
#   ends of each such pair, except where one is broader or narrower than the other (SKOS
#   keeps the two relations apart). A member listed by more than kg:maxAreasPerMember areas
#   takes no part: it is not counted as shared, and relates nothing. An area listing more
#   than kg:maxMembersPerArea definitions and terms relates none of them to each other.
# runs: corpus
# why: Areas that share definitions are about overlapping things, and the number they
#   share says how much; definitions one area lists belong together. skos:related cannot
#   carry a number, so the overlap node does; its IRI is urn:kg:overlap: + the SHA-1 of
#   the two area IRIs in order, so it is stable. Relating every pair that shares something
#   would grow with the square of the corpus (a definition listed by 300 areas makes 45,000
#   area pairs). So a member listed by very many areas, which says little about any two
#   of them (a stop word, in a search engine), is left out, and each concept keeps its
#   closest few: at most kg:maxRelatedPerConcept pairs per concept in all. Ties go to the
#   pair with the smaller hash (the MD5 of the two concepts' MD5s in order, 15 hex digits
#   each, which Oxigraph keeps inline): stable, and unlike alphabetical order, which would
#   make the concepts early in the alphabet everyone's choice, it favours no concept. The
#   ranking runs once per concept (LATERAL, which Oxigraph supports) over the links listed
#   in the scratch graph, so the work grows with the number of area-member links. Relating
#   the members of one area ranks every pair of them: an A-Z index listing a whole glossary
#   (5,000 members) would rank 25 million pairs. Such an area says as little about any two
#   of its members as a stop word says about two areas, so it is left out of that step,
#   and the work stays within kg:maxMembersPerArea times the number of links.
# after: 35-facets

PREFIX kg:     <urn:kg:vocab:>
PREFIX kgg:    <urn:kg:graph:>
PREFIX skos:   <http://www.w3.org/2004/02/skos/core#>

# The links that count: area kg:lists member, for the definitions and terms listed by at
# most kg:maxAreasPerMember areas; and area kg:groups member, the same links of the areas
# listing at most kg:maxMembersPerArea definitions and terms (every area, without that
# setting), which relate their members to each other.
# into: kgg:link-scratch
CONSTRUCT { ?area kg:lists ?member ; kg:groups ?grouped }
WHERE {
  {
    SELECT ?member (COUNT(DISTINCT ?area) AS ?areas)
    WHERE {
      GRAPH kgg:concepts { ?area kg:kind "area" ; skos:narrower ?member . ?member kg:kind ?kind }
      FILTER(?kind IN ("definition", "term"))
    }
    GROUP BY ?member
  }
  GRAPH kgg:link-scratch { kg:settings kg:maxAreasPerMember ?maxAreasPerMember }
  FILTER(?areas <= ?maxAreasPerMember)
  GRAPH kgg:concepts { ?area kg:kind "area" ; skos:narrower ?member }
  {
    SELECT ?area (COUNT(DISTINCT ?listed) AS ?members)
    WHERE {
      GRAPH kgg:concepts { ?area kg:kind "area" ; skos:narrower ?listed . ?listed kg:kind ?listedKind }
      FILTER(?listedKind IN ("definition", "term"))
    }
    GROUP BY ?area
  }
  OPTIONAL { GRAPH kgg:link-scratch { kg:settings kg:maxMembersPerArea ?maxMembersPerArea } }
  BIND(IF(?members <= COALESCE(?maxMembersPerArea, ?members), ?member, ?unbound) AS ?grouped)
}

# Each area's closest areas, and what each such pair shares. An overlap chosen from both
# ends is one node. The two areas are related, unless one is broader or narrower than the
# other: ?related is skos:related, or unbound (IF's value when it picks the unbound
# ?hierarchy), and CONSTRUCT leaves out a triple with an unbound term. Both ends are known
# here, so each check is a lookup, and so is each shared member, found last, once the
# pairs are chosen. (Joining every pair of areas that share a member, all at once, held a
# table that grows with the corpus: a third of this rule's memory. Joining the overlaps and
# the two lists through hash tables was twice as quick at 10,000 pages, but a 100,000-page
# build with it peaked at 2.0 GB instead of 1.5 GB. A step of its own that read the overlaps
# back from the store took 4.8 s at 10,000 pages; here the members cost 3.0 s.)
# In sixteen parts, by the first digit of each area's hash (see the README of queries/).
# after: step 1, 70-label-containment
# partition: 16
CONSTRUCT {
  ?overlap a kg:Overlap ; kg:between ?one , ?other ; kg:sharedCount ?count ; kg:shared ?member .
  ?one ?related ?other . ?other ?related ?one .
}
WHERE {
  {
    SELECT ?one ?oneHash
    WHERE {
      GRAPH kgg:concepts { ?one kg:kind "area" }
      BIND(SUBSTR(MD5(STR(?one)), 1, 15) AS ?oneHash)
      FILTER(STRSTARTS(?oneHash, ?partition))
    }
  }
  LATERAL {
    SELECT ?one ?oneHash ?other ?count
    WHERE {
      {
        SELECT ?one ?other (COUNT(?common) AS ?count)
        WHERE {
          GRAPH kgg:link-scratch { ?one kg:lists ?common . ?other kg:lists ?common }
          FILTER(?other != ?one)
        }
        GROUP BY ?one ?other
      }
      BIND(SUBSTR(MD5(STR(?other)), 1, 15) AS ?otherHash)
      BIND(SUBSTR(MD5(IF(?oneHash < ?otherHash, CONCAT(?oneHash, ?otherHash), CONCAT(?otherHash, ?oneHash))), 1, 15) AS ?tie)
    }
    ORDER BY DESC(?count) ?tie
    LIMIT ?maxRelatedPerConcept
  }
  BIND(IF(STR(?one) < STR(?other), CONCAT(STR(?one), " ", STR(?other)), CONCAT(STR(?other), " ", STR(?one))) AS ?pair)
  BIND(IRI(CONCAT("urn:kg:overlap:", SHA1(?pair))) AS ?overlap)
  BIND(IF(EXISTS { GRAPH kgg:concepts { ?one skos:broader ?other } }
          || EXISTS { GRAPH kgg:concepts { ?one skos:narrower ?other } }
          || EXISTS { GRAPH kgg:concepts { ?other skos:broader ?one } }
          || EXISTS { GRAPH kgg:concepts { ?other skos:narrower ?one } }, ?hierarchy, skos:related) AS ?related)
  GRAPH kgg:link-scratch { ?one kg:lists ?member . ?other kg:lists ?member }
}

# Each definition's or term's closest ones among those its areas list (the areas that group
# their members: see step 1), related unless one is broader or narrower than the other.
# after: step 1, 70-label-containment
# partition: 16
CONSTRUCT { ?one skos:related ?other . ?other skos:related ?one }
WHERE {
  {
    SELECT ?one ?oneHash
    WHERE {
      { SELECT DISTINCT ?one WHERE { GRAPH kgg:link-scratch { ?area kg:groups ?one } } }
      BIND(SUBSTR(MD5(STR(?one)), 1, 15) AS ?oneHash)
      FILTER(STRSTARTS(?oneHash, ?partition))
    }
  }
  LATERAL {
    SELECT ?one ?oneHash ?other
    WHERE {
      {
        SELECT ?one ?other (COUNT(?area) AS ?count)
        WHERE {
          GRAPH kgg:link-scratch { ?area kg:groups ?one , ?other }
          FILTER(?other != ?one)
        }
        GROUP BY ?one ?other
      }
      BIND(SUBSTR(MD5(STR(?other)), 1, 15) AS ?otherHash)
      BIND(SUBSTR(MD5(IF(?oneHash < ?otherHash, CONCAT(?oneHash, ?otherHash), CONCAT(?otherHash, ?oneHash))), 1, 15) AS ?tie)
    }
    ORDER BY DESC(?count) ?tie
    LIMIT ?maxRelatedPerConcept
  }
  FILTER NOT EXISTS { GRAPH kgg:concepts { ?one skos:broader ?other } }
  FILTER NOT EXISTS { GRAPH kgg:concepts { ?one skos:narrower ?other } }
  FILTER NOT EXISTS { GRAPH kgg:concepts { ?other skos:broader ?one } }
  FILTER NOT EXISTS { GRAPH kgg:concepts { ?other skos:narrower ?one } }
}
