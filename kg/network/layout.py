"""Positions for drawing the network: each community laid out on its own, then the communities placed."""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx
import numpy as np

# Above this many nodes, a community is split again before it is laid out.
_LAYOUT_CHUNK = 350


def induced(graph: nx.Graph, nodes: Iterable[str]) -> nx.Graph:
    """The subgraph on `nodes`, a copy, with nodes and edges in the order of `graph`.

    networkx's graph.subgraph(nodes) iterates a set of the nodes when they are fewer than
    the graph's, an order that changes from run to run with Python's string hashing; the
    layout and the communities depend on the order, so the page would too.
    """
    keep = set(nodes)
    sub = graph.__class__()
    sub.add_nodes_from((node, dict(attributes)) for node, attributes in graph.nodes(data=True) if node in keep)
    sub.add_edges_from((u, v, dict(data)) for u, v, data in graph.edges(data=True) if u in keep and v in keep)
    return sub


def layout(graph: nx.Graph, *, seed: int = 0, spacing: float = 60.0) -> dict[str, tuple[int, int]]:
    """Positions for drawing, in pixels: each community laid out on its own, then the communities placed.

    A force layout of the whole graph costs n² per iteration (minutes at a few
    thousand nodes); laying out Louvain communities separately costs the sum of
    their squares, and keeps each community together on the page.
    """
    undirected = nx.Graph(graph)
    if undirected.number_of_nodes() == 0:
        return {}
    pieces = _layout_pieces(undirected, seed)
    # Place the pieces: a spring layout of the piece graph, then push overlapping discs apart.
    radii = np.array([spacing * (0.6 + np.sqrt(len(piece))) * 0.5 for piece, _ in pieces])
    piece_of = {node: index for index, (piece, _) in enumerate(pieces) for node in piece}
    between = nx.Graph()
    between.add_nodes_from(range(len(pieces)))
    for u, v in undirected.edges:
        a, b = piece_of[u], piece_of[v]
        if a != b:
            weight = between.get_edge_data(a, b, {"weight": 0})["weight"]
            between.add_edge(a, b, weight=weight + 1)
    start = nx.spring_layout(between, seed=seed, weight="weight") if len(pieces) > 1 else {0: (0.0, 0.0)}
    # Start the pieces about as spread as their discs would be if packed, then resolve overlaps.
    centers = np.array([start[i] for i in range(len(pieces))], dtype=float) * 1.2 * np.sqrt((radii**2).sum())
    centers = _separate(centers, radii, seed)
    positions: dict[str, tuple[int, int]] = {}
    for index, (piece, local) in enumerate(pieces):
        for node in piece:
            x, y = local[node]
            # Whole pixels: vis-network keeps positions as integers anyway.
            positions[node] = (round(centers[index][0] + x * radii[index]), round(centers[index][1] + y * radii[index]))
    return positions


def _layout_pieces(graph: nx.Graph, seed: int) -> list[tuple[list[str], dict[str, tuple[float, float]]]]:
    """Split the graph into communities small enough to lay out fast; positions within a unit disc."""
    pieces = []
    stack = [list(graph.nodes)]
    while stack:
        nodes = stack.pop()
        if len(nodes) > _LAYOUT_CHUNK:
            parts = nx.community.louvain_communities(induced(graph, nodes), seed=seed, resolution=2.0)
            if len(parts) > 1:
                stack.extend(sorted(sorted(part) for part in parts))
                continue
        sub = induced(graph, nodes)
        local = nx.spring_layout(sub, seed=seed, iterations=60) if len(nodes) > 1 else {nodes[0]: (0.0, 0.0)}
        pieces.append((sorted(nodes), {node: tuple(local[node]) for node in nodes}))
    pieces.sort(key=lambda piece: (-len(piece[0]), piece[0][0]))
    return pieces


def _separate(centers, radii, seed: int, rounds: int = 200):
    """Move discs apart until none overlaps (a few hundred vectorised rounds at most).

    Each round pushes the two discs of every overlapping pair apart along the line between
    their centres, each by half the overlap. Only pairs near enough to overlap are looked at
    (a k-d tree finds them): a page cut to the 2,000 most central concepts of a large store
    can have a thousand pieces, and every pair of them would be a million per round.
    """
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(seed)
    centers = centers + rng.normal(scale=1e-3, size=centers.shape)
    reach = 2.0 * float(radii.max()) + 20.0
    for _ in range(rounds):
        pairs = cKDTree(centers).query_pairs(reach, output_type="ndarray")
        if not len(pairs):
            break
        first, second = pairs[:, 0], pairs[:, 1]
        delta = centers[first] - centers[second]
        distance = np.maximum(np.sqrt((delta**2).sum(axis=1)), 1e-9)
        overlap = np.clip(radii[first] + radii[second] + 20.0 - distance, 0.0, None)
        if not overlap.any():
            break
        force = delta / distance[:, None] * overlap[:, None] * 0.5
        push = np.zeros_like(centers)
        np.add.at(push, first, force)
        np.add.at(push, second, -force)
        centers = centers + push
    return centers
