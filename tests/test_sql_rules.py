"""Corpus rules in SQL (queries/rules/*.sql), run by DuckDB over what they read from the store."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from test_link import P2P, concepts, copy_of, derived, example_store  # noqa: F401 (a fixture)

from kg import BuildConfig, build
from kg.cli.common import main
from kg.errors import RuleError
from kg.namespaces import CONCEPTS_GRAPH
from kg.relink import derive
from kg.rules import load_rules, shipped_rules_folder
from kg.store import open_store

LABELLED = """-- title: Labelled areas
-- derives: kg:tag "labelled" on every area with a label, and its label's length.
-- runs: corpus
-- why: a test of rules in SQL.

-- The areas with their labels.
CREATE TABLE labelled AS SELECT * FROM sparql($$
  SELECT ?area ?label WHERE { GRAPH kgg:concepts { ?area kg:kind "area" ; skos:prefLabel ?label } }
$$);
SELECT iri(area) AS subject, iri('urn:kg:vocab:tag') AS predicate,
  literal(label || ' "' || $maxRelatedPerConcept || '"') AS object
FROM labelled
UNION ALL SELECT iri(area), iri('urn:kg:vocab:length'), integer_literal(length(label)) FROM labelled
UNION ALL SELECT iri(area), iri('urn:kg:vocab:nothing'), NULL FROM labelled;
"""


@pytest.fixture
def seeds_build(seeds_dir: Path, tmp_path: Path) -> Path:
    output = tmp_path / "out"
    report = build([str(seeds_dir)], BuildConfig(output=output))
    assert report.committed, report.messages()
    return output


def test_a_rule_of_your_own_in_sql_reads_the_store_and_writes_triples(seeds_build: Path, tmp_path: Path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "96-labelled.sql").write_text(LABELLED)
    rules = load_rules(mine)
    rule = next(rule for rule in rules if rule.name == "labelled")
    assert rule.title == "Labelled areas" and rule.after is None and len(rule.steps()) == 1
    store = copy_of(open_store(seeds_build))
    derive(store, rules_dir=mine)
    tags = {row["a"]: row["t"] for row in concepts(store, "?a kg:tag ?t")}
    labels = {row["a"]: row["l"] for row in concepts(store, '?a kg:kind "area" ; skos:prefLabel ?l')}
    # Quotes in a literal are escaped; a setting reads as its value; a NULL term makes no triple.
    assert tags == {area: f'{label} "10"' for area, label in labels.items()} and P2P in tags
    lengths = {row["a"]: row["n"] for row in concepts(store, "?a kg:length ?n")}
    assert lengths == {area: str(len(label)) for area, label in labels.items()}
    assert not concepts(store, "?a kg:nothing ?n")
    typed = store.query(f"SELECT ?n WHERE {{ GRAPH <{CONCEPTS_GRAPH}> {{ <{P2P}> <urn:kg:vocab:length> ?n }} }}")
    assert next(iter(typed))["n"].datatype == ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")


def test_a_rule_file_of_either_kind_replaces_the_shipped_rule_of_its_name(tmp_path: Path):
    sparql = tmp_path / "sparql"
    sparql.mkdir()
    text = shipped_rules_folder().joinpath("sparql/80-related.ru").read_text(encoding="utf-8")
    (sparql / "80-related.ru").write_text(text)
    assert [rule.filename for rule in load_rules(sparql) if rule.name == "related"] == ["80-related.ru"]
    (sparql / "80-related.ru").write_text("")  # an empty file switches the shipped rule off
    assert "related" not in [rule.name for rule in load_rules(sparql)]
    assert "related" not in [rule.name for rule in load_rules(skip=["related"])]
    sql = tmp_path / "sql"
    sql.mkdir()
    (sql / "40-labels.sql").write_text(LABELLED.replace("Labelled areas", "Labels in SQL"))
    labels = [rule for rule in load_rules(sql) if rule.name == "labels"]
    assert [(rule.filename, rule.title) for rule in labels] == [("40-labels.sql", "Labels in SQL")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (LABELLED.replace("-- runs: corpus", "-- runs: page"), r"96-bad.sql: a .sql rule runs on the corpus only"),
        (LABELLED.replace("GRAPH kgg:concepts {", "SERVICE <http://example.org/sparql> {"), r"96-bad.sql: .*"),
    ],
)
def test_a_sql_rule_that_cannot_run_is_refused_before_the_store_is_touched(tmp_path: Path, text: str, message: str):
    from kg.facts import PageRules

    (tmp_path / "96-bad.sql").write_text(text)
    with pytest.raises(RuleError, match=message):
        PageRules.from_rules(load_rules(tmp_path))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (LABELLED.replace("FROM labelled\n", "FROM labeled\n", 1), r"96-bad.sql: the rule failed: .*labeled"),
        (LABELLED.split("SELECT iri(area) AS subject")[0], r"96-bad.sql: the last statement must be a SELECT"),
        (LABELLED.replace("skos:prefLabel ?label }", "skos:prefLabel ?label"), r"96-bad.sql: syntax error"),
        # DuckDB loads no extension: reading a URL fails at once, without the network.
        (
            LABELLED.replace("FROM labelled\n", "FROM read_csv('https://example.org/x.csv')\n", 1),
            r"96-bad.sql: the rule failed: .*(httpfs|extension)",
        ),
    ],
)
def test_a_sql_rule_that_fails_names_its_file_and_leaves_the_build_as_it_was(
    seeds_build: Path, tmp_path: Path, text: str, message: str
):
    layer = set(open_store(seeds_build).quads_for_pattern(None, None, None, ox.NamedNode(CONCEPTS_GRAPH)))
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "96-bad.sql").write_text(text)
    result = CliRunner().invoke(main, ["link", "-o", str(seeds_build), "--rules", str(mine)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output

    assert re.search(message, result.output.splitlines()[0]), result.output
    assert set(open_store(seeds_build).quads_for_pattern(None, None, None, ox.NamedNode(CONCEPTS_GRAPH))) == layer


def test_a_changed_sql_rule_reruns_only_the_corpus_pass(tmp_path: Path):
    from test_facts import facts_rows, layer_lines

    from kg.relink import relink

    out = tmp_path / "out"
    build(None, BuildConfig(output=out))
    facts, layer = facts_rows(out), layer_lines(open_store(out))
    related = [line for line in layer if "core#related>" in line]
    assert related
    # Rule 80 in SPARQL instead of SQL: the facts are kept, and the layer is the same.
    sparql = tmp_path / "sparql"
    sparql.mkdir()
    (sparql / "80-related.ru").write_text(shipped_rules_folder().joinpath("sparql/80-related.ru").read_text())
    assert relink(out, rules_dir=sparql).facts_derived == 0
    assert facts_rows(out) == facts and layer_lines(open_store(out)) == layer
    # A changed SQL rule (one related concept each at most): the corpus pass only.
    one = tmp_path / "one"
    one.mkdir()
    text = shipped_rules_folder().joinpath("80-related.sql").read_text()
    assert text.count("$maxRelatedPerConcept") == 2
    (one / "80-related.sql").write_text(text.replace("$maxRelatedPerConcept", "1"))
    assert relink(out, rules_dir=one).facts_derived == 0
    assert facts_rows(out) == facts
    fewer = [line for line in layer_lines(open_store(out)) if "core#related>" in line]
    assert fewer and set(fewer) < set(related)


def test_lcase_and_patterns_in_sql_are_what_sparql_makes_of_them(tmp_path: Path):
    # SPARQL's LCASE is Rust's full lower case (a final capital sigma, the dotted capital I)
    # and its patterns' \s, \w and \d are Unicode classes (a no-break space, "é", an Arabic
    # digit); DuckDB's lower() and RE2 see them otherwise. The macros lcase and
    # sparql_regex, which the rules in SQL use, give what Oxigraph gives.
    from kg.corpusdb import CorpusDB

    texts = [
        "ΟΔΟΣ ΑΣ Σ",
        "İstanbul",
        "Définition ⎊ Sens",
        "What is the\u00a0Risk of Peer\u2003to Peer?",
        "Nonce\u00a0| Coin Words",
        "x ⎊\u00a0Definition ",
        "٣ apples_and-pears [x]",
    ]
    patterns = [
        r"^\s*[\w-]+\s+⎊\s+",
        r"\s*⎊\s*Definition\s*$",
        r"^\s*what\s+(?:is|are)\s+the\s+(.+?)\s+(?:of|for|in)\s+.+$",
        r"\s+⎊\s.*$|\s+[|–—]\s+[^|–—]*$",
        r"\d+|\W+",
        r"[\s\d\]]+",
        r"\\s\p{Lu}",
    ]
    store, db = ox.Store(), CorpusDB(tmp_path)
    try:
        for text in texts:
            literal = str(ox.Literal(text))
            (row,) = store.query(f"SELECT (LCASE({literal}) AS ?l) WHERE {{}}")
            assert db.execute("SELECT lcase(?)", [text]) == [(row["l"].value,)], text
            for pattern in patterns:
                given = ox.Literal(pattern)
                (row,) = store.query(
                    f"SELECT (REGEX({literal}, {given}, 'i') AS ?m) (REPLACE({literal}, {given}, '<$0>') AS ?r) {{}}"
                )
                got = db.execute(
                    "SELECT regexp_matches(?, sparql_regex(?), 'i'), regexp_replace(?, sparql_regex(?), '<\\0>', 'g')",
                    [text, pattern, text, pattern],
                )
                assert got == [(row["m"].value == "true", row["r"].value)], (text, pattern)
    finally:
        db.close()


# The settings the rules in SQL read as patterns, each given twice over, and left out.
_PATTERN_SETTINGS = {
    "kg:continuationPattern": '"^(.+/)resource/([0-9]+)/?$"',
    "kg:labelBoilerplate": '"\\\\s+⎊\\\\s.*$"',
    "kg:facetPattern": '"^(.*)$"',
    "kg:definitionBoilerplate": '"\\\\s*⎊.*$"',
}


@pytest.mark.parametrize("change", ["two values", "none"])
def test_rules_in_sql_read_a_setting_of_several_values_or_none_as_their_sparql_texts_do(
    change, request, tmp_path: Path
):
    # With one value (the shipped settings) a pattern is the setting's parameter, compiled
    # once; with several, each gives its own rows, as SPARQL's OPTIONAL does, and with none
    # the text stays as it is. The SQL rules and their SPARQL texts make the same layer.
    settings = shipped_rules_folder().joinpath("00-settings.ru").read_text(encoding="utf-8")
    for name, other in _PATTERN_SETTINGS.items():
        line = re.search(rf"^    {name} .* ;$", settings, re.MULTILINE).group(0)
        settings = settings.replace(line, "" if change == "none" else line.replace(f"{name} ", f"{name} {other} , "))
    folders = {}
    for kind in ("sql", "sparql"):
        folders[kind] = tmp_path / kind
        folders[kind].mkdir()
        (folders[kind] / "00-settings.ru").write_text(settings, encoding="utf-8")
    for path in Path(str(shipped_rules_folder().joinpath("sparql"))).glob("*.ru"):
        (folders["sparql"] / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    pages = request.getfixturevalue("example_store")
    made = derived(pages, load_rules(folders["sql"]), jobs=2)
    assert made == derived(pages, load_rules(folders["sparql"]), jobs=2)
    # The whole question is a facet's label where "^(.*)$" is a facet pattern, or there is none.
    facets = {quad.subject for quad in made if quad.object == ox.Literal("facet")}
    whole = {facet for facet in facets if "#facet-what-" in facet.value}
    assert whole and (whole == facets) == (change == "none")
