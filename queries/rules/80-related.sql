-- title: Related areas and related definitions
-- derives: For each area, the areas it shares most definitions or terms with, at most
--   kg:maxRelatedPerConcept of them: a kg:Overlap node with kg:between (both areas),
--   kg:shared (each common member) and kg:sharedCount. For each definition or term, the
--   ones it shares most areas with, as many. Then skos:related, both ways, between the two
--   ends of each such pair, except where one is broader or narrower than the other (SKOS
--   keeps the two relations apart). A member listed by more than kg:maxAreasPerMember areas
--   takes no part: it is not counted as shared, and relates nothing. An area listing more
--   than kg:maxMembersPerArea definitions and terms relates none of them to each other.
-- runs: corpus
-- why: Areas that share definitions are about overlapping things, and the number they
--   share says how much; definitions one area lists belong together. skos:related cannot
--   carry a number, so the overlap node does; its IRI is urn:kg:overlap: + the SHA-1 of
--   the two area IRIs in order, so it is stable. Relating every pair that shares something
--   would grow with the square of the corpus, so a member listed by very many areas (a stop
--   word, in a search engine) is left out, and each concept keeps its closest few. Ties go
--   to the pair with the smaller hash (the MD5 of the two concepts' MD5s in order, 15 hex
--   digits each): stable, and unlike alphabetical order, which would make the concepts
--   early in the alphabet everyone's choice, it favours no concept. Ranking every concept's
--   pairs is a group-by and a window over the whole corpus, which DuckDB evaluates on
--   columns in parallel; as SPARQL (sparql/80-related.ru, the same layer) it took most of
--   the corpus pass. Copy that file into your --rules folder to run it instead.
-- after: 35-facets, 70-label-containment

-- What the rule reads: the concepts' kinds and the broader and narrower links, as the
-- rules before it left the concept graph (IRIs as text).
CREATE TABLE kinds AS
  SELECT value(s) AS concept, value(o) AS kind FROM concepts WHERE p = '<urn:kg:vocab:kind>';
CREATE TABLE narrower AS
  SELECT value(s) AS broader, value(o) AS narrower FROM concepts WHERE p = '<http://www.w3.org/2004/02/skos/core#narrower>';
CREATE TABLE broader AS
  SELECT value(s) AS narrower, value(o) AS broader FROM concepts WHERE p = '<http://www.w3.org/2004/02/skos/core#broader>';

-- Two concepts one of which is broader or narrower than the other, in both orders.
CREATE TABLE hierarchy AS
  SELECT broader AS one, narrower AS other FROM narrower
  UNION SELECT narrower, broader FROM narrower
  UNION SELECT narrower, broader FROM broader
  UNION SELECT broader, narrower FROM broader;

-- Each area with the definitions and terms it lists.
CREATE TABLE listed AS
  SELECT DISTINCT narrower.broader AS area, narrower.narrower AS member
  FROM narrower
  JOIN (SELECT DISTINCT concept FROM kinds WHERE kind = 'area') AS areas ON areas.concept = narrower.broader
  JOIN (SELECT DISTINCT concept FROM kinds WHERE kind IN ('definition', 'term')) AS members
    ON members.concept = narrower.narrower;

-- The links that count: those of the members listed by at most kg:maxAreasPerMember areas
-- (lists); of those, the links of the areas listing at most kg:maxMembersPerArea
-- definitions and terms (every area, without that setting), which relate their members to
-- each other (groups).
CREATE TABLE lists AS
  SELECT area, member FROM listed
  WHERE member IN (SELECT member FROM listed GROUP BY member HAVING count(*) <= $maxAreasPerMember);
CREATE TABLE groups AS
  SELECT area, member FROM lists
  WHERE area IN (SELECT area FROM listed GROUP BY area HAVING count(*) <= coalesce($maxMembersPerArea, count(*)));

