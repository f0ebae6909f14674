"""The concept network as a table: concepts' IRIs, kinds and labels, relations as integer arrays; PageRank."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import networkx as nx
import numpy as np
from scipy import sparse

from .labels import _QUALIFIED, _index_of, _normal, _normal_all


def web_url(value: str | None) -> str | None:
    """`value` when it is an http(s) URL a browser may open, else None."""
    if not value:
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    return value if parts.scheme in ("http", "https") and parts.netloc else None


# Navigation pages (the site's home, its index of areas) join everything to
# everything; a path goes through one only when nothing else connects the two ends.
NAVIGATION_KIND = "page"


_web_url = web_url  # one rule for which links a page may open (kg.browse.web_url)


@dataclass(frozen=True)
class ConceptTable:
    """The concept network as lists and integer arrays: what finding, ranking and cutting need.

    A networkx graph keeps a dictionary per node and per edge; on a 100,000-page store
    (about 450,000 concepts, 2.9 million relations) that is gigabytes. Here a relation is
    three integers. `graph()` makes the networkx graph (`part(keep).graph()` that of the
    concepts kept); it is the graph `concept_graph` returns, node for node and edge for
    edge in the same order.
    """

    nodes: list[str]  # concept IRIs ("_:id" for a blank node), sorted
    kinds: list[str]
    labels: list[str]
    heads: np.ndarray  # each relation's start: node indexes, in the order the relations were chosen
    tails: np.ndarray
    relation: np.ndarray  # index into `relations`
    relations: list[str]

    def __len__(self) -> int:
        return len(self.nodes)

    def find(self, text: str) -> int:
        """The index of the one concept `text` names (see `find_concept`).

        An IRI, or a label (or prefix) only one concept has, is found without the
        dictionaries `find_concept` builds; the other cases (qualified, ambiguous or
        unknown names) go through it.
        """
        stripped = text.strip()
        iri = stripped[1:-1] if stripped.startswith("<") and stripped.endswith(">") else stripped
        at = bisect_left(self.nodes, iri)
        if at < len(self.nodes) and self.nodes[at] == iri:
            return at
        wanted = _normal(text)
        if not _QUALIFIED.fullmatch(wanted):
            normals = self._normal_labels()
            starting = [i for i, label in enumerate(normals) if label.startswith(wanted)]
            for matches in ([i for i in starting if normals[i] == wanted], starting):
                if len(matches) == 1:
                    return matches[0]
                if matches:
                    break
        return _index_of(text, self.nodes, self.labels, self.kinds)

    def _normal_labels(self) -> list[str]:
        """`_normal` of every label, computed once a table (two finds share it)."""
        cached = self.__dict__.get("_normals")
        if cached is None:
            cached = _normal_all(self.labels)
            object.__setattr__(self, "_normals", cached)
        return cached

    def describe(self, index: int) -> str:
        return f"{self.labels[index]} ({self.kinds[index]})"

    def by_rank(self, rank, indexes: Iterable[int]) -> list[int]:
        """`indexes` from the highest `rank` (indexable by index) down; ties by label, then IRI."""
        return sorted(indexes, key=lambda n: (-rank[n], _normal(self.labels[n]), self.nodes[n]))

    def adjacency(self, allowed: np.ndarray | None = None) -> sparse.csr_array:
        """The undirected network as a symmetric 0/1 matrix (a pair has one relation, so no entry
        exceeds 1); with `allowed` (a mask of the nodes), only the relations between allowed nodes."""
        n = len(self.nodes)
        heads, tails = self.heads, self.tails
        if allowed is not None:
            kept = allowed[heads] & allowed[tails]
            heads, tails = heads[kept], tails[kept]
        ones = np.ones(len(heads) * 2)
        ends = (np.concatenate([heads, tails]), np.concatenate([tails, heads]))
        return sparse.csr_array((ones, ends), shape=(n, n))

    def pagerank(self, *, alpha: float = 0.85, max_iter: int = 100, tol: float = 1.0e-6) -> np.ndarray:
        """PageRank of every concept over the undirected network (see `pagerank`)."""
        return pagerank(self.adjacency(), alpha=alpha, max_iter=max_iter, tol=tol)

    def within(self, center: int, depth: int) -> np.ndarray:
        """The indexes of the concepts at most `depth` relations from `center`, either direction, sorted."""
        matrix = self.adjacency()
        reached = np.zeros(len(self.nodes), dtype=bool)
        reached[center] = True
        frontier = np.array([center])
        for _ in range(depth):
            rows = matrix[frontier]
            found = np.unique(rows.indices) if rows.nnz else np.zeros(0, dtype=int)
            frontier = found[~reached[found]]
            if not len(frontier):
                break
            reached[frontier] = True
        return np.flatnonzero(reached)

    def on_shortest_paths(self, source: int, target: int) -> np.ndarray:
        """The indexes of the concepts on a shortest path between two, sorted: those avoiding
        navigation pages and those through them. `concept_paths` on the part they make finds
        the paths it finds on the whole network (every shortest path lies inside it)."""
        found = {source, target}
        allowed = np.array([kind != NAVIGATION_KIND for kind in self.kinds], dtype=bool)
        allowed[[source, target]] = True
        whole = self.adjacency()
        for matrix in (_between(whole, allowed), whole):
            from_source = _hops(matrix, source, until=target)
            if (length := from_source[target]) >= 0:
                from_target = _hops(matrix, target, limit=length)
                on_path = (from_source >= 0) & (from_target >= 0) & (from_source + from_target == length)
                found.update(np.flatnonzero(on_path).tolist())
        return np.array(sorted(found))

    def part(self, keep: Iterable[int]) -> ConceptTable:
        """The concepts at the indexes `keep` and the relations among them, numbered anew in the same order."""
        keep = np.unique(np.fromiter(keep, dtype=np.int64))
        number = np.full(len(self.nodes), -1, dtype=np.int64)
        number[keep] = np.arange(len(keep))
        wanted = (number[self.heads] >= 0) & (number[self.tails] >= 0)
        return ConceptTable(
            [self.nodes[i] for i in keep.tolist()],
            [self.kinds[i] for i in keep.tolist()],
            [self.labels[i] for i in keep.tolist()],
            number[self.heads[wanted]],
            number[self.tails[wanted]],
            self.relation[wanted],
            self.relations,
        )

    def graph(self) -> nx.DiGraph:
        """The networkx graph: nodes with kind, label and url, edges with relation."""
        graph = nx.DiGraph()
        nodes, relations = self.nodes, self.relations
        graph.add_nodes_from(
            (node, {"kind": kind, "label": label, "url": _web_url(node)})
            for node, kind, label in zip(nodes, self.kinds, self.labels, strict=True)
        )
        graph.add_edges_from(
            (nodes[head], nodes[tail], {"relation": relations[code]})
            for head, tail, code in zip(self.heads.tolist(), self.tails.tolist(), self.relation.tolist(), strict=True)
        )
        return graph


def _hops(matrix: sparse.csr_array, start: int, *, until: int | None = None, limit: int | None = None) -> np.ndarray:
    """Each node's number of hops from `start` in `matrix` (-1: not reached), breadth first,
    level by level: up to the level that reaches `until`, or `limit` levels. Only the levels
    a path needs are visited, where a whole-network search would visit them all."""
    hops = np.full(matrix.shape[0], -1, dtype=np.int64)
    hops[start] = 0
    frontier, level = np.array([start]), 0
    while len(frontier) and (until is None or hops[until] < 0) and (limit is None or level < limit):
        level += 1
        reached = np.unique(matrix[frontier].indices)
        frontier = reached[hops[reached] < 0]
        hops[frontier] = level
    return hops


def _between(matrix: sparse.csr_array, allowed: np.ndarray) -> sparse.csr_array:
    """`matrix` without the entries of rows or columns that are not `allowed`."""
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    kept = allowed[rows] & allowed[matrix.indices]
    # eliminate_zeros works in place: the copies keep `matrix` whole
    masked = sparse.csr_array((matrix.data * kept, matrix.indices.copy(), matrix.indptr.copy()), shape=matrix.shape)
    masked.eliminate_zeros()
    return masked


def centrality(graph: nx.Graph) -> dict[str, float]:
    """PageRank of every node of a networkx graph over its undirected view (hubs score high
    whichever way edges point), by `pagerank`."""
    nodes = list(graph)
    # An undirected view, not a copy: an edge either way is one link, without a second network in memory.
    matrix = nx.to_scipy_sparse_array(graph.to_undirected(as_view=True), nodelist=nodes, dtype=float)
    return dict(zip(nodes, pagerank(matrix).tolist(), strict=True))


def pagerank(matrix: sparse.csr_array, *, alpha: float = 0.85, max_iter: int = 100, tol: float = 1.0e-6) -> np.ndarray:
    """PageRank on a symmetric adjacency matrix: kg's one PageRank (`kg view`, `kg stats`, the exports).

    The power iteration of networkx's own (its scipy implementation, step for step: uniform
    start, teleport and dangling weights, stop when the L1 change is under n x tol), so the
    scores are networkx's to the last bit; it runs on a matrix because networkx's takes a
    networkx graph only, which a large network cannot afford. A test compares the two.
    """
    n = matrix.shape[0]
    if n == 0:
        return np.zeros(0)
    degree = matrix.sum(axis=1)
    inverse = np.divide(1.0, degree, out=np.zeros(n), where=degree != 0)
    matrix = sparse.dia_array((inverse[None, :], 0), shape=(n, n)).tocsr() @ matrix
    uniform = np.repeat(1.0 / n, n)
    dangling = np.where(degree == 0)[0]
    x = uniform
    for _ in range(max_iter):
        last = x
        # Python's sum, as networkx's: numpy's pairwise sum rounds otherwise.
        x = alpha * (x @ matrix + sum(x[dangling]) * uniform) + (1 - alpha) * uniform
        if np.absolute(x - last).sum() < n * tol:
            return x
    raise nx.PowerIterationFailedConvergence(max_iter)
