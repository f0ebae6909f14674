-- title: Preferred labels
-- derives: One skos:prefLabel per concept (facets already have theirs): the first of the
--   concept's headline on its own page, the headline of the thing whose page it is
--   (schema:mainEntityOfPage), its name on its own page, a headline on another page, a
--   name on another page, the name of a breadcrumb item pointing at it, the headline or
--   name of one of its numbered pages; ties go to the alphabetically first. HTML entities
--   are decoded ("Cookies &amp; Bars" -> "Cookies & Bars") and the settings' label
--   boilerplate is cut from it. A concept no page names (a list's member given by its URL
--   alone) takes the last segment of its IRI's path, made readable, with kg:labelFromIri
--   true. Each label also gets kg:key, the label in lower case,
--   which queries look up to find a concept by its label whatever the case (an index
--   lookup; comparing LCASE of every label is a scan).
-- runs: corpus
-- why: SKOS allows one preferred label per concept, and a definition's own page is the
--   authority on its title; an area's listing of it is a copy. Every concept has a label,
--   so that no list drops a concept for want of one. Choosing the best of every page's
--   candidates is a group-by over the whole corpus, which DuckDB does on columns; the
--   three ways to a label (the pages, the numbered pages, the IRI) are three tables, each
--   for the concepts the one before left without a label. The same rule in SPARQL is
--   sparql/40-labels.ru (the same layer); copy it into your --rules folder to run it instead.
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

