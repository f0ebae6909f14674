-- title: Areas
-- derives: A skos:Concept of kind "area" for every page whose own node lists other pages
--   through a member property of the settings (schema:hasPart, schema:hasDefinedTerm);
--   for every thing of an area type (schema:DefinedTermSet) that lists members; and for
--   every thing a member names through a member-of property (schema:inDefinedTermSet).
--   A page whose main entity is a list (schema:ItemList) is an area of its items, and so is
--   a page where a list stands alone, unless the page has a main thing of its own (a
--   Recipe, an Article: see kg:mainThingType). An area listed over numbered pages
--   (/area/x/resource/2/) is one area, its first page.
-- runs: corpus
-- why: An area page is a collection: the page itself is the concept, and the things it
--   lists are its definitions. Only members outside the page's own document count, so a
--   page that lists its own sections (WebPageElement nodes, #fragments) is not an area.
--   schema.org has a vocabulary of its own for glossaries, and a set of defined terms is an
--   area by what it is, wherever it is described and whatever it lists. A recipe page's
--   "more recipes" list, or a news article's "most read", is the site's navigation beside
--   the page's subject, not a collection the page is about. Each test is a join or an
--   anti-join over the facts filtered on their predicate first, which DuckDB runs on
--   columns; sparql/10-areas.ru is the same rule in SPARQL (the same layer): copy it into
--   your --rules folder to run it instead.
-- after: 00-settings

-- The settings this rule reads (terms, each a row; none when a setting is missing).
CREATE TABLE member_properties AS SELECT DISTINCT value AS p FROM settings WHERE name = 'memberProperty';
CREATE TABLE member_of_properties AS SELECT DISTINCT value AS p FROM settings WHERE name = 'memberOfProperty';
CREATE TABLE list_types AS SELECT DISTINCT value AS t FROM settings WHERE name = 'listType';
CREATE TABLE main_thing_types AS SELECT DISTINCT value AS t FROM settings WHERE name = 'mainThingType';
CREATE TABLE area_types AS SELECT DISTINCT value AS t FROM settings WHERE name = 'areaType';

-- The document of an IRI term: its text before the first '#'.
CREATE MACRO document(t) AS split_part(substr(t, 2, length(t) - 2), '#', 1);

-- Each page with the area it stands for: the page itself, or the page it continues when its
-- IRI matches a continuation pattern (REPLACE keeps group 1, empty when the pattern has
-- none; a pattern that is not a simple literal, or a result that is not an absolute IRI,
-- is an error in SPARQL, and the COALESCE keeps the page). One row per pattern: with none,
-- the page itself. One pattern, the usual case, is the parameter, compiled once; several
-- are compiled once per page.
CREATE MACRO pattern_of(t) AS
  CASE WHEN is_literal(t) AND datatype(t) = 'http://www.w3.org/2001/XMLSchema#string' THEN value(t) END;
CREATE TABLE continuation_patterns AS
  SELECT pattern_of(value) AS pattern FROM settings WHERE name = 'continuationPattern';
CREATE TABLE one_continuation_pattern AS
  SELECT count(*) = 1 AND count(pattern) = 1 AS one FROM continuation_patterns;
CREATE MACRO continues(page, pattern) AS
  CASE WHEN regexp_matches(regexp_replace(value(page), '(?:' || pattern || ')()', '\1', 'g'), '^[A-Za-z][A-Za-z0-9+.-]*:')
    THEN iri(regexp_replace(value(page), '(?:' || pattern || ')()', '\1', 'g')) END;
CREATE TABLE continued AS
  SELECT page, coalesce(CASE WHEN regexp_matches(value(page), $continuationPattern)
      THEN continues(page, $continuationPattern) END, page) AS area
  FROM pages WHERE (SELECT one FROM one_continuation_pattern)
  UNION ALL
  SELECT page, coalesce(CASE WHEN regexp_matches(value(page), pattern) THEN continues(page, pattern) END, page)
  FROM pages LEFT JOIN continuation_patterns ON true WHERE NOT (SELECT one FROM one_continuation_pattern);

-- Step 1: pages whose own node lists a member outside the page's document.
CREATE TABLE by_members AS
  SELECT DISTINCT q.g AS page
  FROM facts AS q JOIN member_properties AS m ON q.p = m.p
  WHERE q.s = q.g AND is_iri(q.o) AND document(q.o) <> document(q.g);

-- Step 2: the lists of a list type on each page, and the page's list items outside its document.
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
-- A page's own main entities (schema:mainEntity of the page, or naming the page through
-- schema:mainEntityOfPage), and the things of a main-thing type nothing else on the page holds.
CREATE TABLE main_entities AS
  SELECT g AS page, o AS main FROM list_facts WHERE p = '<http://schema.org/mainEntity>' AND s = g;
