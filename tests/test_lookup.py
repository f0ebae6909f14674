"""The look-up index: `kg query search` answered from it gives the rows the query gives on the store."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from kg import BuildConfig, build
from kg.cli import main
from kg.lookup import indexed_search
from kg.query import find_query, run_in_process
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


@pytest.mark.parametrize("fmt", ["csv", "json", "table", "tsv"])
def test_kg_query_search_prints_what_the_query_on_the_store_prints(example, tmp_path, fmt):
    args = ["query", "-o", str(example), "search", "--bind", "text=channel", "-f", fmt]
    from_index = CliRunner().invoke(main, args)
    assert from_index.exit_code == 0, from_index.output
    # The same query from a file of its own is not the shipped one: it runs on the store.
    own = tmp_path / "search.rq"
    own.write_text(find_query("search").text, "utf-8")
    from_store = CliRunner().invoke(main, [*args[:3], str(own), *args[4:]])
    assert from_store.exit_code == 0, from_store.output
    assert from_index.stdout_bytes == from_store.stdout_bytes
    assert b"hannel" in from_index.stdout_bytes
