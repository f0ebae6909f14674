"""Paths between two concepts: the chains of relations on the shortest paths, and how to print them."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice, pairwise

import networkx as nx

from ..errors import NoPath
from .labels import describe
from .table import NAVIGATION_KIND

# Relations read in the other direction when a path walks an edge backwards.
INVERSE_RELATION = {"narrower": "broader", "broader": "narrower", "facet": "facet of"}


# At most this many shortest paths are compared (or printed by --all).
_MAX_PATHS = 1000


@dataclass(frozen=True)
class Hop:
    """One step of a path, with the relation read in the direction of travel."""

    source: str
    relation: str
    target: str


def _hop(graph: nx.DiGraph, source: str, target: str) -> Hop:
    if graph.has_edge(source, target):
        return Hop(source, graph.edges[source, target]["relation"], target)
    relation = graph.edges[target, source]["relation"]
    return Hop(source, INVERSE_RELATION.get(relation, relation), target)


def concept_paths(graph: nx.DiGraph, source: str, target: str, *, all_shortest: bool = False) -> list[list[Hop]]:
    """The shortest path(s) between two concepts, as hops; NoPath when they are not connected.

    Navigation pages (kind "page") are avoided unless no path exists without them. Among
    paths of the same length, those with more hierarchical hops (narrower, broader) come
    first, then by label, so the answer does not depend on the order of the store.
    """
    undirected = graph.to_undirected(as_view=True)
    ends = {source, target}
    without_navigation = nx.subgraph_view(
        undirected, filter_node=lambda n: n in ends or graph.nodes[n]["kind"] != NAVIGATION_KIND
    )
    for candidate in (without_navigation, undirected):
        try:
            found = [
                [_hop(graph, u, v) for u, v in pairwise(nodes)]
                for nodes in islice(nx.all_shortest_paths(candidate, source, target), _MAX_PATHS)
            ]
        except nx.NetworkXNoPath:
            continue
        found.sort(
            key=lambda hops: (
                sum(hop.relation not in ("narrower", "broader") for hop in hops),
                [graph.nodes[hop.target]["label"] for hop in hops],
            )
        )
        return found if all_shortest else found[:1]
    raise NoPath(f"no path between {describe(graph, source)} and {describe(graph, target)}: they are not connected")


def format_path(graph: nx.DiGraph, hops: list[Hop]) -> str:
    """One line: Peer to Peer --narrower--> Peer-to-Peer Order Books --broader--> ..."""
    if not hops:
        return ""
    parts = [graph.nodes[hops[0].source]["label"]]
    for hop in hops:
        parts.append(f"--{hop.relation}--> {graph.nodes[hop.target]['label']}")
    return " ".join(parts)