CREATE TABLE main_entities_of_page AS
  SELECT g AS page, s AS main FROM list_facts WHERE p = '<http://schema.org/mainEntityOfPage>' AND o = g;
CREATE TABLE standalone_main_things AS
  SELECT DISTINCT q.g AS page
  FROM list_facts AS q JOIN main_thing_types AS m ON q.o = m.t
  WHERE q.p = '<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>'
    AND NOT EXISTS (SELECT 1 FROM list_facts AS h WHERE h.g = q.g AND h.o = q.s AND h.s <> q.s);
-- A list counts when it is the page's main entity, or when nothing on the page holds it and
-- the page has no main thing of its own.
CREATE TABLE counted_lists AS
  SELECT page, list FROM lists AS l
  WHERE EXISTS (SELECT 1 FROM main_entities AS m WHERE m.page = l.page AND m.main = l.list)
    OR (NOT EXISTS (SELECT 1 FROM list_facts AS h WHERE h.g = l.page AND h.o = l.list)
      AND NOT EXISTS (SELECT 1 FROM main_entities AS m WHERE m.page = l.page AND m.main <> l.list)
      AND NOT EXISTS (SELECT 1 FROM main_entities_of_page AS m WHERE m.page = l.page AND m.main <> l.list)
      AND l.page NOT IN (SELECT page FROM standalone_main_things));
CREATE TABLE by_lists AS
  SELECT DISTINCT c.page
  FROM counted_lists AS c JOIN list_parts AS p ON p.page = c.page AND p.list = c.list
  WHERE is_iri(p.part) AND document(p.part) <> document(p.page);

CREATE TABLE page_areas AS
  SELECT DISTINCT c.area FROM continued AS c
  WHERE c.page IN (SELECT page FROM by_members) OR c.page IN (SELECT page FROM by_lists);

-- Step 3 reads every named graph (GRAPH ?page): the pages', the layer's (with what steps 1
-- and 2 made), the settings'.
CREATE TABLE own AS
  SELECT '<urn:kg:graph:concepts>' AS g, area AS s, '<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>' AS p,
    '<http://www.w3.org/2004/02/skos/core#Concept>' AS o FROM page_areas
  UNION ALL SELECT '<urn:kg:graph:concepts>', area, '<urn:kg:vocab:kind>', '"area"' FROM page_areas;
CREATE VIEW graphs AS
  SELECT g, s, p, o FROM quads
  UNION ALL SELECT g, s, p, o FROM layer
  UNION ALL SELECT g, s, p, o FROM own
  UNION ALL SELECT '<urn:kg:graph:link-scratch>', '<urn:kg:vocab:settings>', iri('urn:kg:vocab:' || name), value FROM settings;

-- Step 3: things of an area type with a member (an IRI other than themselves) in the same
-- graph, and things a member names through a member-of property.
CREATE TABLE typed_areas AS
  SELECT DISTINCT q.g, q.s AS area
  FROM graphs AS q JOIN area_types AS a ON q.o = a.t
  WHERE q.p = '<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>' AND is_iri(q.s);
CREATE TABLE set_areas AS
  SELECT t.area FROM typed_areas AS t
  WHERE EXISTS (
    SELECT 1 FROM graphs AS q JOIN member_properties AS m ON q.p = m.p
    WHERE q.g = t.g AND q.s = t.area AND is_iri(q.o) AND q.o <> t.area)
  UNION
  SELECT q.o FROM graphs AS q JOIN member_of_properties AS m ON q.p = m.p
  WHERE is_iri(q.s) AND is_iri(q.o) AND q.s <> q.o;

CREATE TABLE areas AS SELECT area FROM page_areas UNION SELECT area FROM set_areas;

SELECT area AS subject, '<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>' AS predicate,
  '<http://www.w3.org/2004/02/skos/core#Concept>' AS object FROM areas
UNION ALL SELECT area, '<urn:kg:vocab:kind>', '"area"' FROM areas;
