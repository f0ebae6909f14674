-- title: Definitions and terms of areas
-- derives: area skos:narrower member, for every member an area lists and every member that
--   names its area (see 10-areas); each member that is not itself an area becomes a
--   skos:Concept of kind "term" when its IRI matches the settings' term pattern, and
--   "definition" otherwise.
-- runs: corpus
-- why: This is the link the knowledge graph exists for: which definitions an area is made
--   of. An area listed by another area stays an area (and becomes its narrower concept).
--   Each way of listing is a join over the facts filtered on their predicate first, which
--   DuckDB runs on columns; sparql/20-members.ru is the same rule in SPARQL (the same
--   layer): copy it into your --rules folder to run it instead.
-- after: 10-areas

-- The settings this rule reads (terms, each a row; none when a setting is missing).
CREATE TABLE member_properties AS SELECT DISTINCT value AS p FROM settings WHERE name = 'memberProperty';
CREATE TABLE member_of_properties AS SELECT DISTINCT value AS p FROM settings WHERE name = 'memberOfProperty';
CREATE TABLE list_types AS SELECT DISTINCT value AS t FROM settings WHERE name = 'listType';
CREATE TABLE main_thing_types AS SELECT DISTINCT value AS t FROM settings WHERE name = 'mainThingType';
CREATE TABLE area_types AS SELECT DISTINCT value AS t FROM settings WHERE name = 'areaType';
-- A pattern setting as a regular expression: NULL when it is not a simple literal (an
-- error for SPARQL's REGEX, which matches nothing then).
CREATE MACRO pattern_of(t) AS
  CASE WHEN is_literal(t) AND datatype(t) = 'http://www.w3.org/2001/XMLSchema#string' THEN value(t) END;
CREATE TABLE continuation_patterns AS
  SELECT pattern_of(value) AS pattern FROM settings WHERE name = 'continuationPattern';
CREATE TABLE term_patterns AS
  SELECT pattern_of(value) AS pattern FROM settings WHERE name = 'termIriPattern';

-- One pattern, the usual case, is the setting's parameter, compiled once; several are
-- compiled once per row.
CREATE TABLE one_continuation_pattern AS
  SELECT count(*) = 1 AND count(pattern) = 1 AS one FROM continuation_patterns;
CREATE TABLE one_term_pattern AS
  SELECT count(*) = 1 AND count(pattern) = 1 AS one FROM term_patterns;

-- The document of an IRI term: its text before the first '#'.
CREATE MACRO document(t) AS split_part(substr(t, 2, length(t) - 2), '#', 1);
-- The page a numbered page continues (group 1 of the pattern, empty when it has none),
-- NULL when that is not an absolute IRI (an error for SPARQL's IRI()).
CREATE MACRO continues(page, pattern) AS
  CASE WHEN regexp_matches(regexp_replace(value(page), '(?:' || pattern || ')()', '\1', 'g'), '^[A-Za-z][A-Za-z0-9+.-]*:')
    THEN iri(regexp_replace(value(page), '(?:' || pattern || ')()', '\1', 'g')) END;

-- The areas rule 10 made.
CREATE TABLE areas AS
  SELECT DISTINCT s AS area FROM concepts WHERE p = '<urn:kg:vocab:kind>' AND o = '"area"';

-- Step 1: what an area's own node lists in its own page graph, outside its document.
CREATE TABLE by_members AS
  SELECT a.area, q.o AS part
  FROM quads AS q JOIN member_properties AS m ON q.p = m.p JOIN areas AS a ON q.g = a.area AND q.s = a.area
  WHERE is_iri(q.o) AND document(q.o) <> document(a.area);

-- Step 2: what a numbered page's own node lists, for the area it continues (when that is an
-- area). A page whose continued IRI is an error leaves ?area unbound in SPARQL, which the
-- next pattern then joins with every area.
CREATE TABLE numbered AS
  SELECT page, continues(page, $continuationPattern) AS area
  FROM pages WHERE (SELECT one FROM one_continuation_pattern) AND regexp_matches(value(page), $continuationPattern)
  UNION ALL
  SELECT page, continues(page, pattern) AS area
  FROM pages JOIN (SELECT pattern FROM continuation_patterns WHERE NOT (SELECT one FROM one_continuation_pattern))
    ON regexp_matches(value(page), pattern);
CREATE TABLE numbered_areas AS
  SELECT n.page, a.area FROM numbered AS n JOIN areas AS a ON a.area = n.area
  UNION ALL SELECT n.page, a.area FROM numbered AS n, areas AS a WHERE n.area IS NULL;
CREATE TABLE by_continuations AS
  SELECT n.area, q.o AS part
  FROM numbered_areas AS n JOIN quads AS q ON q.g = n.page AND q.s = n.page JOIN member_properties AS m ON q.p = m.p
  WHERE is_iri(q.o) AND document(q.o) <> document(n.page);

-- Step 3: the items of the lists that make their page an area (see 10-areas), for the area
-- the page stands for (itself, or the page it continues).
CREATE TABLE lists AS
  SELECT DISTINCT q.g AS page, q.s AS list
  FROM facts AS q JOIN list_types AS l ON q.o = l.t
  WHERE q.p = '<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>';
-- The facts of the pages with a list, which the tests below read.
CREATE TABLE list_facts AS
  SELECT q.g, q.s, q.p, q.o FROM facts AS q SEMI JOIN (SELECT DISTINCT page FROM lists) AS l ON q.g = l.page;
CREATE TABLE list_parts AS
  SELECT DISTINCT e.g AS page, e.s AS list, coalesce(i.o, e.o) AS part
  FROM (SELECT g, s, o FROM list_facts WHERE p = '<http://schema.org/itemListElement>') AS e
  SEMI JOIN lists AS l ON l.page = e.g AND l.list = e.s
  LEFT JOIN (SELECT g, s, o FROM list_facts WHERE p = '<http://schema.org/item>') AS i ON i.g = e.g AND i.s = e.o;
CREATE TABLE main_entities AS
  SELECT g AS page, o AS main FROM list_facts WHERE p = '<http://schema.org/mainEntity>' AND s = g;
CREATE TABLE main_entities_of_page AS
  SELECT g AS page, s AS main FROM list_facts WHERE p = '<http://schema.org/mainEntityOfPage>' AND o = g;
CREATE TABLE standalone_main_things AS
  SELECT DISTINCT q.g AS page
  FROM list_facts AS q JOIN main_thing_types AS m ON q.o = m.t
  WHERE q.p = '<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>'
    AND NOT EXISTS (SELECT 1 FROM list_facts AS h WHERE h.g = q.g AND h.o = q.s AND h.s <> q.s);
CREATE TABLE counted_lists AS
  SELECT page, list FROM lists AS l
  WHERE EXISTS (SELECT 1 FROM main_entities AS m WHERE m.page = l.page AND m.main = l.list)
    OR (NOT EXISTS (SELECT 1 FROM list_facts AS h WHERE h.g = l.page AND h.o = l.list)
      AND NOT EXISTS (SELECT 1 FROM main_entities AS m WHERE m.page = l.page AND m.main <> l.list)
      AND NOT EXISTS (SELECT 1 FROM main_entities_of_page AS m WHERE m.page = l.page AND m.main <> l.list)
      AND l.page NOT IN (SELECT page FROM standalone_main_things));
CREATE TABLE continued AS
  SELECT page, coalesce(CASE WHEN regexp_matches(value(page), $continuationPattern)
      THEN continues(page, $continuationPattern) END, page) AS area
  FROM pages WHERE (SELECT one FROM one_continuation_pattern)
  UNION ALL
  SELECT page, coalesce(CASE WHEN regexp_matches(value(page), pattern) THEN continues(page, pattern) END, page)
  FROM pages LEFT JOIN continuation_patterns ON true WHERE NOT (SELECT one FROM one_continuation_pattern);
CREATE TABLE by_lists AS
  SELECT c.area, p.part
  FROM counted_lists AS l
  JOIN continued AS c ON c.page = l.page
  JOIN areas AS a ON a.area = c.area
  JOIN list_parts AS p ON p.page = l.page AND p.list = l.list
  WHERE is_iri(p.part) AND document(p.part) <> document(p.page);

-- Step 4 reads every named graph (GRAPH ?page): the pages', the layer's (with what steps 1
-- to 3 made), the settings'.
CREATE TABLE listed AS
  SELECT area, part FROM by_members UNION SELECT area, part FROM by_continuations UNION SELECT area, part FROM by_lists;
CREATE VIEW graphs AS
  SELECT g, s, p, o FROM quads
  UNION ALL SELECT g, s, p, o FROM layer
  UNION ALL SELECT '<urn:kg:graph:concepts>', area, '<http://www.w3.org/2004/02/skos/core#narrower>', part FROM listed
  UNION ALL SELECT '<urn:kg:graph:link-scratch>', '<urn:kg:vocab:settings>', iri('urn:kg:vocab:' || name), value FROM settings;

-- Step 4: a set of an area type lists its members in any graph that gives its type; a
-- member lists itself in the set it names.
CREATE TABLE typed_sets AS
  SELECT DISTINCT q.g, q.s AS area
  FROM graphs AS q JOIN area_types AS a ON q.o = a.t
  WHERE q.p = '<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>' AND is_iri(q.s);
CREATE TABLE by_sets AS
  SELECT t.area, q.o AS part
  FROM typed_sets AS t JOIN graphs AS q ON q.g = t.g AND q.s = t.area JOIN member_properties AS m ON q.p = m.p
  WHERE is_iri(q.o) AND q.o <> t.area
  UNION
  SELECT q.o, q.s FROM graphs AS q JOIN member_of_properties AS m ON q.p = m.p
  WHERE is_iri(q.s) AND is_iri(q.o) AND q.s <> q.o;

CREATE TABLE narrower AS SELECT area, part FROM listed UNION SELECT area, part FROM by_sets;

-- Step 5: each member of an area (in the concept graph, with what steps 1 to 4 made) that is
-- not an area itself, once, with its kind; a literal is no subject (a CONSTRUCT leaves it
-- out), and STR of a blank node is an error, which makes it a "definition".
CREATE TABLE members AS
  SELECT DISTINCT n.part FROM (
    SELECT s AS area, o AS part FROM concepts WHERE p = '<http://www.w3.org/2004/02/skos/core#narrower>'
    UNION ALL SELECT area, part FROM narrower
  ) AS n
  SEMI JOIN areas AS a ON a.area = n.area
  WHERE NOT is_literal(n.part) AND n.part NOT IN (SELECT area FROM areas);
CREATE TABLE kinds AS
  SELECT part, CASE WHEN NOT is_blank(part) AND regexp_matches(value(part), $termIriPattern) THEN '"term"'
    ELSE '"definition"' END AS kind
  FROM members WHERE (SELECT one FROM one_term_pattern)
  UNION ALL
  SELECT m.part, CASE WHEN NOT is_blank(m.part) AND regexp_matches(value(m.part), t.pattern) THEN '"term"'
    ELSE '"definition"' END
  FROM members AS m LEFT JOIN term_patterns AS t ON true WHERE NOT (SELECT one FROM one_term_pattern);

SELECT area AS subject, '<http://www.w3.org/2004/02/skos/core#narrower>' AS predicate, part AS object FROM narrower
UNION ALL SELECT part, '<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>', '<http://www.w3.org/2004/02/skos/core#Concept>'
  FROM kinds
UNION ALL SELECT part, '<urn:kg:vocab:kind>', kind FROM kinds;
