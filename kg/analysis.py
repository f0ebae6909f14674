"""What stays the same between looks at one concept network, computed once and kept beside it.

PageRank, the concepts in rank order, Louvain's levels, the connected components, the
cluster tree of `kg view`'s overview and the texts of the most central concepts depend
on the network alone (the texts on the concept layer). The build computes them right
after it saves the network (`save_analysis`, called by kg.build.derive_layer), in the
same facts-store transaction; `kg view` and `kg stats` read them (`network_analysis`),
and compute what is missing on the fly for a build made before, for a neighbourhood
(`--around`) or for a network read from a SPARQL endpoint. One `NetworkAnalysis` holds
the pieces, each computed at first use, so stats never builds the cluster tree it does
not print.
"""

from __future__ import annotations

import hashlib
import json
from functools import cached_property
from pathlib import Path

import numpy as np

from .communities import (
    LEAF_LIMIT,
    MAX_CHILDREN,
    TINY,
    TOP_ITEMS,
    UNEVEN,
    Cluster,
    ClusterTree,
    by_rank,
    cluster_tree,
    louvain_levels,
)
from .network.table import ConceptTable

# Concepts whose definition, question and sources the overview page carries (the most central).
DETAILS_LIMIT = 2000
# What the saved pieces were computed with: saved under another, they are computed again.
VERSION = f"1 seed=0 top={TOP_ITEMS} children={MAX_CHILDREN} leaf={LEAF_LIMIT} tiny={TINY} uneven={UNEVEN}"
_META = "network analysis"
_ARRAYS = ("rank", "by rank", "levels", "tree order", "tree clusters")


class NetworkAnalysis:
    """PageRank, rank order, Louvain's levels, components, cluster tree and texts of `table`.

    Concepts keep `table`'s numbering, but for the tree, whose concepts are numbered by rank
    (concept k is `by_rank[k]`, 0 the most central), as the overview page numbers them.
    """

    def __init__(self, table: ConceptTable, **saved) -> None:
        self.table = table
        self.details: dict[str, dict] = saved.pop("details", None) or {}
        # Pieces read from the facts store take the place of the cached properties below.
        self.__dict__.update(saved)

    @cached_property
    def rank(self) -> np.ndarray:
        return self.table.pagerank()

    @cached_property
    def by_rank(self) -> np.ndarray:
        """Concept indexes from the most central down; ties by label (case-folded), then IRI."""
        return by_rank(self.table, self.rank)

    @cached_property
    def number(self) -> np.ndarray:
        """Each concept's place in `by_rank`."""
        number = np.empty(len(self.table), dtype=np.int64)
        number[self.by_rank] = np.arange(len(self.table))
        return number

    @cached_property
    def levels(self) -> list[np.ndarray]:
        """Louvain's levels, finest first; the last is the communities."""
        return louvain_levels(self.table)

    @cached_property
    def components(self) -> int:
        from scipy.sparse.csgraph import connected_components

        return int(connected_components(self.table.adjacency(), directed=False)[0]) if len(self.table) else 0

    @cached_property
    def tree(self) -> ClusterTree:
        """The overview's clusters (kg.communities.cluster_tree), concepts numbered by rank."""
        ranked = self.by_rank
        number = self.number
        table = self.table
        renumbered = ConceptTable(
            [table.nodes[i] for i in ranked.tolist()],
            [table.kinds[i] for i in ranked.tolist()],
            [table.labels[i] for i in ranked.tolist()],
            number[table.heads],
            number[table.tails],
            table.relation,
            table.relations,
        )
        levels = [level[ranked] for level in self.levels]
        return cluster_tree(renumbered, np.zeros(len(table)), levels=levels, ranked=True)


def network_digest(table: ConceptTable) -> str:
    """A digest of everything the analysis depends on: the concepts, their kinds and labels, the relations."""
    hasher = hashlib.sha256(VERSION.encode())
    for array in (table.heads, table.tails, table.relation):
        hasher.update(np.ascontiguousarray(array, dtype="<i8").tobytes())
    for strings in (table.nodes, table.kinds, table.labels, table.relations):
        hasher.update("\n".join(strings).encode("utf-8", "surrogatepass") + b"\0")
    return hasher.hexdigest()


