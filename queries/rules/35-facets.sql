-- title: FAQ facets
-- derives: For each FAQ question on a concept's own page, a facet concept:
--   ?page kg:facet ?facet, and the facet a skos:Concept of kind "facet" with skos:prefLabel
--   (group 1 of the settings' facet pattern: "What is the Risk of Peer to Peer?" -> "Risk"),
--   kg:question, kg:answer (its HTML tags taken out) and kg:source. Its IRI is the page
--   IRI + "#facet-" + the label in lower case with runs of other characters as "-"
--   (#facet-risk), so it is stable.
-- runs: corpus
-- why: An area page answers the same questions for every area (its Action, Architecture,
--   Risk...). As facets they can be compared across areas and asked for by name. The
--   questions are read from the concepts' own pages in one join, and each pattern is
--   applied once per distinct question. The same rule in SPARQL is sparql/35-facets.ru (the
--   same layer); copy it into your --rules folder to run it instead.
-- after: 30-breadcrumbs

-- The FAQ questions on a concept's own page (its graph): the page, the question node and
-- its name, as text (SPARQL's STR, which a blank node does not have: no facet then).
CREATE TABLE questions AS
  SELECT DISTINCT asked.g AS page, asked.s AS asked, value(names.o) AS question
  FROM facts AS asked
  JOIN (SELECT DISTINCT s FROM concepts WHERE p = '<urn:kg:vocab:kind>') AS own ON own.s = asked.g
  JOIN facts AS names ON names.g = asked.g AND names.s = asked.s AND names.p = '<http://schema.org/name>'
  WHERE asked.p = '<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>' AND asked.o = '<http://schema.org/Question>'
    AND NOT is_blank(names.o);

-- Their answers (schema:acceptedAnswer/schema:text), tags made spaces and the spaces closed up.
CREATE TABLE answers AS
  SELECT DISTINCT questions.page, questions.asked,
    regexp_replace(regexp_replace(regexp_replace(value(texts.o), '</?[a-zA-Z][^<>]*>', ' ', 'g'), ' {2,}', ' ', 'g'),
      '^ +| +$', '', 'g') AS answer
  FROM (SELECT DISTINCT page, asked FROM questions) AS questions
  JOIN facts AS accepted ON accepted.g = questions.page AND accepted.s = questions.asked
    AND accepted.p = '<http://schema.org/acceptedAnswer>'
  JOIN facts AS texts ON texts.g = questions.page AND texts.s = accepted.o AND texts.p = '<http://schema.org/text>'
  WHERE NOT is_blank(texts.o);

-- The facet patterns: each value of kg:facetPattern (NULL for one that is not a string, with
-- which SPARQL's REGEX fails), or one NULL when there is none.
CREATE TABLE patterns AS
  SELECT CASE WHEN datatype(value) = 'http://www.w3.org/2001/XMLSchema#string' THEN sparql_regex(value(value)) END AS pattern
  FROM settings WHERE name = 'facetPattern'
  UNION ALL SELECT NULL WHERE NOT EXISTS (SELECT 1 FROM settings WHERE name = 'facetPattern');

-- A pattern's match and replacement, whatever the case. With one value (the shipped settings) the pattern is
-- the setting's parameter (`one`), which DuckDB compiles once; a pattern read from a row is
-- compiled again for every row (milliseconds each, with its Unicode classes).
CREATE MACRO matches(text, pattern, one) AS CASE WHEN one IS NOT NULL
  THEN regexp_matches(text, sparql_regex(one), 'i') ELSE regexp_matches(text, pattern, 'i') END;
-- The pattern is wrapped as (?:PATTERN)(): \1 is its own first group, or empty when it has
-- none, as SPARQL's REPLACE gives $1 (DuckDB refuses \1 without a group).
CREATE MACRO replaced(text, pattern, one, replacement) AS CASE WHEN one IS NOT NULL
  THEN regexp_replace(text, '(?:' || sparql_regex(one) || ')()', replacement, 'gi')
  ELSE regexp_replace(text, '(?:' || pattern || ')()', replacement, 'gi') END;

-- Each question's label (group 1 of a pattern it matches, case-insensitively, else the
-- question), its slug, and so its facet's IRI.
CREATE TABLE labels AS
  SELECT question, label,
    regexp_replace(regexp_replace(lcase(label), '[^\p{L}\p{N}]+', '-', 'g'), '^-+|-+$', '', 'g') AS slug
  FROM (
    SELECT DISTINCT question,
      CASE WHEN pattern IS NOT NULL AND matches(question, pattern, CAST($facetPattern AS VARCHAR))
        THEN replaced(question, pattern, CAST($facetPattern AS VARCHAR), '\1') ELSE question END AS label
    FROM (SELECT DISTINCT question FROM questions), patterns
  );

CREATE TABLE facets AS
  SELECT DISTINCT questions.page, questions.asked, questions.question, labels.label,
    iri(split_part(value(questions.page) || '#', '#', 1) || '#facet-'
      || CASE WHEN labels.slug = '' THEN substr(sha1(questions.question), 1, 12) ELSE labels.slug END) AS facet
  FROM questions JOIN labels USING (question);

SELECT page AS subject, iri('urn:kg:vocab:facet') AS predicate, facet AS object FROM facets
UNION ALL SELECT facet, iri('http://www.w3.org/1999/02/22-rdf-syntax-ns#type'), iri('http://www.w3.org/2004/02/skos/core#Concept') FROM facets
UNION ALL SELECT facet, iri('urn:kg:vocab:kind'), literal('facet') FROM facets
UNION ALL SELECT facet, iri('http://www.w3.org/2004/02/skos/core#prefLabel'), literal(label) FROM facets
UNION ALL SELECT facet, iri('urn:kg:vocab:question'), literal(question) FROM facets
UNION ALL SELECT facet, iri('urn:kg:vocab:source'), page FROM facets
UNION ALL SELECT facets.facet, iri('urn:kg:vocab:answer'), literal(answers.answer)
  FROM facets JOIN answers ON answers.page = facets.page AND answers.asked = facets.asked;
