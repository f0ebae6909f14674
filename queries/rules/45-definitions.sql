-- title: Definitions
-- derives: One skos:definition per concept that has a schema:description: the one on
--   the concept's own page if there is one, else the alphabetically first elsewhere, else
--   the first of its numbered pages (continuation pattern), with its HTML tags and the
--   settings' definition boilerplate ("⎊ Definition", "Meaning ⎊") cut from it and its
--   HTML entities decoded ("&amp;" -> "&").
-- runs: corpus
-- why: The description is what a glossary says a term means, but sites decorate it. The
--   concept layer holds the clean text; the raw description stays in the page graph.
--   Choosing each concept's description is a group-by over every page's descriptions,
--   which DuckDB does on columns. The same rule in SPARQL is sparql/45-definitions.ru (the
--   same layer); copy it into your --rules folder to run it instead.
-- after: 35-facets

-- HTML entities pages leave in their text ("Cookies &amp; Bars"), the ones they write,
-- decoded (the page graph keeps the text as given); &amp; last, so "&amp;lt;" is "&lt;".
CREATE MACRO decoded(x) AS CASE WHEN strpos(x, '&') = 0 THEN x ELSE
  regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
  regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(x,
    '&(quot|#0*34|#[xX]0*22);', '"', 'g'),
    '&(apos|#0*39|#[xX]0*27);', '''', 'g'),
    '&(lt|#0*60|#[xX]0*3[cC]);', '<', 'g'),
    '&(gt|#0*62|#[xX]0*3[eE]);', '>', 'g'),
    '&(nbsp|#0*160|#[xX]0*[aA]0);', ' ', 'g'),
    '&(ndash|#0*8211|#[xX]0*2013);', '–', 'g'),
    '&(mdash|#0*8212|#[xX]0*2014);', '—', 'g'),
    '&(lsquo|#0*8216|#[xX]0*2018);', '‘', 'g'),
    '&(rsquo|#0*8217|#[xX]0*2019);', '’', 'g'),
    '&(ldquo|#0*8220|#[xX]0*201[cC]);', '“', 'g'),
    '&(rdquo|#0*8221|#[xX]0*201[dD]);', '”', 'g'),
    '&(hellip|#0*8230|#[xX]0*2026);', '…', 'g'),
    '&(amp|#0*38|#[xX]0*26);', '&', 'g') END;

-- Tags become spaces and the spaces that leaves are closed up (some sites write HTML into
-- descriptions), then the entities are decoded.
CREATE MACRO cleaned(x) AS decoded(regexp_replace(regexp_replace(regexp_replace(x,
  '</?[a-zA-Z][^<>]*>', ' ', 'g'), ' {2,}', ' ', 'g'), '^ +| +$', '', 'g'));

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

-- The definition boilerplate patterns: each value of kg:definitionBoilerplate (NULL for one
-- that is not a string, with which SPARQL's REPLACE fails), or one NULL when there is none.
CREATE TABLE boilerplate AS
  SELECT CASE WHEN datatype(value) = 'http://www.w3.org/2001/XMLSchema#string' THEN sparql_regex(value(value)) END AS pattern
  FROM settings WHERE name = 'definitionBoilerplate'
  UNION ALL SELECT NULL WHERE NOT EXISTS (SELECT 1 FROM settings WHERE name = 'definitionBoilerplate');
CREATE MACRO definition_of(text, pattern, one) AS
  CASE WHEN pattern IS NULL THEN cleaned(text) ELSE replaced(cleaned(text), pattern, one, '') END;

CREATE TABLE kinds AS SELECT DISTINCT s AS concept FROM concepts WHERE p = '<urn:kg:vocab:kind>';

-- The descriptions the pages give of the concepts.
CREATE TABLE described AS
  SELECT facts.g, facts.s, facts.o FROM facts SEMI JOIN pages ON pages.page = facts.g
  SEMI JOIN kinds ON kinds.concept = facts.s
  WHERE facts.p = '<http://schema.org/description>';

-- Step 1: each concept's description on its own page (1), else the first elsewhere (2):
-- the first of the best rank, whose texts alone are read (a glossary page describes each
-- definition it lists; those are read only for a definition without a page of its own).
-- SPARQL's MIN is unbound when one of its values is an error (the STR of a blank node).
CREATE TABLE ranked AS
  SELECT s AS concept, CASE WHEN g = s THEN 1 ELSE 2 END AS rank, o AS text FROM described;
CREATE TABLE from_pages AS
  SELECT concept, definition FROM (
    SELECT concept, definition_of(best, pattern, CAST($definitionBoilerplate AS VARCHAR)) AS definition
    FROM (
      SELECT ranked.concept, CASE WHEN any_value(tops.blank) THEN NULL ELSE min(value(ranked.text)) END AS best
      FROM ranked
      JOIN (SELECT concept, min(rank) AS rank, bool_or(is_blank(text)) AS blank FROM ranked GROUP BY concept) AS tops
        ON tops.concept = ranked.concept AND tops.rank = ranked.rank
      GROUP BY ranked.concept
    ), boilerplate
  ) WHERE length(definition) > 0;

-- Step 2: a concept still without a definition takes the first description of its
-- numbered pages (each value of kg:continuationPattern that is a string).
CREATE TABLE continuation AS
  SELECT sparql_regex(value(value)) AS pattern FROM settings
  WHERE name = 'continuationPattern' AND datatype(value) = 'http://www.w3.org/2001/XMLSchema#string';
CREATE TABLE undefined AS
  SELECT concept FROM kinds
  ANTI JOIN (SELECT s AS concept FROM concepts WHERE p = '<http://www.w3.org/2004/02/skos/core#definition>'
    UNION ALL SELECT concept FROM from_pages) AS defined USING (concept);
CREATE TABLE numbered AS
  SELECT page, iri(replaced(value(page), pattern, CAST($continuationPattern AS VARCHAR), '\1')) AS concept
  FROM pages, continuation WHERE matches(value(page), pattern, CAST($continuationPattern AS VARCHAR));
CREATE TABLE from_numbered AS
  SELECT concept, definition FROM (
    SELECT concept, definition_of(first, pattern, CAST($definitionBoilerplate AS VARCHAR)) AS definition
    FROM (
      SELECT numbered.concept, CASE WHEN bool_or(is_blank(facts.o)) THEN NULL ELSE min(value(facts.o)) END AS first
      FROM numbered
      JOIN facts ON facts.g = numbered.page AND facts.s = numbered.page AND facts.p = '<http://schema.org/description>'
      SEMI JOIN undefined ON undefined.concept = numbered.concept
      GROUP BY numbered.concept
    ), boilerplate
  ) WHERE length(definition) > 0;

SELECT concept AS subject, iri('http://www.w3.org/2004/02/skos/core#definition') AS predicate, literal(definition) AS object
FROM from_pages
UNION ALL SELECT concept, iri('http://www.w3.org/2004/02/skos/core#definition'), literal(definition) FROM from_numbered;
