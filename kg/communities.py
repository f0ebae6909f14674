"""Communities of the concept network: Louvain's levels, and the tree of clusters `kg view` opens.

`louvain_levels(table)` runs Louvain once (igraph's C implementation, seeded) and keeps
every level it passes through: the last level is the communities `kg stats` prints, the
levels below it split each community into smaller ones. `cluster_tree(table, rank)` turns
those levels into the clusters of the overview page: the communities at the top, each
opening into its sub-communities (a level down) until a cluster is small enough to open
into its concepts; where one cluster would hold too many children, the smallest are
bundled, so every screen stays short.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from .network.table import ConceptTable

# The first screen shows at most this many clusters (a bundle of the smallest counts as one).
TOP_ITEMS = 30
# An opened cluster shows at most this many sub-clusters.
MAX_CHILDREN = 30
# A cluster this small opens into its concepts rather than into sub-communities.
LEAF_LIMIT = 300
# Parts this small are always packed together (below the top, Louvain's first level is full of them).
TINY = 20
# A split whose largest part holds more than this share is passed over for a lower level's.
UNEVEN = 0.8


def _igraph(count: int, heads: np.ndarray, tails: np.ndarray):
    """The undirected network as an igraph Graph, relations in the order given."""
    import igraph

    # add_edges takes the array whole; the constructor reads it row by row (3x slower).
    graph = igraph.Graph(n=count, directed=False)
    graph.add_edges(np.column_stack([heads, tails]).astype(np.int64))
    return graph


def louvain_levels(table: ConceptTable, *, seed: int = 0) -> list[np.ndarray]:
    """Each concept's community at every level of one Louvain run, finest level first.

    igraph's multilevel method is Louvain's algorithm in C: on a 100,000-page network
    (450,000 concepts, 2.9 million relations) seconds where networkx's takes minutes. It
    visits the concepts in an order drawn from a random generator, seeded here, so the
    same network gives the same communities. Communities are numbered by size (largest
    first), then by their first concept. The relations go in the concept graph's order
    (by start, then as chosen), which the result depends on.
    """
    order = np.lexsort((np.arange(len(table.heads)), table.heads))
    return _louvain(len(table), table.heads[order], table.tails[order], seed)


def _louvain(count: int, heads: np.ndarray, tails: np.ndarray, seed: int) -> list[np.ndarray]:
    import igraph

    if count == 0:
        return [np.zeros(0, dtype=np.int64)]
    igraph.set_random_number_generator(random.Random(seed))
    try:
        found = _igraph(count, heads, tails).community_multilevel(return_levels=True)
    finally:
        igraph.set_random_number_generator(random)
    levels = [_numbered(np.asarray(level.membership, dtype=np.int64)) for level in found]
    return levels or [np.arange(count, dtype=np.int64)]


def _numbered(membership: np.ndarray) -> np.ndarray:
    """The same partition, its parts numbered by size (largest first), then by their first member."""
    count = int(membership.max()) + 1
    sizes = np.bincount(membership, minlength=count)
    first = np.full(count, len(membership), dtype=np.int64)
    np.minimum.at(first, membership, np.arange(len(membership)))
    order = np.lexsort((first, -sizes))
    number = np.empty(count, dtype=np.int64)
    number[order] = np.arange(count)
    return number[membership]


def communities(table: ConceptTable, *, seed: int = 0) -> list[list[int]]:
    """The Louvain communities (the last level), largest first, each a sorted list of concept indexes."""
    membership = louvain_levels(table, seed=seed)[-1]
    order = np.argsort(membership, kind="stable")
    bounds = np.flatnonzero(np.diff(membership[order])) + 1
    return [part.tolist() for part in np.split(order, bounds)] if len(order) else []


@dataclass
class Cluster:
    """One cluster of the page: the concepts at positions start..end of `ClusterTree.order`."""

    start: int
    end: int
    parent: int  # -1 at the top
    depth: int
    children: list[int] = field(default_factory=list)  # cluster indexes; none: it opens into its concepts
    bundle: int = 0  # >0: a bundle of this many smaller communities, not one community

    @property
    def size(self) -> int:
        return self.end - self.start


@dataclass
class ClusterTree:
    """Clusters in depth-first order; `order` lists concept indexes so that every cluster is a run of it,
    and within a cluster that opens into concepts the most central come first."""

    clusters: list[Cluster]
    top: list[int]
    order: np.ndarray
    community_count: int


def cluster_tree(
    table: ConceptTable,
    rank: np.ndarray,
    *,
    levels: list[np.ndarray] | None = None,
    seed: int = 0,
    ranked: bool = False,
) -> ClusterTree:
    """The clusters of the overview page (see the module docstring). `ranked`: the concepts
    are numbered by rank already (0 the most central), as kg.overview numbers them."""
    levels = louvain_levels(table, seed=seed) if levels is None else levels
    # Each concept's place by rank: the most central first, ties by label then IRI.
    place = np.arange(len(table), dtype=np.int64)
    if not ranked:
        place[by_rank(table, rank)] = np.arange(len(table))
    clusters: list[Cluster] = []
    order: list[np.ndarray] = []
    filled = [0]
    adjacency: list = []  # the symmetric relation matrix, made when a part needs Louvain again

    def parts_of_level(members: np.ndarray, level: int, levels: list[np.ndarray]) -> tuple[list[np.ndarray], int]:
        membership = levels.at(level, members)
        ordered = members[np.lexsort((place[members], membership))]
        cuts = np.flatnonzero(np.diff(levels.at(level, ordered))) + 1
        parts = np.split(ordered, cuts)
        parts.sort(key=lambda part: (-len(part), int(place[part].min())))
        return parts, level

    def parts_of(members: np.ndarray, level: int, levels: list[np.ndarray]) -> tuple[list[np.ndarray], int]:
        """`members` split by the highest level at or below `level` that splits them evenly
        enough; -1 when none splits them."""
        uneven = None
        while level >= 0:
            membership = levels.at(level, members)
            if membership.min() != membership.max():
                # A split that leaves nearly everything in one part only adds a step to the
                # reader's way down: look a level lower for a more even one.
                if np.bincount(membership).max() > UNEVEN * len(members):
                    uneven = level if uneven is None else uneven
                    level -= 1
                    continue
                return parts_of_level(members, level, levels)
            level -= 1
        if uneven is not None:
            return parts_of_level(members, uneven, levels)
        return [members], -1

    def add(parts, level: int, levels, parent: int, depth: int, limit: int, bundle: int = 0) -> int:
        """A cluster of `parts` (each a cluster to be, split further below `level`); its index."""
        index = len(clusters)
        clusters.append(Cluster(filled[0], filled[0], parent, depth, bundle=bundle))
        for child in _grouped(_packed(parts, limit), limit):
            if isinstance(child, list) and len(child) == 1:
                child = child[0]
            if isinstance(child, list):
                at = add(child, level, levels, index, depth + 1, MAX_CHILDREN, bundle=sum(c for _, c in child))
            else:
                at = single(child[0], level, levels, index, depth + 1, count=child[1])
            clusters[index].children.append(at)
        clusters[index].end = filled[0]
        return index

    def single(members: np.ndarray, level: int, levels, parent: int, depth: int, again=True, count=1) -> int:
        if len(members) <= LEAF_LIMIT:
            index = len(clusters)
            ordered = members[np.argsort(place[members], kind="stable")]
            clusters.append(
                Cluster(filled[0], filled[0] + len(members), parent, depth, bundle=count if count > 1 else 0)
            )
            order.append(ordered)
            filled[0] += len(members)
            return index
        parts, found = parts_of(members, level - 1, levels)
        if again and (found < 0 or len(parts[0]) > max(UNEVEN * len(members), LEAF_LIMIT)):
            # Louvain's own levels do not split this part (a hub holds it together): Louvain
            # again on the part alone, where modularity weighs only its own relations.
            inside = np.sort(members)
            if not adjacency:
                adjacency.append(table.adjacency())
            relations = sparse.triu(adjacency[0][inside][:, inside], k=1).tocoo()
            levels = _Levels(_louvain(len(inside), relations.row, relations.col, seed), inside)
            return single(members, len(levels), levels, parent, depth, again=False)
        if found < 0:
            # Nothing splits them: chunks of the most central, so no screen gets too long.
            ordered = members[np.argsort(place[members], kind="stable")]
            parts = [ordered[i : i + LEAF_LIMIT] for i in range(0, len(ordered), LEAF_LIMIT)]
        return add(parts, found, levels, parent, depth, MAX_CHILDREN)

    levels = _Levels(levels)
    top_parts, top_level = parts_of_level(np.arange(len(table), dtype=np.int64), len(levels) - 1, levels)
    community_count = len(top_parts)
    root = add(top_parts, top_level, levels, -1, -1, TOP_ITEMS) if len(table) else None
    top = clusters[root].children if root is not None else []
    # The root stands for the whole network and is never drawn: drop it, renumber the rest.
    if root is not None:
        clusters = clusters[1:]
        for cluster in clusters:
            cluster.parent = -1 if cluster.parent == 0 else cluster.parent - 1
            cluster.children = [c - 1 for c in cluster.children]
        top = [c - 1 for c in top]
    flat = np.concatenate(order) if order else np.zeros(0, dtype=np.int64)
    return ClusterTree(clusters, top, flat, community_count)


class _Levels:
    """Louvain's levels over the whole network, or over a part of it (`inside`, sorted)."""

    def __init__(self, levels: list[np.ndarray], inside: np.ndarray | None = None) -> None:
        self.levels, self.inside = levels, inside

    def __len__(self) -> int:
        return len(self.levels)

    def at(self, level: int, members: np.ndarray) -> np.ndarray:
        """The community of each of `members` at `level`."""
        if self.inside is None:
            return self.levels[level][members]
        return self.levels[level][np.searchsorted(self.inside, members)]


