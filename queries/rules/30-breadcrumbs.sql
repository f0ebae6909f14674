-- title: Breadcrumb hierarchy
-- derives: skos:broader from each item of a page's breadcrumb trail to the item one
--   position above it (Home › Area › Peer to Peer gives Peer to Peer broader Area, and Area
--   broader Home); trail items that are nothing else become concepts of kind "page". A
--   numbered page of an area in a trail (continuation pattern) stands for the area.
-- runs: corpus
-- why: The trail is the site's own statement of where a page sits. It ties every area to
--   the site's area index and home page, so the concept layer is one tree per site. The
--   trail items are a few thousand distinct IRIs however many pages name them: DuckDB
--   takes them DISTINCT first and compares them with the concepts in one anti-join. The
--   same rule in SPARQL is sparql/30-breadcrumbs.ru (the same layer); copy it into your
--   --rules folder to run it instead.
-- after: 00-settings, 25-definition-pages

-- The continuation patterns: each value of kg:continuationPattern (NULL for a value that is
-- not a string, with which SPARQL's REGEX fails), or one NULL when there is none. An item
-- is mapped once per pattern, as SPARQL's OPTIONAL gives one row per value.
CREATE TABLE patterns AS
  SELECT CASE WHEN datatype(value) = 'http://www.w3.org/2001/XMLSchema#string' THEN sparql_regex(value(value)) END AS pattern
  FROM settings WHERE name = 'continuationPattern'
  UNION ALL SELECT NULL WHERE NOT EXISTS (SELECT 1 FROM settings WHERE name = 'continuationPattern');

-- A pattern's match and replacement. With one value (the shipped settings) the pattern is
-- the setting's parameter (`one`), which DuckDB compiles once; a pattern read from a row is
-- compiled again for every row (milliseconds each, with its Unicode classes).
CREATE MACRO matches(text, pattern, one) AS CASE WHEN one IS NOT NULL
  THEN regexp_matches(text, sparql_regex(one)) ELSE regexp_matches(text, pattern) END;
-- The pattern is wrapped as (?:PATTERN)(): \1 is its own first group, or empty when it has
-- none, as SPARQL's REPLACE gives $1 (DuckDB refuses \1 without a group).
CREATE MACRO replaced(text, pattern, one, replacement) AS CASE WHEN one IS NOT NULL
  THEN regexp_replace(text, '(?:' || sparql_regex(one) || ')()', replacement, 'g')
  ELSE regexp_replace(text, '(?:' || pattern || ')()', replacement, 'g') END;

-- A trail item, or the page its IRI continues (group 1 of the pattern).
CREATE MACRO continued(item, pattern, one) AS
  CASE WHEN pattern IS NOT NULL AND matches(value(item), pattern, one)
    THEN iri(replaced(value(item), pattern, one, '\1')) ELSE item END;

-- Every trail's elements: (page, trail, element) for ?page schema:breadcrumb ?trail .
-- ?trail schema:itemListElement ?element, in the page's graph.
CREATE TABLE elements AS
  SELECT DISTINCT trails.g, trails.o AS trail, listed.o AS element
  FROM facts AS trails
  JOIN pages ON pages.page = trails.g
  JOIN facts AS listed ON listed.g = trails.g AND listed.s = trails.o AND listed.p = '<http://schema.org/itemListElement>'
  WHERE trails.p = '<http://schema.org/breadcrumb>' AND trails.s = trails.g;

-- Each element's IRI items.
CREATE TABLE items AS
  SELECT DISTINCT elements.g, elements.element, facts.o AS listed
  FROM elements JOIN facts ON facts.g = elements.g AND facts.s = elements.element
  WHERE facts.p = '<http://schema.org/item>' AND is_iri(facts.o);

-- SPARQL's xsd:integer() of a position: an integer (of any of XSD's integer types), a
-- string of digits, a decimal or a double (cut to its integer part) or a boolean; anything
-- else fails (NULL).
CREATE MACRO as_integer(t) AS CASE
  WHEN regexp_matches(t, '^"[+-]?[0-9]+"(\^\^<http://www\.w3\.org/2001/XMLSchema#(integer|int|long|short|byte|nonNegativeInteger|positiveInteger|nonPositiveInteger|negativeInteger|unsignedLong|unsignedInt|unsignedShort|unsignedByte|string)>)?$')
    THEN TRY_CAST(lexical(t) AS BIGINT)
  WHEN datatype(t) = 'http://www.w3.org/2001/XMLSchema#decimal'
    AND regexp_full_match(lexical(t), '[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)') THEN TRY_CAST(trunc(CAST(lexical(t) AS DOUBLE)) AS BIGINT)
  WHEN datatype(t) IN ('http://www.w3.org/2001/XMLSchema#double', 'http://www.w3.org/2001/XMLSchema#float')
    THEN TRY_CAST(trunc(TRY_CAST(lexical(t) AS DOUBLE)) AS BIGINT)
  WHEN datatype(t) = 'http://www.w3.org/2001/XMLSchema#boolean' AND lexical(t) IN ('true', '1') THEN 1
  WHEN datatype(t) = 'http://www.w3.org/2001/XMLSchema#boolean' AND lexical(t) IN ('false', '0') THEN 0
END;

-- Each element's positions, as integers.
CREATE TABLE positions AS
  SELECT g, element, position FROM (
    SELECT DISTINCT elements.g, elements.element, as_integer(facts.o) AS position
    FROM elements JOIN facts ON facts.g = elements.g AND facts.s = elements.element
    WHERE facts.p = '<http://schema.org/position>'
  ) WHERE position IS NOT NULL;

-- Step 1: every trail item once (or the page it continues) that is no concept yet.
CREATE TABLE trail_pages AS
  SELECT DISTINCT item
  FROM (SELECT continued(listed, pattern, CAST($continuationPattern AS VARCHAR)) AS item FROM (SELECT DISTINCT listed FROM items), patterns) AS mapped
  ANTI JOIN (SELECT s FROM concepts WHERE p = '<urn:kg:vocab:kind>') AS known ON known.s = mapped.item;

-- Step 2: each item broader than the one at the position below it, in the same trail.
CREATE TABLE steps AS
  SELECT DISTINCT continued(here.listed, pattern, CAST($continuationPattern AS VARCHAR)) AS item, continued(up.listed, pattern, CAST($continuationPattern AS VARCHAR)) AS above
  FROM elements AS here_in
  JOIN elements AS up_in ON up_in.g = here_in.g AND up_in.trail = here_in.trail
  JOIN positions AS here_at ON here_at.g = here_in.g AND here_at.element = here_in.element
  JOIN positions AS up_at ON up_at.g = up_in.g AND up_at.element = up_in.element AND up_at.position = here_at.position - 1
  JOIN items AS here ON here.g = here_in.g AND here.element = here_in.element
  JOIN items AS up ON up.g = up_in.g AND up.element = up_in.element,
  patterns;

SELECT item AS subject, iri('http://www.w3.org/1999/02/22-rdf-syntax-ns#type') AS predicate,
  iri('http://www.w3.org/2004/02/skos/core#Concept') AS object FROM trail_pages
UNION ALL SELECT item, iri('urn:kg:vocab:kind'), literal('page') FROM trail_pages
UNION ALL SELECT item, iri('http://www.w3.org/2004/02/skos/core#broader'), above FROM steps WHERE item <> above;
