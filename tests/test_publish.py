"""graph.ttl from the pieces the build kept: the store's merged graph, without reading the store."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import Graph
from rdflib.compare import isomorphic

from kg import BuildConfig, build
from kg.cli.common import main
from kg.export import export
from kg.factstore import FactStore
from kg.publish import count_nodes, covers
from kg.sources import example_corpus
from kg.store import open_store


def built(corpus: Path, out: Path):
    report = build([str(corpus)], BuildConfig(output=out))
    assert report.committed, report.messages()
    return report


def from_store(out: Path) -> bytes:
    """The merged Turtle as the store gives it (what graph.ttl was before the pieces)."""
    stream = io.BytesIO()
    export(open_store(out), "turtle", stream)
    return stream.getvalue()


def same_graph(one: bytes, other: bytes) -> bool:
    """The same triples, term for term (Oxigraph), and isomorphic graphs (rdflib)."""
    terms = [set(ox.parse(data, format=ox.RdfFormat.TURTLE)) for data in (one, other)]
    parsed = [Graph().parse(data=data, format="turtle") for data in (one, other)]
    return terms[0] == terms[1] and isomorphic(*parsed)


@pytest.mark.parametrize("corpus", ["example", "seeds"])
def test_graph_ttl_is_the_store_s_merged_graph(corpus, seeds_dir, tmp_path):
    out = tmp_path / "out"
    report = built(example_corpus() if corpus == "example" else seeds_dir, out)
    graph = (out / "graph.ttl").read_bytes()
    facts = FactStore.reader(out)
    try:
        assert covers(facts, open_store(out)), "the pieces cover the store, so graph.ttl came from them"
    finally:
        facts.close()
    assert same_graph(graph, from_store(out))
    assert report.nodes == count_nodes(open_store(out))
    # kg export -f turtle gives graph.ttl's bytes; the other formats still read the store.
    again = CliRunner().invoke(main, ["export", "-o", str(out), "-f", "turtle", "--to", "-"])
    assert again.exit_code == 0 and again.stdout_bytes == graph


def test_graph_ttl_is_the_same_whichever_build_made_it(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(example_corpus(), corpus)
    out = tmp_path / "out"
    built(corpus, out)
    before = (out / "graph.ttl").read_bytes()
    changed = corpus / "area-state-channels.txt"
    changed.write_text(changed.read_text("utf-8").replace("Mechanism ⎊", "Mechanism (revised) ⎊", 1), "utf-8")
    (corpus / "area-layer-two-scaling.txt").unlink()
    incremental = built(corpus, out)
    full = built(corpus, tmp_path / "full")
    graph = (out / "graph.ttl").read_bytes()
    assert graph != before and b"Mechanism (revised)" in graph and b"/area/layer-two-scaling/" not in graph
    assert graph == (tmp_path / "full" / "graph.ttl").read_bytes()
    assert same_graph(graph, from_store(out))
    assert incremental.nodes == full.nodes == count_nodes(open_store(out))


def test_a_graph_an_update_added_reaches_graph_ttl(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(example_corpus(), corpus)
    out = tmp_path / "out"
    built(corpus, out)
    insert = 'INSERT DATA { GRAPH <urn:mine> { <urn:mine:a> schema:name "Added by hand" } }'
    assert CliRunner().invoke(main, ["query", "-o", str(out), "--update", "-e", insert]).exit_code == 0
    changed = corpus / "area-state-channels.txt"
    changed.write_text(changed.read_text("utf-8").replace("Mechanism ⎊", "Mechanism (revised) ⎊", 1), "utf-8")
    report = built(corpus, out)
    graph = (out / "graph.ttl").read_bytes()
    # The pieces do not cover a graph of the user's: graph.ttl is read from the store.
    assert b"Added by hand" in graph and b"Mechanism (revised)" in graph
    assert same_graph(graph, from_store(out))
    assert report.nodes == count_nodes(open_store(out))
    assert any(str(g) == "<urn:mine>" for g in open_store(out).named_graphs())
    assert ox.NamedNode("urn:mine:a") in {q.subject for q in open_store(out).quads_for_pattern(None, None, None)}