def save_analysis(facts, table: ConceptTable, store) -> None:
    """Compute and keep in `facts` (a kg.factstore.FactStore, in its build transaction) the
    analysis of `table`, the network just saved there; the texts of its most central
    concepts from `store` (whose concept layer `table` is). Where the facts store already
    holds the analysis of the same network (an incremental build that changed no relation
    or label), only the texts are read again."""
    if str(facts.path) == ":memory:":  # kg.link.derive: nothing outlives the call
        return
    if not len(table):  # no concepts: view and stats say so before they would read any of it
        facts.put(_META, None)
        return
    digest = network_digest(table)
    analysis = _read(facts, table, digest=digest) or NetworkAnalysis(table)
    central = [table.nodes[i] for i in analysis.by_rank[:DETAILS_LIMIT].tolist()]
    details = dict(zip(central, concept_details(store, central), strict=True))
    tree = analysis.tree
    clusters = np.array([(c.start, c.end, c.parent, c.depth, c.bundle) for c in tree.clusters], dtype="<i4").reshape(
        -1, 5
    )
    meta = {
        "version": VERSION,
        "digest": digest,
        "concepts": len(table),
        "relations": len(table.heads),
        "levels": len(analysis.levels),
        "components": analysis.components,
        "communities": tree.community_count,
        "details": details,
    }
    # The network's own row first: the analysis row is then written after it (see _read).
    arrays = {
        "rank": np.asarray(analysis.rank, dtype="<f8"),
        "by rank": analysis.by_rank.astype("<i4"),
        "levels": np.concatenate(analysis.levels).astype("<i4"),
        "tree order": tree.order.astype("<i4"),
        "tree clusters": clusters,
    }
    for name, array in arrays.items():
        facts.put(f"{_META} {name}", array.tobytes())
    facts.put(_META, json.dumps(meta, ensure_ascii=False).encode("utf-8"))


def load_analysed(output: Path | str) -> tuple[ConceptTable, NetworkAnalysis]:
    """The concept network of a build folder (kg.network.load_concepts) and its analysis: the
    one the build kept with it, or one that computes each piece when asked (a store read
    because no network was kept with it, or a build made before analyses were kept)."""
    from .factstore import FactStore
    from .network.read import _no_concepts, read_concepts, saved_concepts
    from .store import open_store

    store = open_store(output)
    table = saved_concepts(output, store)
    analysis = None
    if table is None:
        table = read_concepts(store)
    else:
        facts = FactStore.reader(Path(output))
        if facts is not None:
            try:
                analysis = _read(facts, table)
            finally:
                facts.close()
    if not len(table):
        raise _no_concepts(output)
    return table, analysis if analysis is not None else NetworkAnalysis(table)


def _read(facts, table: ConceptTable, *, digest: str | None = None) -> NetworkAnalysis | None:
    """The analysis kept in `facts` if it is that of `table`: with `digest`, when it was made
    for a network of that digest; without, when it was written after the network now saved
    there (a kg that does not know of it replaces the network's row, which gives that row a
    higher rowid than the analysis row) and is the same size."""
    raw = facts.get(_META)
    if raw is None:
        return None
    try:
        meta = json.loads(raw)
    except ValueError:
        return None
    if (meta.get("version"), meta.get("concepts"), meta.get("relations")) != (VERSION, len(table), len(table.heads)):
        return None
    if digest is not None and meta.get("digest") != digest:
        return None
    if digest is None and not _written_after_network(facts):
        return None
    n = len(table)
    blobs = {name: facts.get(f"{_META} {name}") for name in _ARRAYS}
    if any(blob is None for blob in blobs.values()):
        return None
    levels = np.frombuffer(blobs["levels"], dtype="<i4").astype(np.int64).reshape(meta["levels"], n)
    rows = np.frombuffer(blobs["tree clusters"], dtype="<i4").reshape(-1, 5).tolist()
    clusters = [Cluster(start, end, parent, depth, bundle=bundle) for start, end, parent, depth, bundle in rows]
    top = []
    for index, cluster in enumerate(clusters):  # children were made in index order
        (top if cluster.parent < 0 else clusters[cluster.parent].children).append(index)
    tree = ClusterTree(
        clusters, top, np.frombuffer(blobs["tree order"], dtype="<i4").astype(np.int64), meta["communities"]
    )
    return NetworkAnalysis(
        table,
        rank=np.frombuffer(blobs["rank"], dtype="<f8").copy(),
        by_rank=np.frombuffer(blobs["by rank"], dtype="<i4").astype(np.int64),
        levels=list(levels),
        components=meta["components"],
        tree=tree,
        details=meta["details"],
    )


def _written_after_network(facts) -> bool:
    try:
        row = facts.db.execute(
            "SELECT (SELECT rowid FROM meta WHERE key = 'network') < (SELECT rowid FROM meta WHERE key = ?)", (_META,)
        ).fetchone()
    except Exception:  # noqa: BLE001 - an unreadable facts store is one without an analysis
        return False
    return bool(row and row[0])


def concept_details(store, iris: list[str]) -> list[dict]:
    """The definition (cut to view.MAX_DEFINITION), question, url and first sources of each
    concept named, as the page's tooltips show them, read from `store`'s concept layer."""
    import networkx as nx

    from .network.read import add_details
    from .network.table import web_url

    graph = nx.DiGraph()
    graph.add_nodes_from((iri, {"url": web_url(iri)}) for iri in iris)
    add_details(store, graph, iris)
    found = []
    for iri in iris:
        attributes = graph.nodes[iri]
        sources = attributes.get("sources", [])
        found.append(
            {
                "definition": _shorten(attributes.get("definition") or "", MAX_DEFINITION),
                "question": attributes.get("question") or "",
                "url": attributes.get("url"),
                "sources": sources[:MAX_SOURCES],
                "more_sources": max(0, len(sources) - MAX_SOURCES),
            }
        )
    return found


# Tooltips show this much of a definition, and this many of the pages asserting a concept.
MAX_DEFINITION = 600


MAX_SOURCES = 3


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"
