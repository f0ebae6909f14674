# title: FAQ facets
# derives: For each FAQ question on a concept's own page, a facet concept:
#   ?page kg:facet ?facet, and the facet a skos:Concept of kind "facet" with skos:prefLabel
#   (group 1 of the settings' facet pattern: "What is the Risk of Peer to Peer?" -> "Risk"),
#   kg:question, kg:answer (its HTML tags taken out) and kg:source. Its IRI is the page
#   IRI + "#facet-" + the label in lower case with runs of other characters as "-"
#   (#facet-risk), so it is stable.
# runs: corpus
# why: An area page answers the same questions for every area (its Action, Architecture,
#   Risk...). As facets they can be compared across areas and asked for by name.
# after: 30-breadcrumbs

PREFIX schema: <http://schema.org/>
PREFIX kg:     <urn:kg:vocab:>
PREFIX kgg:    <urn:kg:graph:>
PREFIX skos:   <http://www.w3.org/2004/02/skos/core#>

CONSTRUCT {
  ?page kg:facet ?facet .
  ?facet a skos:Concept ; kg:kind "facet" ; skos:prefLabel ?label ; kg:question ?question ;
    kg:answer ?answer ; kg:source ?page .
}
WHERE {
  GRAPH kgg:concepts { ?page kg:kind ?kind }
  GRAPH ?page {
    ?asked a schema:Question ; schema:name ?asking .
    OPTIONAL { ?asked schema:acceptedAnswer/schema:text ?answering }
  }
  BIND(STR(?asking) AS ?question)
  # Answers may carry HTML (schema.org allows it there): tags become spaces, so that
  # paragraphs do not run together, and the spaces that leaves are closed up.
  BIND(REPLACE(REPLACE(REPLACE(STR(?answering), "</?[a-zA-Z][^<>]*>", " "), " {2,}", " "), "^ +| +$", "") AS ?answer)
  OPTIONAL { GRAPH kgg:link-scratch { kg:settings kg:facetPattern ?facetPattern } }
  BIND(COALESCE(IF(REGEX(?question, ?facetPattern, "i"), REPLACE(?question, ?facetPattern, "$1", "i"), ?question),
                ?question) AS ?label)
  BIND(REPLACE(REPLACE(LCASE(?label), "[^\\p{L}\\p{N}]+", "-"), "^-+|-+$", "") AS ?slug)
  BIND(IRI(CONCAT(STRBEFORE(CONCAT(STR(?page), "#"), "#"), "#facet-",
                  IF(?slug = "", SUBSTR(SHA1(?question), 1, 12), ?slug))) AS ?facet)
}