-- The first 15 hex digits of the MD5 of each concept that takes part, computed once each.
CREATE TABLE hashes AS
  SELECT concept, substr(md5(concept), 1, 15) AS hash
  FROM (SELECT area AS concept FROM lists UNION SELECT member FROM groups);

-- A pair's tie-breaker: the same digits of the MD5 of both concepts' hashes, the smaller first.
CREATE MACRO tie(one_hash, other_hash) AS
  substr(md5(least(one_hash, other_hash) || greatest(one_hash, other_hash)), 1, 15);

-- Each area's closest areas: most members shared, then the smaller tie-breaker.
CREATE TABLE closest_areas AS
  SELECT pairs.one, pairs.other, pairs.shared
  FROM (
    SELECT mine.area AS one, theirs.area AS other, count(*) AS shared
    FROM lists AS mine JOIN lists AS theirs ON theirs.member = mine.member AND theirs.area <> mine.area
    GROUP BY mine.area, theirs.area
  ) AS pairs
  JOIN hashes AS ones ON ones.concept = pairs.one
  JOIN hashes AS others ON others.concept = pairs.other
  QUALIFY row_number() OVER (PARTITION BY pairs.one ORDER BY pairs.shared DESC, tie(ones.hash, others.hash))
    <= $maxRelatedPerConcept;

-- Each definition's or term's closest ones among those its grouping areas list, the same way.
CREATE TABLE closest_members AS
  SELECT pairs.one, pairs.other
  FROM (
    SELECT mine.member AS one, theirs.member AS other, count(*) AS shared
    FROM groups AS mine JOIN groups AS theirs ON theirs.area = mine.area AND theirs.member <> mine.member
    GROUP BY mine.member, theirs.member
  ) AS pairs
  JOIN hashes AS ones ON ones.concept = pairs.one
  JOIN hashes AS others ON others.concept = pairs.other
  QUALIFY row_number() OVER (PARTITION BY pairs.one ORDER BY pairs.shared DESC, tie(ones.hash, others.hash))
    <= $maxRelatedPerConcept;

-- An overlap node per chosen pair of areas (one node when both ends chose it), named by
-- the SHA-1 of the two IRIs in order, with the members both list.
CREATE TABLE overlap_nodes AS
  SELECT DISTINCT least(one, other) AS first_area, greatest(one, other) AS second_area, shared,
    'urn:kg:overlap:' || sha1(least(one, other) || ' ' || greatest(one, other)) AS overlap
  FROM closest_areas;

-- Related, both ways, unless one is broader or narrower than the other.
CREATE TABLE related AS
  SELECT one, other FROM (SELECT one, other FROM closest_areas UNION ALL SELECT one, other FROM closest_members)
  ANTI JOIN hierarchy USING (one, other);

SELECT iri(overlap) AS subject, iri('http://www.w3.org/1999/02/22-rdf-syntax-ns#type') AS predicate,
  iri('urn:kg:vocab:Overlap') AS object FROM overlap_nodes
UNION ALL SELECT iri(overlap), iri('urn:kg:vocab:between'), iri(first_area) FROM overlap_nodes
UNION ALL SELECT iri(overlap), iri('urn:kg:vocab:between'), iri(second_area) FROM overlap_nodes
UNION ALL SELECT iri(overlap), iri('urn:kg:vocab:sharedCount'), integer_literal(shared) FROM overlap_nodes
UNION ALL SELECT iri(overlap), iri('urn:kg:vocab:shared'), iri(mine.member)
  FROM overlap_nodes JOIN lists AS mine ON mine.area = first_area JOIN lists AS theirs ON theirs.area = second_area AND theirs.member = mine.member
UNION ALL SELECT iri(one), iri('http://www.w3.org/2004/02/skos/core#related'), iri(other) FROM related
UNION ALL SELECT iri(other), iri('http://www.w3.org/2004/02/skos/core#related'), iri(one) FROM related;
