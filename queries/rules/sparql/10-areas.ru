# title: Areas
# derives: A skos:Concept of kind "area" for every page whose own node lists other pages
#   through a member property of the settings (schema:hasPart, schema:hasDefinedTerm);
#   for every thing of an area type (schema:DefinedTermSet) that lists members; and for
#   every thing a member names through a member-of property (schema:inDefinedTermSet).
#   A page whose main entity is a list (schema:ItemList) is an area of its items, and so is
#   a page where a list stands alone, unless the page has a main thing of its own (a
#   Recipe, an Article: see kg:mainThingType). An area listed over numbered pages
#   (/area/x/resource/2/) is one area, its first page.
# runs: corpus
# why: An area page is a collection: the page itself is the concept, and the things it
#   lists are its definitions. Only members outside the page's own document count, so a
#   page that lists its own sections (WebPageElement nodes, #fragments) is not an area.
#   schema.org has a vocabulary of its own for glossaries, and a set of defined terms is an
#   area by what it is, wherever it is described and whatever it lists: its terms may be
#   fragments of one page, and a term page may name its set without the set listing it.
#   A recipe page's "more recipes" list, or a news article's "most read", is the site's
#   navigation beside the page's subject, not a collection the page is about.
# after: 00-settings

PREFIX schema: <http://schema.org/>
PREFIX kg:     <urn:kg:vocab:>
PREFIX kgg:    <urn:kg:graph:>
PREFIX prov:   <http://www.w3.org/ns/prov#>
PREFIX skos:   <http://www.w3.org/2004/02/skos/core#>

# One member outside the page's document is enough (EXISTS stops at the first): comparing
# the documents of every member reads each member's IRI from the store (10,000 pages:
# 1.7 s, against 0.23 s). A numbered page of an area (the settings' continuation pattern)
# makes the area it continues.
CONSTRUCT { ?area a skos:Concept ; kg:kind "area" }
WHERE {
  GRAPH kgg:link-scratch { kg:settings kg:memberProperty ?member }
  GRAPH kgg:provenance { ?page a prov:Entity }
  FILTER EXISTS {
    GRAPH ?page { ?page ?member ?part }
    FILTER(isIRI(?part) && STRBEFORE(CONCAT(STR(?part), "#"), "#") != STRBEFORE(CONCAT(STR(?page), "#"), "#"))
  }
  OPTIONAL { GRAPH kgg:link-scratch { kg:settings kg:continuationPattern ?continuationPattern } }
  BIND(COALESCE(IF(REGEX(STR(?page), ?continuationPattern), IRI(REPLACE(STR(?page), ?continuationPattern, "$1")), ?page),
                ?page) AS ?area)
}

# A page whose main entity, or a thing that stands alone on it, is a list of a list type
# of the settings (schema:ItemList: an index page marked up for search engines' carousels)
# lists that list's items. A breadcrumb trail is a BreadcrumbList, not an ItemList, and a
# list some other thing holds (an article's "related" list) does not count. Lists first:
# there are few.
CONSTRUCT { ?area a skos:Concept ; kg:kind "area" }
WHERE {
  {
    SELECT DISTINCT ?page
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
      FILTER EXISTS {
        GRAPH ?page { ?list schema:itemListElement ?element OPTIONAL { ?element schema:item ?item } }
        BIND(COALESCE(?item, ?element) AS ?part)
        FILTER(isIRI(?part) && STRBEFORE(CONCAT(STR(?part), "#"), "#") != STRBEFORE(CONCAT(STR(?page), "#"), "#"))
      }
    }
  }
  GRAPH kgg:provenance { ?page a prov:Entity }
  OPTIONAL { GRAPH kgg:link-scratch { kg:settings kg:continuationPattern ?continuationPattern } }
  BIND(COALESCE(IF(REGEX(STR(?page), ?continuationPattern), IRI(REPLACE(STR(?page), ?continuationPattern, "$1")), ?page),
                ?page) AS ?area)
}

# Sets by their type, or by what their members say, once each (DISTINCT). The type comes
# first and the members are looked up for each set (EXISTS): reading every member link of
# the corpus to keep those of a set took 1.6 s at 10,000 pages that have none.
CONSTRUCT { ?area a skos:Concept ; kg:kind "area" }
WHERE {
  {
    SELECT DISTINCT ?area
    WHERE {
      {
        GRAPH kgg:link-scratch { kg:settings kg:areaType ?areaType }
        GRAPH ?page { ?area a ?areaType }
        FILTER EXISTS {
          GRAPH kgg:link-scratch { kg:settings kg:memberProperty ?member }
          GRAPH ?page { ?area ?member ?part }
          FILTER(isIRI(?part) && ?part != ?area)
        }
      } UNION {
        GRAPH kgg:link-scratch { kg:settings kg:memberOfProperty ?memberOfProperty }
        GRAPH ?page { ?part ?memberOfProperty ?area }
        FILTER(isIRI(?part) && ?part != ?area)
      }
      FILTER(isIRI(?area))
    }
  }
}
