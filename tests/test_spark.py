"""kg build --engine spark in local[2] against the local build: the same store, layer, exports and report.

One SparkSession serves the whole module (a JVM takes seconds to start); kg's Spark build
uses the active session, as it would a notebook's.
"""

from __future__ import annotations

import gzip
import importlib.util
import os
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from conftest import ROOT, write_files
from test_bad_input import GOOD_PAGE, dump, webpage

from kg import BuildConfig, build
from kg.cli.common import main
from kg.factstore import FactStore
from kg.namespaces import CONCEPTS_GRAPH, STATISTICS_GRAPH
from kg.spark import LAYER_FILE, PARTS_DIR, spark_build, start_session
from kg.store import open_store


@pytest.fixture(scope="module")
def spark():
    try:
        import pyspark  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("pyspark is not installed (.ci/run installs kg[spark])")
        pytest.skip("pyspark is not installed (pip install 'kg[spark]')")
    session = start_session("local[2]")
    yield session
    session.stop()


def _quads(output: Path) -> list[str]:
    return sorted(str(quad) for quad in open_store(output))


def _graph(quads: list[str], graph: str) -> list[str]:
    return [quad for quad in quads if quad.endswith(f" <{graph}>")]


def _both(tmp_path: Path, sources: list[str] | None):
    local = build(sources, BuildConfig(output=tmp_path / "local"))
    spark = spark_build(sources, BuildConfig(output=tmp_path / "spark"))
    return local, spark


def _same_build(tmp_path: Path, local, spark) -> list[str]:
    """Assert the two builds agree; return the local store's quads."""
    assert spark.committed and local.committed
    mine, theirs = _quads(tmp_path / "local"), _quads(tmp_path / "spark")
    assert len(theirs) == len(mine)
    for graph in (CONCEPTS_GRAPH, STATISTICS_GRAPH):
        assert _graph(theirs, graph) == _graph(mine, graph)
    assert theirs == mine  # every graph: pages, provenance (with the build's records), layer
    assert (tmp_path / "spark" / "graph.ttl").read_bytes() == (tmp_path / "local" / "graph.ttl").read_bytes()
    assert spark.messages() == local.messages()
    assert (spark.built, spark.failed, spark.empty, spark.triples, spark.nodes, spark.skipped) == (
        local.built,
        local.failed,
        local.empty,
        local.triples,
        local.nodes,
        local.skipped,
    )
    assert spark.exit_code() == local.exit_code()
    assert not (tmp_path / "spark" / PARTS_DIR).exists()  # the parts went into the store
    return mine


def test_example_corpus_builds_the_same_on_spark(spark, tmp_path: Path):
    local, theirs = _both(tmp_path, None)
    quads = _same_build(tmp_path, local, theirs)
    assert len(quads) == 1514 and local.built == 8


def test_seeds_build_the_same_on_spark(spark, tmp_path: Path, seeds_dir: Path):
    local, theirs = _both(tmp_path, [str(seeds_dir)])
    quads = _same_build(tmp_path, local, theirs)
    assert local.built >= 2 and len(_graph(quads, CONCEPTS_GRAPH)) > 100


def test_a_generated_2000_page_corpus_builds_the_same_on_spark(spark, tmp_path: Path):
    spec = importlib.util.spec_from_file_location("bench_corpus", ROOT / "benchmarks" / "corpus.py")
    corpus = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = corpus  # its dataclasses look their module up there
    spec.loader.exec_module(corpus)
    corpus.generate(tmp_path / "corpus", 2000, 0)
    local, theirs = _both(tmp_path, [str(tmp_path / "corpus")])
    quads = _same_build(tmp_path, local, theirs)
    assert local.built == 2000 and len(quads) > 250_000


def test_failing_pages_on_executors_are_reported_as_locally(spark, tmp_path: Path):
    pages = write_files(
        tmp_path / "pages",
        {
            "a-good.txt": GOOD_PAGE,
            "b-broken.txt": dump("https://example.org/broken/", '{"@context": "https://schema.org", "name": '),
            "c-empty.txt": "# A page\n\nNo structured data here.\n",
            "d-again.txt": dump("https://example.org/good/", webpage("The same URL again")),
            "e-partly.txt": dump("https://example.org/partly/", webpage("Partly"), "{not json at all"),
            "f-binary.txt": b"\xc3\x28 not UTF-8 \x80",
        },
    )
    local, theirs = _both(tmp_path, [str(pages)])
    _same_build(tmp_path, local, theirs)
    assert local.failed >= 2 and local.exit_code() == 1
    errors = [message for level, message in theirs.messages() if level == "error"]
    assert any(message.startswith("b-broken.txt") for message in errors), errors
    warnings = [message for level, message in theirs.messages() if level == "warning"]
    assert any("same page URL as a-good.txt" in message for message in warnings), warnings
    assert "<urn:kg:vocab:mergedInto>" in " ".join(_quads(tmp_path / "spark"))
    # The CLI prints the same summary counts and exits the same way.
    here = CliRunner().invoke(main, ["build", str(pages), "-o", str(tmp_path / "cli-local")])
    there = CliRunner().invoke(main, ["build", str(pages), "-o", str(tmp_path / "cli-spark"), "--engine", "spark"])
    assert there.exit_code == here.exit_code == 1
    lines = [line.split(" in ")[0] for line in there.output.replace("cli-spark", "cli-local").splitlines()]
    assert lines == [line.split(" in ")[0] for line in here.output.splitlines()]


def test_no_store_writes_the_parts_and_the_layer(spark, tmp_path: Path):
    import pyarrow.parquet as pq

    local = build(None, BuildConfig(output=tmp_path / "local"))
    report = spark_build(None, BuildConfig(output=tmp_path / "spark"), store=False)
    assert report.committed and report.built == 8
    # The summary is the local build's, node count included (counted by Spark, without a store).
    assert (report.triples, report.nodes, report.messages()) == (local.triples, local.nodes, local.messages())
    out = tmp_path / "spark"
    assert not (out / "store").exists() and not (out / "graph.ttl").exists()
    parts = sorted((out / PARTS_DIR).glob("part-*.nq.gz"))
    assert parts
    # The page facts the executors derived are there as Parquet, one file a task: every page
    # with triples has its facts, and they are what the local build's facts store holds.
    tables = [pq.read_table(path) for path in sorted((out / PARTS_DIR).glob("facts-*.parquet"))]
    assert len(tables) == len(parts)
    facts = [row for table in tables for row in table.column("facts").to_pylist()]
    stored = FactStore.reader(tmp_path / "local")
    kept = {bytes(row[0]) for row in stored.db.execute("SELECT facts FROM pages") if row[0]}
    stored.close()
    assert len(facts) == len(kept) > 0 and set(facts) == kept
    loaded = ox.Store()
    for path in [*parts, out / LAYER_FILE]:
        loaded.load(gzip.decompress(path.read_bytes()), format=ox.RdfFormat.N_QUADS)
    mine = _quads(tmp_path / "local")
    theirs = sorted(str(quad) for quad in loaded)
    # The parts and the rest are the local store without the build's own records (what an
    # incremental build compares), which belong to the build folder, not the graph.
    records = [quad for quad in mine if quad.startswith("<urn:kg:build>")]
    assert records and sorted(set(mine) - set(records)) == theirs
