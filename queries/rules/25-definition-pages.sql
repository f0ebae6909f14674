-- title: Definition pages
-- derives: A skos:Concept of kind "definition" (or "term", by the same IRI pattern) for
--   every page that is not an area and whose own node is, or is schema:about or
--   schema:mainEntity, a thing of a definition type of the settings (schema:DefinedTerm),
--   or whose IRI matches the settings' definition IRI pattern (a /definition/ page).
-- runs: corpus
-- why: A definition can have a page of its own that no area in the corpus lists; it is
--   still a definition (the orphans query finds these), not an unclassified page. A page
--   about a thing that is a concept already (listed by its own IRI) is not a second one.
--   Each test is a join or an anti-join of the pages with their facts and the concepts,
--   which DuckDB runs on columns; sparql/25-definition-pages.ru is the same rule in SPARQL
--   (the same layer): copy it into your --rules folder to run it instead.
-- after: 20-members

-- The settings this rule reads; a pattern that is not a simple literal matches nothing
-- (an error for SPARQL's REGEX).
CREATE TABLE definition_types AS SELECT DISTINCT value AS t FROM settings WHERE name = 'definitionType';
CREATE MACRO pattern_of(t) AS
  CASE WHEN is_literal(t) AND datatype(t) = 'http://www.w3.org/2001/XMLSchema#string' THEN value(t) END;
CREATE TABLE definition_patterns AS
  SELECT pattern_of(value) AS pattern FROM settings WHERE name = 'definitionIriPattern';
CREATE TABLE term_patterns AS
  SELECT pattern_of(value) AS pattern FROM settings WHERE name = 'termIriPattern';
-- One pattern, the usual case, is the setting's parameter, compiled once; several are
-- compiled once per row.
CREATE TABLE one_definition_pattern AS
  SELECT count(*) = 1 AND count(pattern) = 1 AS one FROM definition_patterns;
CREATE TABLE one_term_pattern AS
  SELECT count(*) = 1 AND count(pattern) = 1 AS one FROM term_patterns;

-- What is a concept already (any kind), and what each page's own node is about or has as
-- its main entity.
CREATE TABLE known AS SELECT DISTINCT s AS concept FROM concepts WHERE p = '<urn:kg:vocab:kind>';
CREATE TABLE topics AS
  SELECT DISTINCT g AS page, o AS topic FROM facts
  WHERE p IN ('<http://schema.org/about>', '<http://schema.org/mainEntity>') AND s = g;

-- Step 1: pages whose own node, or what it is about or has as its main entity, is of a
-- definition type, and that are neither a concept nor about one.
CREATE TABLE typed AS
  SELECT q.g AS page, q.s AS thing
  FROM facts AS q JOIN definition_types AS t ON q.o = t.t
  WHERE q.p = '<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>';
CREATE TABLE by_type AS
  SELECT DISTINCT page FROM (
    SELECT page FROM typed WHERE thing = page
    UNION ALL SELECT t.page FROM topics AS t JOIN typed AS d ON d.page = t.page AND d.thing = t.topic
  ) SEMI JOIN pages USING (page)
  WHERE page NOT IN (SELECT concept FROM known)
    AND page NOT IN (SELECT t.page FROM topics AS t JOIN known AS k ON k.concept = t.topic);

-- Step 2: pages whose IRI matches a definition pattern, with the same exceptions, what
-- step 1 made counting as concepts already.
CREATE TABLE known_after AS SELECT concept FROM known UNION SELECT page FROM by_type;
CREATE TABLE by_iri AS
  SELECT DISTINCT p.page
  FROM (
    SELECT page FROM pages
    WHERE (SELECT one FROM one_definition_pattern) AND regexp_matches(value(page), $definitionIriPattern)
    UNION ALL
    SELECT page FROM pages
    JOIN (SELECT pattern FROM definition_patterns WHERE NOT (SELECT one FROM one_definition_pattern)) AS d
      ON regexp_matches(value(page), d.pattern)
  ) AS p
  WHERE p.page NOT IN (SELECT concept FROM known_after)
    AND p.page NOT IN (SELECT t.page FROM topics AS t JOIN known_after AS k ON k.concept = t.topic);

CREATE TABLE made AS SELECT page FROM by_type UNION SELECT page FROM by_iri;
CREATE TABLE kinds AS
  SELECT page, CASE WHEN regexp_matches(value(page), $termIriPattern) THEN '"term"' ELSE '"definition"' END AS kind
  FROM made WHERE (SELECT one FROM one_term_pattern)
  UNION ALL
  SELECT d.page, CASE WHEN regexp_matches(value(d.page), t.pattern) THEN '"term"' ELSE '"definition"' END
  FROM made AS d LEFT JOIN term_patterns AS t ON true WHERE NOT (SELECT one FROM one_term_pattern);

SELECT page AS subject, '<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>' AS predicate,
  '<http://www.w3.org/2004/02/skos/core#Concept>' AS object FROM kinds
UNION ALL SELECT page, '<urn:kg:vocab:kind>', kind FROM kinds;
