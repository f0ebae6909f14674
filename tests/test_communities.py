"""Louvain's levels, the cluster tree of `kg view`'s overview, and the overview page's bytes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner
from concept_fixtures import concept_quads, small_store, synthetic, write_store
from test_view_overview import islands

from kg.cli.common import main
from kg.communities import LEAF_LIMIT, MAX_CHILDREN, TOP_ITEMS, cluster_tree, communities, louvain_levels
from kg.network.read import read_concepts
from kg.network.stats import summarize
from kg.store import open_store


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    out = tmp_path_factory.mktemp("communities") / "out"
    concepts, relations = islands(60)
    write_store(out, synthetic(1500) + concept_quads(concepts, relations))
    return out


def test_louvain_levels_nest_and_end_in_the_communities_kg_stats_prints(network):
    table = read_concepts(open_store(network))
    levels = louvain_levels(table)
    assert len(levels) >= 2
    for finer, coarser in zip(levels, levels[1:], strict=False):
        # Each community of a level lies inside one community of the next.
        pairs = np.unique(np.column_stack([finer, coarser]), axis=0)
        assert len(np.unique(pairs[:, 0])) == len(pairs)
    found = communities(table)
    assert [len(c) for c in found] == sorted((len(c) for c in found), reverse=True)
    assert sorted(n for c in found for n in c) == list(range(len(table)))
    stats = summarize(table, shown_communities=len(found))
    assert [sorted(c.members) for c in stats.communities] == [sorted(table.nodes[n] for n in c) for c in found]
    # Seeded: the same every time.
    assert all((a == b).all() for a, b in zip(levels, louvain_levels(table), strict=True))


def test_the_cluster_tree_holds_every_concept_once_in_short_screens(network):
    table = read_concepts(open_store(network))
    tree = cluster_tree(table, table.pagerank())
    assert sorted(tree.order.tolist()) == list(range(len(table)))
    assert 2 <= len(tree.top) <= TOP_ITEMS < tree.community_count
    assert sum(tree.clusters[c].size for c in tree.top) == len(table)
    for index, cluster in enumerate(tree.clusters):
        if cluster.children:
            assert 2 <= len(cluster.children) <= MAX_CHILDREN
            # The children's runs tile the parent's, in order.
            runs = [(tree.clusters[c].start, tree.clusters[c].end) for c in cluster.children]
            assert runs[0][0] == cluster.start and runs[-1][1] == cluster.end
            assert all(a[1] == b[0] for a, b in zip(runs, runs[1:], strict=False))
            assert all(tree.clusters[c].parent == index for c in cluster.children)
        else:
            assert cluster.size <= LEAF_LIMIT  # opens into at most this many concepts


def page_data(page: str) -> dict:
    found = re.search(r'<script id="kg-data" type="application/json">(.*?)</script>', page, re.S)
    return json.loads(found.group(1))


def test_the_overview_page_is_the_same_whatever_python_s_string_hashing(network, tmp_path):
    pages = []
    for seed in ("1", "2"):
        page = tmp_path / f"view-{seed}.html"
        done = subprocess.run(
            [sys.executable, "-m", "kg", "view", "-o", str(network), "--to", str(page)],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr.decode()
        pages.append(page.read_bytes())
    assert pages[0] == pages[1]
    data = page_data(pages[0].decode())
    assert data["mode"] == "overview" and data["concepts"] == 1680


def test_cli_view_says_it_wrote_an_overview_and_max_nodes_still_draws_concepts(network, tmp_path):
    result = CliRunner().invoke(main, ["view", "-o", str(network), "--to", str(tmp_path / "o.html")])
    assert result.exit_code == 0, result.output
    assert "(an overview of 1,680 concepts and " in result.stderr
    assert " clusters on the first screen); open file://" in result.stderr
    result = CliRunner().invoke(
        main, ["view", "-o", str(network), "--max-nodes", "300", "--to", str(tmp_path / "d.html")]
    )
    assert result.exit_code == 0, result.output
    assert "Showing the 300 most central of 1,680 concepts" in result.stderr
    assert "nodes" in page_data((tmp_path / "d.html").read_text("utf-8"))
    # A small network keeps the direct drawing without being asked.
    out = small_store(tmp_path / "small")
    result = CliRunner().invoke(main, ["view", "-o", str(out)])
    assert result.exit_code == 0 and "(12 concepts, 16 relations)" in result.stderr


def test_stats_counts_every_community_and_shows_the_largest(network):
    table = read_concepts(open_store(network))
    found = communities(table)
    assert len(found) > 12
    report = summarize(table).report()
    assert f"\ncommunities (Louvain): {len(found)} (the 12 largest shown)\n" in report
    assert "\n  12. " in report and "\n  13. " not in report
    assert "\nconnected components: " in report