def by_rank(table: ConceptTable, rank: np.ndarray) -> np.ndarray:
    """Concept indexes from the highest rank down, ties by label (case-folded), then IRI:
    `table.by_rank` in numpy's sort, for networks of hundreds of thousands of concepts."""
    labels = _order_codes([" ".join(label.split()).casefold() for label in table.labels])
    return np.lexsort((_order_codes(table.nodes), labels, -np.asarray(rank, dtype=float)))


def _order_codes(strings: list[str]) -> np.ndarray:
    """Each string's place among the distinct strings, sorted: integers that order as the
    strings do. Not an array of the strings: numpy's are fixed-width, four bytes a character
    of the longest (450,000 IRIs of up to 100 characters: 180 MB)."""
    return np.unique(np.array(strings, dtype=object), return_inverse=True)[1].reshape(-1)


def _packed(parts: list, limit: int) -> list[tuple[np.ndarray, int]]:
    """Parts (arrays of concepts, largest first) as (members, communities) entries, the small
    ones packed together into entries of at most LEAF_LIMIT concepts: one cluster to open
    straight into concepts rather than many clusters of five. Small is under TINY concepts,
    or up to half of LEAF_LIMIT when there are more parts than `limit`."""
    entries = [part if isinstance(part, tuple) else (part, 1) for part in parts]
    most = LEAF_LIMIT // 2 if len(entries) > limit else TINY
    big = [entry for entry in entries if len(entry[0]) > most]
    small = [entry for entry in entries if len(entry[0]) <= most]
    packed: list[list[tuple[np.ndarray, int]]] = []
    total = LEAF_LIMIT + 1
    for entry in small:
        if total + len(entry[0]) > LEAF_LIMIT:
            packed.append([])
            total = 0
        packed[-1].append(entry)
        total += len(entry[0])
    joined = [
        group[0] if len(group) == 1 else (np.concatenate([m for m, _ in group]), sum(c for _, c in group))
        for group in packed
    ]
    return sorted(big + joined, key=lambda entry: -len(entry[0]))


def _grouped(parts: list, limit: int) -> list:
    """`parts` (largest first) as at most `limit` entries: the largest alone, the smallest in
    bundles (lists of parts) of consecutive sizes, each bundle itself at most `limit` long or
    bundled again."""
    if len(parts) <= limit:
        return parts
    bundles = min(max(1, limit // 4), -(-(len(parts) - limit + 1) // limit))
    alone = limit - bundles
    rest = parts[alone:]
    step = -(-len(rest) // bundles)
    return parts[:alone] + [rest[i : i + step] for i in range(0, len(rest), step)]
