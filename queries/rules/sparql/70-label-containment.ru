# title: Label containment
# derives: skos:broader from a concept to another of the same scheme whose whole label
#   is a run of whole words inside its own (Multi-Party State Channels -> State Channels),
#   between the kinds the settings list (definitions and terms), ignoring case and treating
#   "-" and "_" as spaces; except the shortcuts a chain of such links makes redundant
#   (no A -> C when A -> B -> C, through these links or the broader links already made).
# runs: corpus
# why: A glossary names a narrower idea by qualifying a broader one, so the words inside a
#   label are evidence of a hierarchy the pages never state. It is a heuristic: switch it
#   off with kg:labelContainment false in the settings, or `kg link --skip
#   label-containment`. Every run of words of every label (up to eight words) is matched
#   against the labels in one hash join, so the cost grows with the number of concepts, not
#   with its square. The candidate links wait in the scratch graph until the shortcuts are
#   known; only the links that stay are written to the concept layer.
# after: 40-labels, 50-schemes

PREFIX kg:     <urn:kg:vocab:>
PREFIX kgg:    <urn:kg:graph:>
PREFIX skos:   <http://www.w3.org/2004/02/skos/core#>

# The candidates: a concept is narrower than each concept of its scheme whose whole label
# is one of the runs of words of its own label. The two lists are joined on the scheme and
# the words; COALESCE(..., "") tells Oxigraph the words are always bound, which is what
# lets it join them through a hash table instead of comparing every pair.
# into: kgg:link-scratch
CONSTRUCT { ?narrower kg:containedIn ?wider }
WHERE {
  {
    # Each label in a comparable form: "Multi-Party State Channels" -> "multi party state channels".
    SELECT ?wider ?scheme ?part
    WHERE {
      GRAPH kgg:link-scratch { kg:settings kg:labelContainment true ; kg:containmentKind ?kind }
      GRAPH kgg:concepts { ?wider kg:kind ?kind ; skos:prefLabel ?label ; skos:inScheme ?scheme }
      BIND(COALESCE(REPLACE(REPLACE(LCASE(STR(?label)), "[\\s_-]+", " "), "^ | $", ""), "") AS ?part)
    }
  }
  {
    # Each shorter run of whole words in a label: cut 0-7 words off the end
    # ("multi party state"), then 0-7 off the start ("party state", "state").
    SELECT ?narrower ?scheme ?part
    WHERE {
      GRAPH kgg:link-scratch { kg:settings kg:labelContainment true ; kg:containmentKind ?kind }
      GRAPH kgg:concepts { ?narrower kg:kind ?kind ; skos:prefLabel ?label ; skos:inScheme ?scheme }
      BIND(REPLACE(REPLACE(LCASE(STR(?label)), "[\\s_-]+", " "), "^ | $", "") AS ?words)
      BIND(REPLACE(?words, "(^| )[^ ]+$", "") AS ?lead1)
      BIND(REPLACE(?lead1, "(^| )[^ ]+$", "") AS ?lead2)
      BIND(REPLACE(?lead2, "(^| )[^ ]+$", "") AS ?lead3)
      BIND(REPLACE(?lead3, "(^| )[^ ]+$", "") AS ?lead4)
      BIND(REPLACE(?lead4, "(^| )[^ ]+$", "") AS ?lead5)
      BIND(REPLACE(?lead5, "(^| )[^ ]+$", "") AS ?lead6)
      BIND(REPLACE(?lead6, "(^| )[^ ]+$", "") AS ?lead7)
      VALUES ?end { 0 1 2 3 4 5 6 7 }
      BIND(IF(?end = 0, ?words, IF(?end = 1, ?lead1, IF(?end = 2, ?lead2, IF(?end = 3, ?lead3,
           IF(?end = 4, ?lead4, IF(?end = 5, ?lead5, IF(?end = 6, ?lead6, ?lead7))))))) AS ?lead)
      FILTER(?lead != "")
      BIND(STRAFTER(?lead, " ") AS ?tail1)
      BIND(STRAFTER(?tail1, " ") AS ?tail2)
      BIND(STRAFTER(?tail2, " ") AS ?tail3)
      BIND(STRAFTER(?tail3, " ") AS ?tail4)
      BIND(STRAFTER(?tail4, " ") AS ?tail5)
      BIND(STRAFTER(?tail5, " ") AS ?tail6)
      BIND(STRAFTER(?tail6, " ") AS ?tail7)
      VALUES ?start { 0 1 2 3 4 5 6 7 }
      BIND(COALESCE(IF(?start = 0, ?lead, IF(?start = 1, ?tail1, IF(?start = 2, ?tail2, IF(?start = 3, ?tail3,
           IF(?start = 4, ?tail4, IF(?start = 5, ?tail5, IF(?start = 6, ?tail6, ?tail7))))))), "") AS ?part)
      FILTER(?part != "" && ?part != ?words)
    }
  }
}

# The links that stay: no shortcut such as Multi-Party State Channels -> Channels when it
# goes through State Channels. A step of the longer way is a candidate or a broader link
# already made (a breadcrumb) between concepts of the kinds the settings list; the four
# mixes are four simple checks, which Oxigraph answers by lookups (one check with UNIONs
# inside makes it compare every pair).
CONSTRUCT { ?narrower skos:broader ?wider }
WHERE {
  GRAPH kgg:link-scratch { ?narrower kg:containedIn ?wider }
  FILTER NOT EXISTS { GRAPH kgg:link-scratch { ?narrower kg:containedIn ?middle . ?middle kg:containedIn ?wider } }
  FILTER NOT EXISTS {
    GRAPH kgg:link-scratch { ?narrower kg:containedIn ?middle }
    GRAPH kgg:concepts { ?middle skos:broader ?wider }
  }
  FILTER NOT EXISTS {
    GRAPH kgg:concepts { ?narrower skos:broader ?middle }
    GRAPH kgg:link-scratch { ?middle kg:containedIn ?wider }
  }
  FILTER NOT EXISTS {
    GRAPH kgg:concepts { ?narrower skos:broader ?middle . ?middle skos:broader ?wider ; kg:kind ?middleKind ; skos:prefLabel ?middleLabel }
    GRAPH kgg:link-scratch { kg:settings kg:containmentKind ?middleKind }
  }
}
