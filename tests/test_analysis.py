"""What the build keeps of its concept network for `kg view` and `kg stats` (kg/analysis.py).

A build computes the ranks, Louvain's levels, the overview's cluster tree and the texts of
the most central concepts once; view and stats read them. What they print and write must
be what they computed themselves before the build kept anything, for a folder built
before, and for a folder whose network an older kg replaced.
"""

from __future__ import annotations

import importlib.util
import shutil
import sqlite3
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from kg import BuildConfig, build
from kg.analysis import NetworkAnalysis, load_analysed
from kg.cli.common import main
from kg.factstore import FACTS_FILE

ROOT = Path(__file__).resolve().parent.parent
PAGES = 150  # about 700 concepts: an overview, not a direct drawing


def _bench_corpus():
    spec = importlib.util.spec_from_file_location("bench_corpus", ROOT / "benchmarks" / "corpus.py")
    corpus = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = corpus  # its dataclasses look their module up there
    spec.loader.exec_module(corpus)
    return corpus


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("analysis")
    _bench_corpus().generate(folder / "corpus", PAGES, 0)
    report = build([str(folder / "corpus")], BuildConfig(output=folder / "out"))
    assert report.committed and report.failed == 0, report.messages()
    return folder / "out"


def _without_analysis(built: Path, target: Path) -> Path:
    """A copy of the build as a kg that keeps no analysis leaves it."""
    shutil.copytree(built, target)
    with sqlite3.connect(target / FACTS_FILE) as db:
        db.execute("DELETE FROM meta WHERE key LIKE 'network analysis%'")
    return target


def _run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def _view(output: Path, page: Path) -> bytes:
    _run("view", "-o", str(output), "--to", str(page))
    # The page's title names the folder: the rest must be the same bytes.
    return page.read_bytes().replace(f"network of {output.name}/".encode(), b"network of FOLDER/")


def test_a_build_keeps_the_analysis_and_view_and_stats_read_it(built, tmp_path):
    table, analysis = load_analysed(built)
    assert len(table) > 500
    kept = analysis.__dict__
    for piece in ("rank", "by_rank", "levels", "components", "tree"):
        assert piece in kept, f"{piece} was not read from the facts store"
    assert len(analysis.details) == min(len(table), 2000)
    # What was kept is what computing it again gives.
    fresh = NetworkAnalysis(table)
    assert np.array_equal(analysis.by_rank, fresh.by_rank)
    assert np.allclose(analysis.rank, fresh.rank, rtol=0, atol=0)
    assert all(np.array_equal(a, b) for a, b in zip(analysis.levels, fresh.levels, strict=True))
    assert analysis.components == fresh.components
    assert np.array_equal(analysis.tree.order, fresh.tree.order)
    assert analysis.tree.top == fresh.tree.top
    assert [vars(c) for c in analysis.tree.clusters] == [vars(c) for c in fresh.tree.clusters]
    # And view and stats give what they give without it.
    before = _without_analysis(built, tmp_path / "before")
    assert "rank" not in load_analysed(before)[1].__dict__
    assert _view(built, tmp_path / "kept.html") == _view(before, tmp_path / "computed.html")
    assert _run("stats", "-o", str(built)) == _run("stats", "-o", str(before))


def test_an_analysis_left_by_a_replaced_network_is_not_used(built, tmp_path):
    """A kg that knows nothing of analyses rewrites the network row; the analysis beside it
    then belongs to another network and is computed again."""
    copy = shutil.copytree(built, tmp_path / "copy")
    with sqlite3.connect(copy / FACTS_FILE) as db:
        (network,) = db.execute("SELECT value FROM meta WHERE key = 'network'").fetchone()
        db.execute("INSERT OR REPLACE INTO meta VALUES ('network', ?)", (network,))
    table, analysis = load_analysed(copy)
    assert "tree" not in analysis.__dict__
    assert analysis.tree.top  # computed when asked


def test_a_build_whose_network_did_not_change_keeps_its_ranks_and_clusters(built, tmp_path, monkeypatch):
    import kg.analysis
    from kg.factstore import FactStore
    from kg.store import open_store

    copy = shutil.copytree(built, tmp_path / "copy")
    table, kept = load_analysed(copy)

    def refused(*args, **kwargs):
        raise AssertionError("computed again")

    monkeypatch.setattr(kg.analysis, "louvain_levels", refused)
    monkeypatch.setattr(kg.analysis, "cluster_tree", refused)
    facts = FactStore.open(copy)
    kg.analysis.save_analysis(facts, table, open_store(copy))
    facts.commit()
    again = load_analysed(copy)[1]
    assert np.array_equal(again.tree.order, kept.tree.order) and again.details == kept.details
