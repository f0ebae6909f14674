-- title: Label containment
-- derives: skos:broader from a concept to another of the same scheme whose whole label
--   is a run of whole words inside its own (Multi-Party State Channels -> State Channels),
--   between the kinds the settings list (definitions and terms), ignoring case and treating
--   "-" and "_" as spaces; except the shortcuts a chain of such links makes redundant
--   (no A -> C when A -> B -> C, through these links or the broader links already made).
-- runs: corpus
-- why: A glossary names a narrower idea by qualifying a broader one, so the words inside a
--   label are evidence of a hierarchy the pages never state. It is a heuristic: switch it
--   off with kg:labelContainment false in the settings, or `kg link --skip
--   label-containment`. Every run of words of every label (one that starts within its first
--   eight words and ends within its last eight) is matched against the labels in one hash
--   join, so the cost grows with the number of concepts, not with its square. The
--   candidate links wait in a table until the shortcuts are known; only the links that
--   stay are written to the concept layer. The same rule in SPARQL
--   (sparql/70-label-containment.ru, the same layer) can be copied into your --rules
--   folder to run it instead.
-- after: 40-labels, 50-schemes

-- A label in a comparable form: "Multi-Party State Channels" -> "multi party state
-- channels". Runs of white space (Unicode's, as SPARQL's \s), "_" and "-" become one space.
CREATE MACRO words(label) AS regexp_replace(regexp_replace(lcase(label),
  '[\t-\r \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}_-]+', ' ', 'g'), '^ | $', '', 'g');

-- The kinds the settings list, when label containment is on.
CREATE TABLE containment_kinds AS
  SELECT DISTINCT value AS kind FROM settings WHERE name = 'containmentKind';
CREATE TABLE linked_kinds AS
  SELECT kind FROM containment_kinds
  WHERE EXISTS (SELECT 1 FROM settings WHERE name = 'labelContainment'
                AND value = '"true"^^<http://www.w3.org/2001/XMLSchema#boolean>');

-- Each concept of those kinds with each of its labels, in words, and its schemes.
CREATE TABLE labelled AS
  SELECT DISTINCT kinds.s AS concept, schemes.o AS scheme, words(value(labels.o)) AS words
  FROM concepts AS kinds
  JOIN linked_kinds ON linked_kinds.kind = kinds.o
  JOIN concepts AS labels ON labels.s = kinds.s AND labels.p = '<http://www.w3.org/2004/02/skos/core#prefLabel>'
  JOIN concepts AS schemes ON schemes.s = kinds.s AND schemes.p = '<http://www.w3.org/2004/02/skos/core#inScheme>'
  WHERE kinds.p = '<urn:kg:vocab:kind>';

-- Each shorter run of whole words of a label: 0-7 words cut off the end, then 0-7 off the
-- start ("multi party state", "party state", "state"...).
CREATE TABLE parts AS
  SELECT DISTINCT concept, scheme, array_to_string(list[cut_start + 1 : length(list) - cut_end], ' ') AS part
  FROM (SELECT concept, scheme, string_split(words, ' ') AS list FROM labelled WHERE words <> '')
  CROSS JOIN range(8) AS starts(cut_start)
  CROSS JOIN range(8) AS ends(cut_end)
  WHERE cut_start < length(list) - cut_end AND (cut_start > 0 OR cut_end > 0);

-- The candidates: a concept is narrower than each concept of its scheme whose whole label
-- is one of the runs of words of its own label.
CREATE TABLE candidates AS
  SELECT DISTINCT parts.concept AS narrower, labelled.concept AS wider
  FROM parts JOIN labelled ON labelled.scheme = parts.scheme AND labelled.words = parts.part;

-- The broader links already made, and those whose middle is of a kind the settings list
-- and has a label.
CREATE TABLE broader AS
  SELECT s AS narrower, o AS wider FROM concepts WHERE p = '<http://www.w3.org/2004/02/skos/core#broader>';
CREATE TABLE middles AS
  SELECT DISTINCT kinds.s AS middle FROM concepts AS kinds
  JOIN containment_kinds ON containment_kinds.kind = kinds.o
  SEMI JOIN (SELECT s FROM concepts WHERE p = '<http://www.w3.org/2004/02/skos/core#prefLabel>') AS labels
    ON labels.s = kinds.s
  WHERE kinds.p = '<urn:kg:vocab:kind>';

-- The shortcuts: a candidate with a longer way between its ends, each step a candidate or
-- a broader link (two broader links: through a middle of those kinds with a label).
CREATE TABLE shortcuts AS
  SELECT candidates.narrower, candidates.wider FROM candidates
  JOIN candidates AS first ON first.narrower = candidates.narrower
  JOIN candidates AS second ON second.narrower = first.wider AND second.wider = candidates.wider
  UNION SELECT candidates.narrower, candidates.wider FROM candidates
  JOIN candidates AS first ON first.narrower = candidates.narrower
  JOIN broader AS second ON second.narrower = first.wider AND second.wider = candidates.wider
  UNION SELECT candidates.narrower, candidates.wider FROM candidates
  JOIN broader AS first ON first.narrower = candidates.narrower
  JOIN candidates AS second ON second.narrower = first.wider AND second.wider = candidates.wider
  UNION SELECT candidates.narrower, candidates.wider FROM candidates
  JOIN broader AS first ON first.narrower = candidates.narrower
  JOIN middles ON middles.middle = first.wider
  JOIN broader AS second ON second.narrower = first.wider AND second.wider = candidates.wider;

SELECT narrower AS subject, iri('http://www.w3.org/2004/02/skos/core#broader') AS predicate, wider AS object
FROM candidates ANTI JOIN shortcuts USING (narrower, wider);
