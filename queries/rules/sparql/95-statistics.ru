# title: Statistics
# derives: In the graph <urn:kg:graph:statistics>, one kg:Statistic per measure, with
#   rdfs:label (the measure: "pages", "concepts: area", "links: broader"...) and kg:count;
#   its IRI is urn:kg:statistic: + the measure in lower case with runs of other characters
#   as "-" (urn:kg:statistic:concepts-area), so it is stable. The stats query reads them.
# runs: corpus
# why: Counting the whole store is a scan (tens of seconds at 100,000 pages), and counts
#   change only when the pages or the concept layer do, that is in `kg build` and `kg link`,
#   which run this rule. Counts are as of the last of those; an update by
#   `kg query --update` shows in them after `kg link`.
#   Each count scans one index; the area-to-definition links join three lists, each read
#   once in a subquery and joined through a hash table (a lookup per link would be slower
#   tenfold).

PREFIX kg:     <urn:kg:vocab:>
PREFIX kgg:    <urn:kg:graph:>
PREFIX prov:   <http://www.w3.org/ns/prov#>
PREFIX rdfs:   <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos:   <http://www.w3.org/2004/02/skos/core#>

# into: kgg:statistics
CONSTRUCT { ?statistic a kg:Statistic ; rdfs:label ?measure ; kg:count ?count }
WHERE {
  {
    SELECT ("pages" AS ?measure) (COUNT(*) AS ?count)
    WHERE { GRAPH kgg:provenance { ?page a prov:Entity } }
  } UNION {
    SELECT ("pages with errors" AS ?measure) (COUNT(DISTINCT ?page) AS ?count)
    WHERE { GRAPH kgg:provenance { ?page kg:error ?error } }
  } UNION {
    SELECT (CONCAT("concepts: ", ?kind) AS ?measure) (COUNT(*) AS ?count)
    WHERE { GRAPH kgg:concepts { ?concept kg:kind ?kind } }
    GROUP BY ?kind
  } UNION {
    SELECT ("links: area to definition" AS ?measure) (COUNT(*) AS ?count)
    WHERE {
      { SELECT ?area WHERE { GRAPH kgg:concepts { ?area kg:kind "area" } } }
      { SELECT ?area ?member WHERE { GRAPH kgg:concepts { ?area skos:narrower ?member } } }
      { SELECT ?member WHERE { GRAPH kgg:concepts { VALUES ?kind { "definition" "term" } ?member kg:kind ?kind } } }
    }
  } UNION {
    SELECT ("links: broader" AS ?measure) (COUNT(*) AS ?count)
    WHERE { GRAPH kgg:concepts { ?narrower skos:broader ?broader } }
  } UNION {
    # Rule 80 states each related pair both ways; this counts the statements.
    SELECT ("links: related (both ways)" AS ?measure) (COUNT(*) AS ?count)
    WHERE { GRAPH kgg:concepts { ?one skos:related ?other } }
  } UNION {
    SELECT ("links: facets" AS ?measure) (COUNT(*) AS ?count)
    WHERE { GRAPH kgg:concepts { ?concept kg:facet ?facet } }
  }
  BIND(IRI(CONCAT("urn:kg:statistic:", ENCODE_FOR_URI(REPLACE(REPLACE(LCASE(?measure), "[^\\p{L}\\p{N}]+", "-"), "-+$", "")))) AS ?statistic)
}
