# title: Label containment
# derives: skos:broader from a concept to another of the same scheme whose whole label
#   is a run of whole words inside its own (Multi-Party State Channels -> State Channels),
#   between the kinds the settings list (definitions and terms), ignoring case and treating
#   "-" and "_" as spaces; then the shortcuts a chain of such links makes redundant are
#   removed (A -> C goes when A -> B -> C exists).
# why: A glossary names a narrower idea by qualifying a broader one, so the words inside a
#   label are evidence of a hierarchy the pages never state. It is a heuristic: switch it
#   off with kg:labelContainment false in the settings, or `kg link --skip
#   label-containment`. Every run of words of every label (up to eight words) goes into the
#   scratch graph, and matching runs to labels is then an indexed join, so the cost grows
#   with the number of concepts, not with its square.

PREFIX kg:     <urn:kg:vocab:>
PREFIX kgg:    <urn:kg:graph:>
PREFIX skos:   <http://www.w3.org/2004/02/skos/core#>

# Each label in a comparable form: "Multi-Party State Channels" -> "multi party state channels".
INSERT { GRAPH kgg:link-scratch { ?concept kg:labelKey ?words } }
WHERE {
  GRAPH kgg:link-scratch { kg:settings kg:labelContainment true ; kg:containmentKind ?kind }
  GRAPH kgg:concepts { ?concept kg:kind ?kind ; skos:prefLabel ?label }
  BIND(REPLACE(REPLACE(LCASE(STR(?label)), "[\\s_-]+", " "), "^ | $", "") AS ?words)
} ;

# Each shorter run of whole words in it: cut 0-7 words off the end ("multi party state"),
# then 0-7 off the start ("party state", "state").
INSERT { GRAPH kgg:link-scratch { ?concept kg:labelPart ?part } }
WHERE {
  GRAPH kgg:link-scratch { ?concept kg:labelKey ?words }
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
  BIND(IF(?start = 0, ?lead, IF(?start = 1, ?tail1, IF(?start = 2, ?tail2, IF(?start = 3, ?tail3,
       IF(?start = 4, ?tail4, IF(?start = 5, ?tail5, IF(?start = 6, ?tail6, ?tail7))))))) AS ?part)
  FILTER(?part != "" && ?part != ?words)
} ;

# A concept is narrower than each concept of its scheme whose whole label is one of its runs.
INSERT { GRAPH kgg:concepts { ?narrower skos:broader ?wider } }
WHERE {
  GRAPH kgg:link-scratch { ?narrower kg:labelPart ?part . ?wider kg:labelKey ?part }
  GRAPH kgg:concepts { ?narrower skos:inScheme ?scheme . ?wider skos:inScheme ?scheme }
} ;

# Drop the shortcuts: Multi-Party State Channels -> Channels, when it goes through State Channels.
DELETE { GRAPH kgg:concepts { ?narrower skos:broader ?widest } }
WHERE {
  GRAPH kgg:concepts { ?narrower skos:broader ?middle , ?widest . ?middle skos:broader ?widest }
  GRAPH kgg:link-scratch { ?narrower kg:labelKey ?narrowKey . ?middle kg:labelKey ?middleKey . ?widest kg:labelKey ?wideKey }
  FILTER(?middle != ?narrower && ?middle != ?widest && ?narrower != ?widest)
}
