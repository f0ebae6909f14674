-- title: Inverse links and top concepts
-- derives: skos:narrower for every skos:broader and the reverse, so either direction can
--   be asked for; skos:hasTopConcept / skos:topConceptOf between a scheme and each of its
--   concepts (other than facets) that has nothing broader.
-- runs: corpus
-- why: SKOS defines broader and narrower as inverses but does not make a store infer
--   them; stating both keeps every query simple. Top concepts are where a SKOS browser
--   starts (with breadcrumbs, the home page of each site). Each list is read once; the
--   links already there are left out when the layer takes the rows. The same rule in
--   SPARQL (sparql/90-inverses.ru, the same layer) can be copied into your --rules folder
--   to run it instead.

-- The broader and narrower links, read once.
CREATE TABLE links AS
  SELECT s, p, o FROM concepts
  WHERE p IN ('<http://www.w3.org/2004/02/skos/core#broader>', '<http://www.w3.org/2004/02/skos/core#narrower>');

-- The top concepts: each concept of a scheme, with a kind other than "facet", that has
-- nothing broader (a broader link, or a narrower link to it, whose inverse this rule states).
CREATE TABLE tops AS
  SELECT DISTINCT schemes.s AS concept, schemes.o AS scheme
  FROM concepts AS schemes
  SEMI JOIN (SELECT s FROM concepts WHERE p = '<urn:kg:vocab:kind>' AND o <> '"facet"') AS kinds ON kinds.s = schemes.s
  ANTI JOIN (SELECT s AS concept FROM links WHERE p = '<http://www.w3.org/2004/02/skos/core#broader>'
             UNION ALL SELECT o FROM links WHERE p = '<http://www.w3.org/2004/02/skos/core#narrower>') AS below
    ON below.concept = schemes.s
  WHERE schemes.p = '<http://www.w3.org/2004/02/skos/core#inScheme>';

-- The inverse of each link that is missing (a literal cannot be a subject, so a link to
-- one has no inverse, as in a CONSTRUCT); the layer would leave out the others, but they
-- would still be written out and, once a SPARQL rule has made the Oxigraph copy, loaded
-- into it.
SELECT links.o AS subject,
  CASE links.p WHEN '<http://www.w3.org/2004/02/skos/core#broader>' THEN '<http://www.w3.org/2004/02/skos/core#narrower>'
    ELSE '<http://www.w3.org/2004/02/skos/core#broader>' END AS predicate,
  links.s AS object
  FROM links ANTI JOIN links AS stated ON stated.s = links.o AND stated.o = links.s AND stated.p <> links.p
  WHERE NOT is_literal(links.o)
UNION ALL SELECT scheme, iri('http://www.w3.org/2004/02/skos/core#hasTopConcept'), concept
  FROM tops WHERE NOT is_literal(scheme)
UNION ALL SELECT concept, iri('http://www.w3.org/2004/02/skos/core#topConceptOf'), scheme FROM tops;