-- The label boilerplate patterns: each value of kg:labelBoilerplate (NULL for one that is
-- not a string, with which SPARQL's REPLACE fails), or one NULL when there is none.
CREATE TABLE boilerplate AS
  SELECT CASE WHEN datatype(value) = 'http://www.w3.org/2001/XMLSchema#string' THEN sparql_regex(value(value)) END AS pattern
  FROM settings WHERE name = 'labelBoilerplate'
  UNION ALL SELECT NULL WHERE NOT EXISTS (SELECT 1 FROM settings WHERE name = 'labelBoilerplate');

-- A label from the best candidate ("1Peer to Peer": the rank, then the text): decoded,
-- and cut by each boilerplate pattern.
CREATE MACRO label_of(best, pattern, one) AS CASE WHEN pattern IS NULL THEN decoded(substr(best, 2))
  ELSE replaced(decoded(substr(best, 2)), pattern, one, '') END;

-- The concepts without a label.
CREATE TABLE unlabelled AS
  SELECT concept FROM (SELECT DISTINCT s AS concept FROM concepts WHERE p = '<urn:kg:vocab:kind>') AS kinds
  ANTI JOIN (SELECT s FROM concepts WHERE p = '<http://www.w3.org/2004/02/skos/core#prefLabel>') AS labelled
    ON labelled.s = kinds.concept;

-- What the pages say that may name a concept.
CREATE TABLE named AS
  SELECT facts.g, facts.s, facts.p, facts.o FROM facts SEMI JOIN pages ON pages.page = facts.g
  WHERE facts.p IN ('<http://schema.org/headline>', '<http://schema.org/name>',
    '<http://schema.org/mainEntityOfPage>', '<http://schema.org/item>');

-- Step 1: every page's candidates, ranked: the headline on its own page (1), the headline
-- of the thing whose page it is (2), its name on its own page (3), a headline (4) or a
-- name (5) on another page, the name of a breadcrumb item pointing at it (6).
CREATE TABLE candidates AS
  SELECT s AS concept, CASE WHEN g = s THEN 1 ELSE 4 END AS rank, o AS text FROM named WHERE p = '<http://schema.org/headline>'
  UNION ALL SELECT page.o, 2, headline.o
    FROM named AS page JOIN named AS headline ON headline.g = page.g AND headline.s = page.s
      AND headline.p = '<http://schema.org/headline>'
    WHERE page.p = '<http://schema.org/mainEntityOfPage>' AND page.o = page.g
  UNION ALL SELECT s, CASE WHEN g = s THEN 3 ELSE 5 END, o FROM named WHERE p = '<http://schema.org/name>'
  UNION ALL SELECT crumb.o, 6, name.o
    FROM named AS crumb JOIN named AS name ON name.g = crumb.g AND name.s = crumb.s AND name.p = '<http://schema.org/name>'
    WHERE crumb.p = '<http://schema.org/item>';

-- The first candidate of each unlabelled concept (SPARQL's MIN is unbound when one of its
-- values is an error: the STR of a blank node).
CREATE TABLE from_pages AS
  SELECT concept, lcase(label) AS key, label FROM (
    SELECT concept, label_of(best, pattern, CAST($labelBoilerplate AS VARCHAR)) AS label
    FROM (
      SELECT concept, CASE WHEN bool_or(is_blank(text)) THEN NULL ELSE min(CAST(rank AS VARCHAR) || value(text)) END AS best
      FROM candidates SEMI JOIN unlabelled USING (concept)
      GROUP BY concept
    ), boilerplate
  ) WHERE length(label) > 0;

-- Step 2: a concept still without a label takes the headline (1), else the name (2), of
-- its numbered pages (each value of kg:continuationPattern that is a string).
CREATE TABLE continuation AS
  SELECT sparql_regex(value(value)) AS pattern FROM settings
  WHERE name = 'continuationPattern' AND datatype(value) = 'http://www.w3.org/2001/XMLSchema#string';
CREATE TABLE still_unlabelled AS
  SELECT concept FROM unlabelled ANTI JOIN from_pages USING (concept);
CREATE TABLE numbered AS
  SELECT page, iri(replaced(value(page), pattern, CAST($continuationPattern AS VARCHAR), '\1')) AS concept
  FROM pages, continuation WHERE matches(value(page), pattern, CAST($continuationPattern AS VARCHAR));
CREATE TABLE from_numbered AS
  SELECT concept, lcase(label) AS key, label FROM (
    SELECT concept, label_of(best, pattern, CAST($labelBoilerplate AS VARCHAR)) AS label
    FROM (
      SELECT numbered.concept,
        CASE WHEN bool_or(is_blank(named.o)) THEN NULL
          ELSE min(CASE named.p WHEN '<http://schema.org/headline>' THEN '1' ELSE '2' END || value(named.o)) END AS best
      FROM numbered
      JOIN named ON named.g = numbered.page AND named.s = numbered.page
        AND named.p IN ('<http://schema.org/headline>', '<http://schema.org/name>')
      SEMI JOIN still_unlabelled ON still_unlabelled.concept = numbered.concept
      GROUP BY numbered.concept
    ), boilerplate
  ) WHERE length(label) > 0;

-- Step 3: a concept no page names takes the last segment of its IRI's path (the host when
-- the path has none), its extension cut and its runs of - _ + as spaces.
CREATE TABLE from_iri AS
  SELECT concept, lcase(label) AS key, label FROM (
    SELECT concept, regexp_replace(regexp_replace(regexp_replace(segment,
        '\.(html?|php|aspx?|jsp)$', '', 'gi'), '[-_+]+', ' ', 'g'), '^ +| +$', '', 'g') AS label
    FROM (
      SELECT concept, CASE WHEN regexp_matches(path, '[^/]') THEN regexp_replace(path, '^(.*/)?([^/]+)/*$', '\2', 'g')
        ELSE regexp_replace(iri, '^[a-zA-Z][a-zA-Z0-9+.-]*:(//)?([^/?#]*).*$', '\2', 'g') END AS segment
      FROM (
        SELECT concept, iri, regexp_replace(regexp_replace(iri, '^[a-zA-Z][a-zA-Z0-9+.-]*:(//[^/?#]*)?', '', 'g'),
          '[?#].*$', '', 'g') AS path
        FROM (SELECT concept, value(concept) AS iri FROM still_unlabelled ANTI JOIN from_numbered USING (concept)
          WHERE is_iri(concept))
      )
    )
  ) WHERE length(label) > 0;

CREATE TABLE labels AS
  SELECT concept, label, key FROM from_pages UNION ALL SELECT concept, label, key FROM from_numbered
  UNION ALL SELECT concept, label, key FROM from_iri;

SELECT concept AS subject, iri('http://www.w3.org/2004/02/skos/core#prefLabel') AS predicate, literal(label) AS object FROM labels
UNION ALL SELECT concept, iri('urn:kg:vocab:key'), literal(key) FROM labels
UNION ALL SELECT concept, iri('urn:kg:vocab:labelFromIri'), '"true"^^<http://www.w3.org/2001/XMLSchema#boolean>' FROM from_iri;
