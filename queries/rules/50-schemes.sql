-- title: One concept scheme per site
-- derives: A skos:ConceptScheme per site (scheme and host of the concept IRIs), named
--   <urn:kg:scheme:HOST>, with kg:site (the site root) and a skos:prefLabel (the name of
--   the organisation that publishes its pages, else the host); every concept skos:inScheme
--   the scheme of its own IRI.
-- runs: corpus
-- why: Two glossaries can use the same words for different things. Keeping each site's
--   concepts in their own scheme lets the other rules (label containment) stay inside one
--   vocabulary, and lets a SKOS tool show each site as one thesaurus. The same rule in
--   SPARQL (sparql/50-schemes.ru, the same layer) can be copied into your --rules folder
--   to run it instead.
-- after: 35-facets

-- Each concept's origin (scheme and host of its IRI; the whole IRI when it has none) and
-- host, lower case without user or port.
CREATE TABLE origins AS
  SELECT concept, origin, lcase(regexp_replace(origin, '^[^:]*://(?:[^@]*@)?([^:]*).*$', '\1')) AS host
  FROM (
    SELECT DISTINCT s AS concept, regexp_replace(value(s), '^([a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*).*$', '\1') AS origin
    FROM concepts
    WHERE p = '<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>' AND o = '<http://www.w3.org/2004/02/skos/core#Concept>'
      AND is_iri(s)
  );
CREATE TABLE in_scheme AS
  SELECT concept, iri('urn:kg:scheme:' || CASE WHEN host = '' THEN 'local' ELSE url_encode(host) END) AS scheme,
    iri(origin || '/') AS site
  FROM origins;

-- The name of a publisher of the pages that are concepts of a scheme (the least, as text),
-- reading the schemes the concept graph has and those above. A name that is a blank node
-- has no text: as in SPARQL, the least is then unknown, and the scheme has no such name.
CREATE TABLE named AS
  SELECT schemes.scheme, CASE WHEN bool_or(is_blank(names.o)) THEN NULL ELSE min(value(names.o)) END AS name
  FROM (SELECT s AS concept, o AS scheme FROM concepts WHERE p = '<http://www.w3.org/2004/02/skos/core#inScheme>'
        UNION SELECT concept, scheme FROM in_scheme) AS schemes
  SEMI JOIN (SELECT s FROM concepts WHERE p = '<urn:kg:vocab:kind>') AS kinds ON kinds.s = schemes.concept
  SEMI JOIN pages ON pages.page = schemes.concept
  JOIN (SELECT g, o FROM facts WHERE p = '<http://schema.org/publisher>' AND s = g) AS publishers
    ON publishers.g = schemes.concept
  JOIN (SELECT g, s, o FROM facts WHERE p = '<http://schema.org/name>') AS names
    ON names.g = publishers.g AND names.s = publishers.o
  GROUP BY schemes.scheme;

-- The schemes without a name: their host (as in the site's IRI, user and port kept) instead.
CREATE TABLE sites AS
  SELECT s AS scheme, o AS site FROM concepts WHERE p = '<urn:kg:vocab:site>'
  UNION SELECT scheme, site FROM in_scheme;
CREATE TABLE unnamed AS
  SELECT scheme, literal(regexp_replace(value(site), '^[^:]*://([^/]*)/$', '\1')) AS name FROM sites
  WHERE NOT is_blank(site)
    AND scheme IN (SELECT s FROM concepts WHERE p = '<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>'
                   AND o = '<http://www.w3.org/2004/02/skos/core#ConceptScheme>' UNION SELECT scheme FROM in_scheme)
    AND scheme NOT IN (SELECT s FROM concepts WHERE p = '<http://www.w3.org/2004/02/skos/core#prefLabel>')
    AND scheme NOT IN (SELECT scheme FROM named WHERE name IS NOT NULL);

SELECT DISTINCT scheme AS subject, iri('http://www.w3.org/1999/02/22-rdf-syntax-ns#type') AS predicate,
  iri('http://www.w3.org/2004/02/skos/core#ConceptScheme') AS object FROM in_scheme
UNION ALL SELECT DISTINCT scheme, iri('urn:kg:vocab:site'), site FROM in_scheme
UNION ALL SELECT concept, iri('http://www.w3.org/2004/02/skos/core#inScheme'), scheme FROM in_scheme
UNION ALL SELECT scheme, iri('http://www.w3.org/2004/02/skos/core#prefLabel'), literal(name) FROM named
  WHERE NOT is_literal(scheme)
UNION ALL SELECT scheme, iri('http://www.w3.org/2004/02/skos/core#prefLabel'), name FROM unnamed
  WHERE NOT is_literal(scheme);
