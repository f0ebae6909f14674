"""The look-up index: `kg query search` answered from it gives the rows the query gives on the store."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from kg import BuildConfig, build
from kg.cli.common import main
from kg.library import find_query
from kg.lookup import indexed_answer, indexed_search
from kg.query import run_in_process
from kg.sources import example_corpus
from kg.store import open_store

WORDS = ["channel", "Peer to Peer", "peer-to-PEER", "state channel", "ch", "a", "", "no such words anywhere", 'say "x"']


def built(corpus: Path, out: Path) -> Path:
    report = build([str(corpus)], BuildConfig(output=out))
    assert report.committed, report.messages()
    return out


def both(out: Path, word: str) -> tuple[list[dict], list[dict]]:
    """search.rq's rows from the index and from the whole store, in their order."""
    query = find_query("search")
    bindings = {"text": ox.Literal(word)}
    indexed = indexed_search(out, query.text, bindings)
    assert indexed is not None, "the build left no usable index"
    return indexed.rows(), run_in_process(open_store(out), query.text, bindings).rows()


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Path:
    return built(example_corpus(), tmp_path_factory.mktemp("example") / "out")


@pytest.mark.parametrize("word", WORDS)
def test_the_index_gives_the_search_rows_of_the_store_on_the_example(example, word):
    from_index, from_store = both(example, word)
    assert from_index == from_store
    if word == "channel":
        assert from_index, "the example has concepts about channels"


def test_the_index_gives_the_search_rows_of_the_store_on_the_seeds(seeds_dir, tmp_path):
    out = built(seeds_dir, tmp_path / "out")
    found = 0
    for word in [*WORDS, "lightning", "Layer 2", "proof-of", "é"]:
        from_index, from_store = both(out, word)
        assert from_index == from_store, word
        found += len(from_index)
    assert found > 10


def test_an_incremental_build_updates_the_index(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(example_corpus(), corpus)
    out = built(corpus, tmp_path / "out")
    assert both(out, "revised mechanism")[0] == []
    changed = corpus / "area-state-channels.txt"
    changed.write_text(changed.read_text("utf-8").replace("Mechanism ⎊", "Revised Mechanism ⎊", 1), "utf-8")
    (corpus / "area-layer-two-scaling.txt").unlink()
    built(corpus, out)
    for word in ("revised mechanism", "layer two", "channel"):
        from_index, from_store = both(out, word)
        assert from_index == from_store, word
    assert both(out, "revised mechanism")[0]
    full = built(corpus, tmp_path / "full")
    assert both(full, "channel")[0] == both(out, "channel")[0]


def test_after_an_update_the_search_reads_the_store(tmp_path):
    out = built(example_corpus(), tmp_path / "out")
    insert = 'INSERT DATA { GRAPH kgg:concepts { <urn:x:new> kg:kind "term" ; skos:prefLabel "Channel, by hand" } }'
    assert CliRunner().invoke(main, ["query", "-o", str(out), "--update", "-e", insert]).exit_code == 0
    query = find_query("search")
    assert indexed_search(out, query.text, {"text": ox.Literal("by hand")}) is None  # the index is stale
    result = CliRunner().invoke(main, ["query", "-o", str(out), "search", "--bind", "text=by hand", "-f", "csv"])
    assert result.exit_code == 0 and "Channel, by hand" in result.output


@pytest.mark.parametrize(
    ("name", "bind", "shown"),
    [
        ("search", "text=channel", b"hannel"),
        ("definitions-of", "area=peer to peer", b"Peer"),
        ("facets-of", "area=State Channels", b"?"),
    ],
)
@pytest.mark.parametrize("fmt", ["csv", "json", "table", "tsv"])
def test_kg_query_prints_what_the_query_on_the_store_prints(example, tmp_path, fmt, name, bind, shown):
    args = ["query", "-o", str(example), name, "--bind", bind, "-f", fmt]
    from_index = CliRunner().invoke(main, args)
    assert from_index.exit_code == 0, from_index.output
    # The same query from a file of its own is not the shipped one: it runs on the store.
    own = tmp_path / f"{name}.rq"
    own.write_text(find_query(name).text, "utf-8")
    from_store = CliRunner().invoke(main, [*args[:3], str(own), *args[4:]])
    assert from_store.exit_code == 0, from_store.output
    assert from_index.stdout_bytes == from_store.stdout_bytes
    assert shown in from_index.stdout_bytes


def areas_of(out: Path) -> list[ox.NamedNode | ox.Literal]:
    """Every concept with facets or narrower concepts, by label (in upper case too) and by IRI,
    and two that name nothing."""
    rows = open_store(out).query(
        "SELECT DISTINCT ?c ?label WHERE { GRAPH <urn:kg:graph:concepts> { "
        "?c <http://www.w3.org/2004/02/skos/core#prefLabel> ?label "
        "{ ?c <http://www.w3.org/2004/02/skos/core#narrower> ?n } UNION { ?c <urn:kg:vocab:facet> ?f } } }"
    )
    found = []
    for row in rows:
        found += [row["c"], ox.Literal(row["label"].value), ox.Literal(row["label"].value.upper())]
    return [*found, ox.Literal("no such area"), ox.NamedNode("https://nowhere.example/")]


@pytest.mark.parametrize("name", ["definitions-of", "facets-of"])
@pytest.mark.parametrize("corpus", ["example", "seeds"])
def test_the_index_gives_the_area_rows_of_the_store(name, corpus, example, seeds_dir, tmp_path):
    out = example if corpus == "example" else built(seeds_dir, tmp_path / "out")
    query = find_query(name)
    store = open_store(out)
    areas = areas_of(out)
    found = 0
    for area in areas:
        indexed = indexed_answer(out, query.origin, query.text, {"area": area})
        assert indexed is not None
        rows = indexed.rows()
        assert rows == run_in_process(store, query.text, {"area": area}).rows(), area
        found += len(rows)
    assert len(areas) > 3 and found > 3
