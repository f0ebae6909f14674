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

-- The broader links, both as stated and as the inverses of the narrower links (a literal
-- cannot be a subject, so such a link has no inverse, as in a CONSTRUCT).
CREATE TABLE narrower AS
  SELECT s AS broader, o AS narrower FROM concepts WHERE p = '<http://www.w3.org/2004/02/skos/core#narrower>';
CREATE TABLE broader AS
  SELECT s AS narrower, o AS broader FROM concepts WHERE p = '<http://www.w3.org/2004/02/skos/core#broader>'
  UNION SELECT narrower, broader FROM narrower WHERE NOT is_literal(narrower);

-- The top concepts: each concept of a scheme, with a kind other than "facet", that has
-- nothing broader.
CREATE TABLE tops AS
  SELECT DISTINCT schemes.s AS concept, schemes.o AS scheme
  FROM concepts AS schemes
  SEMI JOIN (SELECT s FROM concepts WHERE p = '<urn:kg:vocab:kind>' AND o <> '"facet"') AS kinds ON kinds.s = schemes.s
  WHERE schemes.p = '<http://www.w3.org/2004/02/skos/core#inScheme>'
    AND schemes.s NOT IN (SELECT narrower FROM broader);

SELECT narrower AS subject, iri('http://www.w3.org/2004/02/skos/core#broader') AS predicate, broader AS object
  FROM broader
UNION ALL SELECT broader, iri('http://www.w3.org/2004/02/skos/core#narrower'), narrower
  FROM broader WHERE NOT is_literal(broader)
UNION ALL SELECT scheme, iri('http://www.w3.org/2004/02/skos/core#hasTopConcept'), concept
  FROM tops WHERE NOT is_literal(scheme)
UNION ALL SELECT concept, iri('http://www.w3.org/2004/02/skos/core#topConceptOf'), scheme FROM tops;
