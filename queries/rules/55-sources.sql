-- title: Sources
-- derives: kg:source from every concept (facets have theirs) to each page whose graph
--   mentions its IRI, as subject or object.
-- runs: corpus
-- why: A concept merges what several pages say about one IRI; kg:source names those pages,
--   so a question about a concept can be traced back to them and to their provenance
--   records. In SQL it is two hash joins of the concepts with the page graphs (on the
--   subject and on the object), each read once; a build's page graphs are the pages'
--   facts, which name every IRI of the page (`?iri kg:mentioned true`), `kg link` reads
--   the whole page graphs. As SPARQL (sparql/55-sources.ru, the same layer) it took 14.7 s
--   at 10,000 pages. Copy that file into your --rules folder to run it instead.
-- after: 35-facets

-- Each concept other than a facet (a concept with another kind besides counts).
CREATE TABLE concept AS
  SELECT DISTINCT s AS concept FROM concepts WHERE p = '<urn:kg:vocab:kind>' AND o <> '"facet"';

-- Each graph that holds a triple whose subject or object is the concept.
CREATE TABLE mentions AS
  SELECT concept, g AS page FROM concept JOIN quads ON quads.s = concept.concept
  UNION SELECT concept, g FROM concept JOIN quads ON quads.o = concept.concept;

-- ... of those, the pages.
SELECT concept AS subject, iri('urn:kg:vocab:source') AS predicate, page AS object
FROM mentions SEMI JOIN pages ON pages.page = mentions.page;
