"""The foundation's acceptance points: the seeds build into a reconciled graph, byte-identically."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from click.testing import CliRunner

from kg.cli.common import main
from kg.namespaces import KG, PROVENANCE_GRAPH, SCHEMA
from kg.store import open_store

AREA = "https://term.greeks.live/area/peer-to-peer/"
CHANNELS = "https://term.greeks.live/area/peer-to-peer-channels/"
ORDER_BOOKS = "https://term.greeks.live/term/peer-to-peer-order-books/"


def run(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def seeds_build(seeds_dir: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    result = run("build", str(seeds_dir), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "2 pages (2 built, 0 failed)" in result.output
    return out


def merged(out: Path) -> rdflib.Graph:
    graph = rdflib.Graph()
    graph.parse(out / "graph.ttl", format="turtle")
    return graph


def test_areas_are_iris_with_their_articles(seeds_build: Path):
    graph = merged(seeds_build)
    has_part = rdflib.URIRef(SCHEMA.hasPart)
    assert len(set(graph.objects(rdflib.URIRef(AREA), has_part))) == 3
    assert len(set(graph.objects(rdflib.URIRef(CHANNELS), has_part))) == 6
    # Peer-to-Peer Order Books: one node, reached from both areas.
    assert set(graph.subjects(has_part, rdflib.URIRef(ORDER_BOOKS))) == {rdflib.URIRef(AREA), rdflib.URIRef(CHANNELS)}
    # Page-level CollectionPage and FAQPage are one node: the page URL.
    types = set(graph.objects(rdflib.URIRef(AREA), rdflib.RDF.type))
    assert {rdflib.URIRef(SCHEMA.CollectionPage), rdflib.URIRef(SCHEMA.FAQPage)} <= types
    assert not any(isinstance(s, rdflib.BNode) for s in graph.subjects())


def test_author_repeated_on_every_article_is_one_node(seeds_build: Path):
    graph = merged(seeds_build)
    people = set(graph.subjects(rdflib.RDF.type, rdflib.URIRef(SCHEMA.Person)))
    assert people == {rdflib.URIRef("https://term.greeks.live/author/greeks-live/")}


def test_breadcrumbs_are_iris_hanging_from_the_page(seeds_build: Path):
    graph = merged(seeds_build)
    items = set(graph.objects(None, rdflib.URIRef(SCHEMA.item)))
    assert items and all(isinstance(item, rdflib.URIRef) for item in items)
    assert rdflib.URIRef("https://term.greeks.live/area/") in items
    crumbs = list(graph.objects(rdflib.URIRef(AREA), rdflib.URIRef(SCHEMA.breadcrumb)))
    assert len(crumbs) == 1
    assert (crumbs[0], rdflib.RDF.type, rdflib.URIRef(SCHEMA.BreadcrumbList)) in graph


def test_dates_are_xsd_typed(seeds_build: Path):
    graph = merged(seeds_build)
    dates = list(graph.objects(None, rdflib.URIRef(SCHEMA.datePublished)))
    assert dates and {d.datatype for d in dates} == {rdflib.XSD.dateTime}
    # SPARQL compares them as dates, which only works once they are typed.
    rows = graph.query(
        "PREFIX schema: <http://schema.org/> SELECT ?a WHERE { ?a schema:datePublished ?d "
        "FILTER(?d > '2026-03-01T00:00:00Z'^^<http://www.w3.org/2001/XMLSchema#dateTime>) }"
    )
    assert len(rows) >= 4


def test_schema_terms_use_one_namespace_and_prefix(seeds_build: Path):
    text = (seeds_build / "graph.ttl").read_text()
    assert "@prefix schema: <http://schema.org/> ." in text
    assert "https://schema.org/" not in text


def test_each_page_has_its_named_graph_and_provenance(seeds_build: Path):
    store = open_store(seeds_build)
    for page, source in ((AREA, "000_32d5e2f3ccc92ccf.txt"), (CHANNELS, "002_2fa15f4e3604767a.txt")):
        assert store.contains_named_graph(ox.NamedNode(page))
        record = {
            q.predicate.value: q.object.value
            for q in store.quads_for_pattern(ox.NamedNode(page), None, None, ox.NamedNode(PROVENANCE_GRAPH))
        }
        assert record[str(KG.sourcePath)] == source
        assert len(record[str(KG.sha256)]) == 64
        assert record[str(KG.reader)] == "dump"
        assert record[str(KG.blockCount)] == "3"
        assert int(record[str(KG.tripleCount)]) > 50
        assert record[str(KG.status)] == "built"


def test_two_builds_give_byte_identical_exports(seeds_dir: Path, tmp_path: Path):
    outputs = []
    for name in ("one", "two"):
        out = tmp_path / name
        assert run("build", str(seeds_dir), "-o", str(out)).exit_code == 0
        exports = {}
        for fmt in ("turtle", "trig", "nquads", "ntriples", "jsonld"):
            target = out / f"export.{fmt}"
            assert run("export", "-o", str(out), "-f", fmt, "--to", str(target)).exit_code == 0
            exports[fmt] = target.read_bytes()
        outputs.append(exports)
    assert outputs[0] == outputs[1]


def test_rebuild_replaces_rather_than_duplicates(seeds_dir: Path, tmp_path: Path):
    out = tmp_path / "out"
    run("build", str(seeds_dir), "-o", str(out))
    first = len(open_store(out))
    run("build", str(seeds_dir), "-o", str(out))
    assert len(open_store(out)) == first


def test_the_summary_counts_the_nodes_of_the_exported_graph(tmp_path: Path):
    out = tmp_path / "out"
    result = run("build", "-o", str(out))
    assert result.exit_code == 0, result.output
    said = int(result.output.split(" nodes,")[0].rsplit(" ", 1)[1])
    # The nodes are the distinct subjects of graph.ttl, which holds every graph but provenance.
    assert said == len(set(merged(out).subjects()))
    query = f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{PROVENANCE_GRAPH}>) }}"
    assert said == int(next(iter(open_store(out).query(query)))["n"].value)


def test_a_large_build_says_which_stage_it_is_in(tmp_path: Path):
    import re
    import subprocess
    import sys

    from kg.build import PROGRESS_FROM_FILES
    from kg.facts import corpus_rules_of
    from kg.rules import load_rules
    from kg.sources import example_corpus

    # Past the file bar, a large build runs its rules and writes its export for minutes:
    # it says which, as each starts. A small one stays quiet.
    corpus = tmp_path / "large"
    corpus.mkdir()
    pages = sorted(example_corpus().glob("*.txt"))
    for n in range(-(-PROGRESS_FROM_FILES // len(pages))):
        for page in pages:
            text = page.read_text("utf-8").replace(
                "https://glossary.example.org/", f"https://c{n}.glossary.example.org/"
            )
            (corpus / f"{page.stem}-{n}.txt").write_text(text, "utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "kg", "build", str(corpus), "-o", str(tmp_path / "out")], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    rules = [rule.stem for rule in corpus_rules_of(load_rules())]
    stages = [line for line in done.stderr.splitlines() if line.startswith(("concept rules:", "writing "))]
    # Each rule once, as it finishes, counted in the order they finish (two may run side by
    # side, so not always in file order).
    finished = [re.fullmatch(r"concept rules: (\S+) done in [\d.]+ s \((\d+) of (\d+)\)", line) for line in stages[:-1]]
    assert all(finished), stages
    assert sorted(match.group(1) for match in finished) == sorted(rules)
    assert [(int(match.group(2)), int(match.group(3))) for match in finished] == [
        (n, len(rules)) for n in range(1, len(rules) + 1)
    ]
    assert stages[-1] == "writing graph.ttl"
    lines = done.stderr.splitlines()
    assert lines.index("writing graph.ttl") < next(i for i, line in enumerate(lines) if " pages (" in line)

    small = CliRunner().invoke(main, ["build", "-o", str(tmp_path / "small")])
    assert small.exit_code == 0 and "concept rules:" not in small.output and "writing graph" not in small.output
