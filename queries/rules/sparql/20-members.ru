# title: Definitions and terms of areas
# derives: area skos:narrower member, for every member an area lists and every member that
#   names its area (see 10-areas); each member that is not itself an area becomes a
#   skos:Concept of kind "term" when its IRI matches the settings' term pattern, and
#   "definition" otherwise.
# runs: corpus
# why: This is the link the knowledge graph exists for: which definitions an area is made
#   of. An area listed by another area stays an area (and becomes its narrower concept).
# after: 10-areas

PREFIX schema: <http://schema.org/>
PREFIX kg:     <urn:kg:vocab:>
PREFIX kgg:    <urn:kg:graph:>
PREFIX prov:   <http://www.w3.org/ns/prov#>
PREFIX skos:   <http://www.w3.org/2004/02/skos/core#>

CONSTRUCT { ?area skos:narrower ?part }
WHERE {
  GRAPH kgg:link-scratch { kg:settings kg:memberProperty ?member }
  GRAPH kgg:concepts { ?area kg:kind "area" }
  GRAPH ?area { ?area ?member ?part }
  FILTER(isIRI(?part) && STRBEFORE(CONCAT(STR(?part), "#"), "#") != STRBEFORE(CONCAT(STR(?area), "#"), "#"))
}

# A numbered page of an area (the settings' continuation pattern) adds its members to the
# area it continues.
CONSTRUCT { ?area skos:narrower ?part }
WHERE {
  GRAPH kgg:link-scratch { kg:settings kg:memberProperty ?member ; kg:continuationPattern ?continuationPattern }
  GRAPH kgg:provenance { ?page a prov:Entity }
  FILTER(REGEX(STR(?page), ?continuationPattern))
  BIND(IRI(REPLACE(STR(?page), ?continuationPattern, "$1")) AS ?area)
  GRAPH kgg:concepts { ?area kg:kind "area" }
  GRAPH ?page { ?page ?member ?part }
  FILTER(isIRI(?part) && STRBEFORE(CONCAT(STR(?part), "#"), "#") != STRBEFORE(CONCAT(STR(?page), "#"), "#"))
}

# The items of a page's list (see 10-areas), the item itself when a list item names it
# by its url, else its schema:item.
CONSTRUCT { ?area skos:narrower ?part }
WHERE {
  GRAPH kgg:link-scratch { kg:settings kg:listType ?listType }
  GRAPH ?page { ?list a ?listType }
  # A page with a main thing of its own beside a list that stands alone is not an area by
  # that list (see kg:mainThingType in 00-settings).
  FILTER(EXISTS { GRAPH ?page { ?page schema:mainEntity ?list } } || (
    NOT EXISTS { GRAPH ?page { ?holder ?holds ?list } }
    && NOT EXISTS { GRAPH ?page { ?page schema:mainEntity ?main } FILTER(?main != ?list) }
    && NOT EXISTS { GRAPH ?page { ?main schema:mainEntityOfPage ?page } FILTER(?main != ?list) }
    && NOT EXISTS {
      GRAPH kgg:link-scratch { kg:settings kg:mainThingType ?mainType }
      GRAPH ?page { ?main a ?mainType }
      FILTER NOT EXISTS { GRAPH ?page { ?mainHolder ?mainHolds ?main } FILTER(?mainHolder != ?main) }
    }))
  GRAPH kgg:provenance { ?page a prov:Entity }
  OPTIONAL { GRAPH kgg:link-scratch { kg:settings kg:continuationPattern ?continuationPattern } }
  BIND(COALESCE(IF(REGEX(STR(?page), ?continuationPattern), IRI(REPLACE(STR(?page), ?continuationPattern, "$1")), ?page),
                ?page) AS ?area)
  GRAPH kgg:concepts { ?area kg:kind "area" }
  GRAPH ?page { ?list schema:itemListElement ?element OPTIONAL { ?element schema:item ?item } }
  BIND(COALESCE(?item, ?element) AS ?part)
  FILTER(isIRI(?part) && STRBEFORE(CONCAT(STR(?part), "#"), "#") != STRBEFORE(CONCAT(STR(?page), "#"), "#"))
}

# A set of an area type lists its members on any page that describes it, fragments of its
# own page included; a member that names its set is listed by it too.
CONSTRUCT { ?area skos:narrower ?part }
WHERE {
  {
    # Each set's members looked up once the set is known (LATERAL), as in 10-areas.
    GRAPH kgg:link-scratch { kg:settings kg:areaType ?areaType }
    GRAPH ?page { ?area a ?areaType }
    LATERAL {
      GRAPH kgg:link-scratch { kg:settings kg:memberProperty ?member }
      GRAPH ?page { ?area ?member ?part }
    }
  } UNION {
    GRAPH kgg:link-scratch { kg:settings kg:memberOfProperty ?memberOfProperty }
    GRAPH ?page { ?part ?memberOfProperty ?area }
  }
  FILTER(isIRI(?area) && isIRI(?part) && ?part != ?area)
}

# Each member once (DISTINCT), then its kind: a member listed by many areas had its IRI
# read and matched once per area (10,000 pages: 0.82 s, against 0.30 s).
CONSTRUCT { ?part a skos:Concept ; kg:kind ?kind }
WHERE {
  {
    SELECT DISTINCT ?part WHERE {
      GRAPH kgg:concepts { ?area kg:kind "area" ; skos:narrower ?part }
      MINUS { GRAPH kgg:concepts { ?part kg:kind "area" } }
    }
  }
  OPTIONAL { GRAPH kgg:link-scratch { kg:settings kg:termIriPattern ?termIriPattern } }
  BIND(COALESCE(IF(REGEX(STR(?part), ?termIriPattern), "term", "definition"), "definition") AS ?kind)
}
