-- title: Statistics
-- derives: In the graph <urn:kg:graph:statistics>, one kg:Statistic per measure, with
--   rdfs:label (the measure: "pages", "concepts: area", "links: broader"...) and kg:count;
--   its IRI is urn:kg:statistic: + the measure in lower case with runs of other characters
--   as "-" (urn:kg:statistic:concepts-area), so it is stable. The stats query reads them.
-- runs: corpus
-- why: Counting the whole store is a scan (tens of seconds at 100,000 pages), and counts
--   change only when the pages or the concept layer do, that is in `kg build` and `kg link`,
--   which run this rule. Counts are as of the last of those; an update by
--   `kg query --update` shows in them after `kg link`. Each count reads one list of the
--   tables once. The same rule in SPARQL (sparql/95-statistics.ru, the same layer) can be
--   copied into your --rules folder to run it instead.

-- The links of one property in the concept graph (each once: the layer holds a triple once).
CREATE MACRO links(property) AS TABLE SELECT s, o FROM concepts WHERE p = property;

-- Each measure (its text) and its count. A kind that is not a string gives no measure, as
-- CONCAT gives none; two kinds of the same text (one with a language tag) count apart.
CREATE TABLE measures AS
  SELECT 'pages' AS measure, count(*) AS count FROM pages
  UNION ALL
  SELECT 'pages with errors', count(DISTINCT s) FROM quads
  WHERE g = '<urn:kg:graph:provenance>' AND p = '<urn:kg:vocab:error>'
  UNION ALL
  SELECT 'concepts: ' || value(o), count FROM (SELECT o, count(*) AS count FROM links('<urn:kg:vocab:kind>') GROUP BY o)
  WHERE datatype(o) IN ('http://www.w3.org/2001/XMLSchema#string', 'http://www.w3.org/1999/02/22-rdf-syntax-ns#langString')
  UNION ALL
  -- Each member counts once per kind it has of the two (an area has the kind "area" once).
  SELECT 'links: area to definition', count(*)
  FROM links('<http://www.w3.org/2004/02/skos/core#narrower>') AS narrower
  JOIN (SELECT s FROM concepts WHERE p = '<urn:kg:vocab:kind>' AND o = '"area"') AS areas ON areas.s = narrower.s
  JOIN (SELECT s FROM concepts WHERE p = '<urn:kg:vocab:kind>' AND o IN ('"definition"', '"term"')) AS members
    ON members.s = narrower.o
  UNION ALL
  SELECT 'links: broader', count(*) FROM links('<http://www.w3.org/2004/02/skos/core#broader>')
  UNION ALL
  SELECT 'links: related (both ways)', count(*) FROM links('<http://www.w3.org/2004/02/skos/core#related>')
  UNION ALL
  SELECT 'links: facets', count(*) FROM links('<urn:kg:vocab:facet>');

CREATE TABLE statistics AS
  SELECT iri('urn:kg:statistic:' || url_encode(regexp_replace(regexp_replace(lcase(measure),
      '[^\p{L}\p{N}]+', '-', 'g'), '-+$', ''))) AS statistic, measure, count
  FROM measures;

SELECT '<urn:kg:graph:statistics>' AS graph, statistic AS subject,
  iri('http://www.w3.org/1999/02/22-rdf-syntax-ns#type') AS predicate, iri('urn:kg:vocab:Statistic') AS object
  FROM statistics
UNION ALL SELECT '<urn:kg:graph:statistics>', statistic, iri('http://www.w3.org/2000/01/rdf-schema#label'), literal(measure)
  FROM statistics
UNION ALL SELECT '<urn:kg:graph:statistics>', statistic, iri('urn:kg:vocab:count'), integer_literal(count)
  FROM statistics;
