"""The query library in queries/, `kg query`, its result formats and limits, and the Python entry point."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import readme_library_queries
from rdflib import Graph, Literal, URIRef
from rdflib.query import Result

from kg import BuildConfig, QueryError, QuerySyntaxError, QueryTimeout, build, open_graph
from kg.cli.common import main
from kg.library import find_query, library
from kg.query import run_in_process
from kg.sparql import parse_bindings, term_from_text

ROOT = Path(__file__).resolve().parent.parent
EXTRA_PAGE = Path(__file__).parent / "data" / "query-extra" / "definition-rollup-sequencers.txt"
P2P = "https://term.greeks.live/area/peer-to-peer/"
P2P_CHANNELS = "https://term.greeks.live/area/peer-to-peer-channels/"
# Four copies of every triple of the store: far more work than any test waits for.
ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


@pytest.fixture(scope="module")
def example_build(tmp_path_factory) -> Path:
    """The bundled example corpus, plus one page that gives `orphans` and `problems` something to find."""
    output = tmp_path_factory.mktemp("example") / "out"
    report = build([str(ROOT / "kg" / "data" / "example"), str(EXTRA_PAGE)], BuildConfig(output=output))
    assert report.committed and report.errors == 0, report.messages()
    return output


@pytest.fixture
def seeds_build(seeds_dir: Path, tmp_path: Path) -> Path:
    output = tmp_path / "out"
    assert build([str(seeds_dir)], BuildConfig(output=output)).committed
    return output


def kg_query(*args: str):
    return CliRunner().invoke(main, ["query", *args])


# ---------------------------------------------------------------------------- the library


@pytest.mark.parametrize("name", sorted(library()))
def test_every_library_query_parses_runs_and_finds_something(name: str, example_build: Path):
    query = library()[name]
    assert query.title != name and query.description, f"{name}.rq needs '# title:' and '# description:' lines"
    examples = dict(query.examples)
    assert {p.name for p in query.parameters} <= set(examples), f"{name}.rq: every param needs an '# example:'"
    answer = open_graph(example_build).run(name, **examples)
    assert answer.kind in ("select", "graph")
    assert len(answer) > 0, f"{name} found nothing on the example corpus"


def test_the_library_has_the_queries_the_docs_promise():
    promised = readme_library_queries()
    assert len(promised) >= 10 and set(promised) <= set(library())
    assert [p.name for p in library()["definitions-of"].parameters] == ["area"]
    assert [p.name for p in library()["search"].parameters] == ["text"]


def test_list_describes_every_query():
    result = kg_query("--list")
    assert result.exit_code == 0, result.output
    for name in library():
        assert f"\n{name}" in "\n" + result.output
    assert "definitions-of --bind area=…\n    Definitions of an area: " in result.output
    assert result.output.endswith(f"{len(library())} queries; run one with `kg query NAME`.\n")


# What `stats` shows, counted on the store itself (rule 95-statistics counts at build time).
LIVE_COUNTS = """
SELECT ?measure (COUNT(*) AS ?count) WHERE {
  { GRAPH kgg:provenance { ?x a prov:Entity } BIND("pages" AS ?measure) }
  UNION { GRAPH kgg:concepts { ?x kg:kind ?kind } BIND(CONCAT("concepts: ", ?kind) AS ?measure) }
  UNION { GRAPH kgg:concepts { ?x kg:kind "area" ; skos:narrower ?m . ?m kg:kind ?k }
          FILTER(?k IN ("definition", "term")) BIND("links: area to definition" AS ?measure) }
  UNION { GRAPH kgg:concepts { ?x skos:broader ?y } BIND("links: broader" AS ?measure) }
  UNION { GRAPH kgg:concepts { ?x skos:related ?y } BIND("links: related (both ways)" AS ?measure) }
  UNION { GRAPH kgg:concepts { ?x kg:facet ?y } BIND("links: facets" AS ?measure) }
} GROUP BY ?measure
"""


def test_stats_shows_the_counts_of_the_store(example_build: Path):
    graph = open_graph(example_build)
    shown = {str(row["measure"]): int(row["count"]) for row in graph.run("stats").rows()}
    live = {str(row["measure"]): int(row["count"]) for row in graph.run(LIVE_COUNTS).rows()}
    errors = "SELECT (COUNT(DISTINCT ?page) AS ?n) WHERE { GRAPH kgg:provenance { ?page kg:error ?e } }"
    assert shown.pop("pages with errors") == int(graph.run(errors).rows()[0]["n"])
    assert shown == live
    pages = len(list((ROOT / "kg" / "data" / "example").glob("*.txt"))) + 1  # and EXTRA_PAGE
    assert shown["pages"] == pages and shown["concepts: area"] == 5 and shown["links: area to definition"] > 10


def test_the_library_works_from_another_directory(example_build: Path, tmp_path: Path):
    # The queries ship inside the package (kg.queries), not in the working directory.
    done = subprocess.run(
        [sys.executable, "-m", "kg", "query", "stats", "-o", str(example_build), "-f", "csv"],
        cwd=tmp_path,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert b"\r\nconcepts: area,5\r\n" in done.stdout


def test_pyproject_lists_every_package():
    tomllib = pytest.importorskip("tomllib")
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "kg").rglob("__init__.py")}
    assert found | {"kg.queries"} == set(setuptools["packages"])
    assert setuptools["package-dir"] == {"kg.queries": "queries"}


# ---------------------------------------------------------------------------- what the seeds must show


def test_area_definitions_gives_the_nine_links_of_the_seeds(seeds_build: Path):
    result = kg_query("area-definitions", "-f", "csv", "-o", str(seeds_build))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output, newline="")))
    assert [(row["areaLabel"], row["definitionLabel"]) for row in rows] == [
        ("Peer to Peer", "Game Theory Auctions"),
        ("Peer to Peer", "Peer-to-Peer Order Books"),
        ("Peer to Peer", "State Transition Integrity"),
        ("Peer to Peer Channels", "Lightning Network"),
        ("Peer to Peer Channels", "Multi-Party State Channels"),
        ("Peer to Peer Channels", "Peer-to-Peer Networking"),
        ("Peer to Peer Channels", "Peer-to-Peer Order Books"),
        ("Peer to Peer Channels", "Peer-to-Peer Settlement Systems"),
        ("Peer to Peer Channels", "State Channels"),
    ]
    assert {row["area"] for row in rows} == {P2P, P2P_CHANNELS}


def test_related_areas_pairs_the_two_seed_areas_through_the_order_books(seeds_build: Path):
    result = kg_query("related-areas", "-f", "csv", "-o", str(seeds_build))
    assert result.exit_code == 0, result.output
    assert list(csv.DictReader(io.StringIO(result.output, newline=""))) == [
        {
            "area": P2P_CHANNELS,
            "areaLabel": "Peer to Peer Channels",
            "relatedArea": P2P,
            "relatedLabel": "Peer to Peer",
            "shared": "Peer-to-Peer Order Books",
            "sharedCount": "1",
        }
    ]


def test_search_finds_both_state_channel_definitions(seeds_build: Path):
    result = kg_query("search", "--bind", "text=state channel", "-f", "csv", "-o", str(seeds_build))
    assert result.exit_code == 0, result.output
    labels = [row["label"] for row in csv.DictReader(io.StringIO(result.output, newline=""))]
    assert labels == ["Multi-Party State Channels", "State Channels"]
    upper = kg_query("search", "--bind", "text=STATE-CHANNEL", "-f", "csv", "-o", str(seeds_build))
    assert upper.stdout_bytes == result.stdout_bytes.replace(b"state channel\r\n", b"STATE-CHANNEL\r\n")


def test_an_area_is_bound_by_label_or_by_iri(seeds_build: Path):
    by_label = kg_query("definitions-of", "--bind", "area=peer to peer", "-f", "csv", "-o", str(seeds_build))
    by_iri = kg_query("definitions-of", "--bind", f"area={P2P}", "-f", "csv", "-o", str(seeds_build))
    assert by_label.exit_code == by_iri.exit_code == 0, by_label.output + by_iri.output
    labels = [row["label"] for row in csv.DictReader(io.StringIO(by_label.output, newline=""))]
    assert labels == ["Game Theory Auctions", "Peer-to-Peer Order Books", "State Transition Integrity"]
    assert by_iri.stdout_bytes == by_label.stdout_bytes.replace(b",peer to peer\r\n", f",{P2P}\r\n".encode())


def test_facets_of_an_area(seeds_build: Path):
    result = kg_query("facets-of", "--bind", "area=Peer to Peer Channels", "-f", "csv", "-o", str(seeds_build))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output, newline="")))
    assert [(row["label"], row["question"]) for row in rows] == [
        ("Algorithm", "What is the Algorithm of Peer to Peer Channels?"),
        ("Architecture", "What is the Architecture of Peer to Peer Channels?"),
        ("Risk", "What is the Risk of Peer to Peer Channels?"),
    ]


# ---------------------------------------------------------------------------- formats


def test_json_results_parse_back_with_rdflib(seeds_build: Path):
    result = kg_query("area-definitions", "-f", "json", "-o", str(seeds_build))
    assert result.exit_code == 0, result.output
    parsed = Result.parse(io.BytesIO(result.stdout_bytes), format="json")
    assert [str(v) for v in parsed.vars] == ["area", "areaLabel", "definition", "definitionLabel"]
    rows = list(parsed)
    assert len(rows) == 9
    assert rows[0]["area"] == URIRef(P2P) and rows[0]["definitionLabel"] == Literal("Game Theory Auctions")


def test_csv_and_tsv_follow_the_w3c_formats(seeds_build: Path):
    csv_out = kg_query(
        "definitions-of", "--bind", "area=Peer to Peer", "-f", "csv", "-o", str(seeds_build)
    ).stdout_bytes
    tsv_out = kg_query(
        "definitions-of", "--bind", "area=Peer to Peer", "-f", "tsv", "-o", str(seeds_build)
    ).stdout_bytes
    # CSV: a header of bare names, CRLF line ends, IRIs and literals as plain text, quoted when needed.
    assert csv_out.startswith(b"definition,label,kind,definitionText,area\r\n")
    assert b"\r\nhttps://term.greeks.live/term/game-theory-auctions/,Game Theory Auctions,term," in csv_out
    assert b',"The verified, error-free transfer of protocol data' in csv_out
    # TSV: ?-prefixed names, terms in their Turtle form (<IRI>, "literal").
    lines = tsv_out.decode().split("\n")
    assert lines[0] == "?definition\t?label\t?kind\t?definitionText\t?area"
    assert lines[1].startswith(
        '<https://term.greeks.live/term/game-theory-auctions/>\t"Game Theory Auctions"\t"term"\t'
    )
    for fmt, out in (("csv", csv_out), ("tsv", tsv_out)):
        rows = [[str(term) for term in row] for row in Result.parse(io.BytesIO(out), format=fmt)]
        assert [row[1] for row in rows] == [
            "Game Theory Auctions",
            "Peer-to-Peer Order Books",
            "State Transition Integrity",
        ]


def test_xml_results_parse_back_with_rdflib(seeds_build: Path):
    result = kg_query("stats", "-f", "xml", "-o", str(seeds_build))
    assert result.exit_code == 0, result.output
    rows = {
        str(row["measure"]): int(row["count"]) for row in Result.parse(io.BytesIO(result.stdout_bytes), format="xml")
    }
    assert rows["concepts: area"] == 2 and rows["links: area to definition"] == 9 and rows["pages"] == 2


def test_the_table_is_readable_and_counts_its_rows(seeds_build: Path):
    result = kg_query("related-areas", "-o", str(seeds_build))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["area", "areaLabel", "relatedArea", "relatedLabel", "shared", "sharedCount"]
    assert set(lines[1]) == {"-", " "}
    assert "  Peer to Peer Channels  " in lines[2] and lines[2].endswith("  Peer-to-Peer Order Books  1")
    assert lines[3:] == ["(1 row)"]


def test_a_narrow_table_cuts_long_cells(example_build: Path):
    from kg.results import render_table

    answer = open_graph(example_build).run("definitions-of", area="Peer to Peer")
    table = render_table(answer.solutions(), width=80)
    assert max(len(line) for line in table.splitlines()) <= 80
    assert "…" in table and table.endswith("(6 rows)\n")


def test_construct_gives_turtle_or_another_rdf_format(seeds_build: Path):
    turtle = kg_query("concept-layer", "-o", str(seeds_build))
    assert turtle.exit_code == 0, turtle.output
    graph = Graph().parse(data=turtle.stdout_bytes, format="turtle")
    assert (URIRef(P2P), URIRef("urn:kg:vocab:kind"), Literal("area")) in graph
    nquads = kg_query("concept-layer", "-f", "nquads", "-o", str(seeds_build))
    assert len(Graph().parse(data=nquads.stdout_bytes, format="nquads")) == len(graph)


def test_ask_answers_true_or_false(seeds_build: Path):
    assert kg_query("-e", "ASK { ?c kg:kind 'area' }", "-o", str(seeds_build)).output == "true\n"
    result = kg_query("-e", "ASK { ?c kg:kind 'nothing' }", "-f", "json", "-o", str(seeds_build))
    assert json.loads(result.output) == {"head": {}, "boolean": False}


def test_a_format_that_does_not_fit_the_query_is_refused(seeds_build: Path):
    result = kg_query("concept-layer", "-f", "csv", "-o", str(seeds_build))
    assert result.exit_code == 1
    assert result.output == (
        "Error: -f csv does not fit: a CONSTRUCT or DESCRIBE query gives a graph; "
        "choose from turtle, ntriples, nquads, trig, jsonld, rdfxml\n"
    )


# ---------------------------------------------------------------------------- errors and limits


def test_a_syntax_error_shows_the_line_and_column(seeds_build: Path):
    result = kg_query("-e", "SELECT ?s\nWHERE {\n  ?s ?p\n}", "-o", str(seeds_build))
    assert result.exit_code == 1
    assert result.output == (
        "Error: syntax error at line 4, column 2: expected one of LATERAL, SERVICE, [_]\n  }\n   ^\n"
    )
    assert isinstance(result.exception, SystemExit) and "Traceback" not in result.output


def test_an_unknown_prefix_is_named(seeds_build: Path):
    result = kg_query("-e", "SELECT * WHERE { ?s foo:bar ?o }", "-o", str(seeds_build))
    assert result.exit_code == 1
    assert result.output.startswith(
        "Error: syntax error at line 1, column 28: unknown prefix 'foo:' (declare it with PREFIX, "
        "or use one kg knows: schema:, rdf:, rdfs:, xsd:, prov:, skos:, dcterms:, kg:, kgg:)\n"
    )


def test_a_query_past_the_timeout_is_stopped(example_build: Path):
    started = time.perf_counter()
    result = kg_query("-e", ENDLESS, "--timeout", "0.5", "-o", str(example_build))
    assert time.perf_counter() - started < 10
    assert result.exit_code == 1
    assert result.output == (
        "Error: the query ran past the time limit of 0.5s and was stopped "
        "(allow more with --timeout SECONDS, or --timeout 0 for no limit)\n"
    )


def test_the_stopped_query_leaves_no_process_behind(example_build: Path, monkeypatch):
    import kg.query_process

    children = []
    real_popen = subprocess.Popen

    def recording_popen(*args, **kwargs):
        children.append(real_popen(*args, **kwargs))
        return children[-1]

    monkeypatch.setattr(kg.query_process.subprocess, "Popen", recording_popen)
    with pytest.raises(QueryTimeout):
        open_graph(example_build).run(ENDLESS, timeout=0.3)
    assert len(children) == 1 and children[0].poll() is not None


def test_a_missing_parameter_says_how_to_give_it(seeds_build: Path):
    result = kg_query("definitions-of", "-o", str(seeds_build))
    assert result.exit_code == 1
    assert result.output == (
        "Error: definitions-of needs --bind area=VALUE (the area, by IRI or by label (the label ignores case)), "
        "e.g. --bind 'area=Peer to Peer'\n"
    )


def test_a_binding_the_query_cannot_take_is_refused(seeds_build: Path):
    result = kg_query("stats", "--bind", "colour=x", "-o", str(seeds_build))
    assert result.output == "Error: stats has no variable ?colour to bind (its parameters: none)\n"
    # Without a WHERE keyword kg cannot open the clause with VALUES and falls back to
    # SEP-0007 pre-binding, which only binds variables the query returns.
    result = kg_query("-e", "SELECT ?c { ?c skos:prefLabel ?label }", "--bind", "label=Home", "-o", str(seeds_build))
    assert result.exit_code == 1
    assert result.output.startswith("Error: --bind label=... needs ?label in the query's SELECT clause")


def test_a_binding_opens_the_where_clause_so_it_need_not_be_returned(seeds_build: Path):
    query = "SELECT ?c WHERE { GRAPH kgg:concepts { ?c skos:prefLabel ?label } } ORDER BY ?c"
    result = kg_query("-e", query, "--bind", "label=Peer to Peer", "-o", str(seeds_build), "-f", "csv")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["c", "https://term.greeks.live/area/peer-to-peer/"]


def test_an_unknown_query_suggests_a_name(seeds_build: Path):
    result = kg_query("area-definition", "-o", str(seeds_build))
    assert result.exit_code == 1
    assert result.output == (
        "Error: no query named 'area-definition' in the library; did you mean 'area-definitions'? "
        "`kg query --list` shows them\n"
    )


def test_one_query_at_a_time(seeds_build: Path):
    result = kg_query("stats", "-e", "ASK {}", "-o", str(seeds_build))
    assert result.exit_code == 2
    assert "Error: give one query: a NAME from `kg query --list`, a FILE.rq, or -e 'SPARQL'" in result.output


def test_no_store_no_query(tmp_path: Path):
    result = kg_query("stats", "-o", str(tmp_path / "nothing"))
    assert result.exit_code == 1
    assert (
        result.output
        == f"Error: no kg store in {tmp_path / 'nothing'}/ (run `kg build -o {tmp_path / 'nothing'}` first)\n"
    )


# ---------------------------------------------------------------------------- your own queries


def test_a_file_or_a_folder_of_your_own(seeds_build: Path, tmp_path: Path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "areas.rq").write_text(
        "# title: Areas\n# description: Area labels.\nSELECT ?label WHERE { ?a kg:kind 'area' ; skos:prefLabel ?label }"
        " ORDER BY ?label\n"
    )
    by_file = kg_query(str(mine / "areas.rq"), "-f", "csv", "-o", str(seeds_build))
    by_name = kg_query("areas", "--queries", str(mine), "-f", "csv", "-o", str(seeds_build))
    assert by_file.stdout_bytes == by_name.stdout_bytes == b"label\r\nPeer to Peer\r\nPeer to Peer Channels\r\n"
    assert "areas\n    Areas: Area labels." in kg_query("--list", "--queries", str(mine)).output


def test_bind_values_become_iris_or_literals():
    assert str(term_from_text("<https://x.test/a>")) == "<https://x.test/a>"
    assert str(term_from_text("https://x.test/a")) == "<https://x.test/a>"
    assert str(term_from_text("skos:Concept")) == "<http://www.w3.org/2004/02/skos/core#Concept>"
    assert str(term_from_text("Peer to Peer")) == '"Peer to Peer"'
    assert str(term_from_text('"5"^^xsd:integer')) == '"5"^^<http://www.w3.org/2001/XMLSchema#integer>'
    assert str(term_from_text('"https://x.test/a"')) == '"https://x.test/a"'
    with pytest.raises(QueryError, match="--bind takes NAME=VALUE"):
        parse_bindings(["area"])


# ---------------------------------------------------------------------------- from Python


def test_python_gets_rdflib_results_from_the_same_queries(seeds_build: Path):
    graph = open_graph(seeds_build)
    result = graph.query(find_query("definitions-of").text, initBindings={"area": Literal("Peer to Peer")})
    assert isinstance(result, Result)
    assert [str(row.label) for row in result] == [
        "Game Theory Auctions",
        "Peer-to-Peer Order Books",
        "State Transition Integrity",
    ]
    # kg's prefixes are declared, and the default graph is every graph.
    labels = {
        str(row.label) for row in graph.query("SELECT ?label WHERE { ?c kg:kind 'area' ; skos:prefLabel ?label }")
    }
    assert labels == {"Peer to Peer", "Peer to Peer Channels"}
    assert graph.query("ASK { ?page schema:hasPart ?part }").askAnswer is True


def test_python_syntax_errors_are_named(seeds_build: Path):
    with pytest.raises(QuerySyntaxError, match=r"^syntax error at line 1, column 20: "):
        run_in_process(open_graph(seeds_build).store, "SELECT * WHERE { ?s")


def test_values_go_into_the_query_s_own_where_clause():
    import pyoxigraph as ox

    from kg.sparql import bind_with_values

    term = {"x": ox.Literal("a } WHERE {")}
    cases = {
        # a comment and a string that look like the clause, before it
        '# WHERE {\nSELECT ?x ("WHERE {" AS ?w) where{ ?x ?p ?o }': "where{ VALUES",
        # a CONSTRUCT template holding an IRI with '#'
        "CONSTRUCT { ?x <http://example.org/v#p> ?o } WHERE { ?x ?p ?o }": "WHERE { VALUES",
        # a subquery: the outer clause, not the inner one
        "SELECT ?x WHERE { { SELECT ?x WHERE { ?x ?p ?o } } }": "SELECT ?x WHERE { VALUES",
    }
    for query, expected in cases.items():
        text, left = bind_with_values(query, term)
        assert expected in text and left == {}
        assert text.count("VALUES") == 1
        assert len(text.splitlines()) == len(query.splitlines())  # syntax errors keep their line numbers
    assert bind_with_values("SELECT ?x { ?x ?p ?o }", term) == ("SELECT ?x { ?x ?p ?o }", term)


# A result far larger than memory: every combination of three of the store's quads.
ROWS_WITHOUT_END = "SELECT ?a ?d ?g WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.mark.parametrize("format_name", ["tsv", "table"])
def test_a_large_result_streams_to_the_output_as_it_comes(example_build: Path, format_name: str):
    # Held whole, such a result printed nothing before its time limit (and grew to gigabytes);
    # streamed, its first rows are out at once, and the time limit still stops it.
    child = subprocess.Popen(
        [sys.executable, "-m", "kg", "query", "-o", str(example_build), "-f", format_name, "--timeout", "4"]
        + ["-e", ROWS_WITHOUT_END],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    lines = 0
    for _ in child.stdout:
        lines += 1
    assert child.wait(timeout=60) == 1
    assert "the query ran past the time limit of 4s and was stopped" in child.stderr.read().decode()
    assert lines > 10_000
