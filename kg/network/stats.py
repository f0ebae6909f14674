"""`kg stats`: counts, PageRank and degree, communities and the relations that bridge them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from .labels import _normal
from .paths import Hop
from .table import ConceptTable


@dataclass
class Community:
    name: str  # the label of its most central member
    members: list[str]  # most central first


@dataclass
class Bridge:
    hop: Hop
    communities: tuple[int, int]  # indexes into NetworkStats.communities


@dataclass
class NetworkStats:
    """What `kg stats` prints; `report()` is that text."""

    kinds: Counter
    relations: Counter
    components: int
    by_pagerank: list[tuple[str, float]]
    by_degree: list[tuple[str, int]]
    communities: list[Community]
    bridges: list[Bridge]
    bridge_count: int
    labels: dict[str, str]
    community_count: int = 0  # all of them (`communities` holds the largest few)

    def report(self) -> str:
        def counts(counter: Counter) -> str:
            return ", ".join(f"{name} {count}" for name, count in sorted(counter.items(), key=lambda i: (-i[1], i[0])))

        lines = [f"concepts: {sum(self.kinds.values())} ({counts(self.kinds)})"]
        lines.append(f"relations: {sum(self.relations.values())} ({counts(self.relations)})")
        lines.append(f"connected components: {self.components}")
        lines.append("most central (PageRank):")
        lines += [f"  {score:.4f}  {self.labels[node]}" for node, score in self.by_pagerank]
        lines.append("most connected (degree):")
        lines += [f"  {degree:6d}  {self.labels[node]}" for node, degree in self.by_degree]
        total = max(self.community_count, len(self.communities))
        largest = f" (the {len(self.communities)} largest shown)" if total > len(self.communities) else ""
        lines.append(f"communities (Louvain): {total}{largest}")
        for number, community in enumerate(self.communities, 1):
            shown = ", ".join(self.labels[n] for n in community.members[:5])
            more = f", ... {len(community.members) - 5} more" if len(community.members) > 5 else ""
            lines.append(f"  {number}. {community.name}: {len(community.members)} concepts: {shown}{more}")
        lines.append(f"bridges between communities: {self.bridge_count}")
        for bridge in self.bridges:
            a, b = bridge.communities
            lines.append(
                f"  {self.labels[bridge.hop.source]} --{bridge.hop.relation}--> {self.labels[bridge.hop.target]}"
                f"  (community {a + 1} - {b + 1})"
            )
        return "\n".join(lines)


def summarize(table: ConceptTable, *, top: int = 10, shown_communities: int = 12, analysis=None) -> NetworkStats:
    """Counts by kind and relation, the most central concepts, communities and the edges between them.

    PageRank, the order by rank, the communities (kg.communities' Louvain, seeded: the ones
    `kg view` draws) and the components come from `analysis` (a kg.analysis.NetworkAnalysis
    of `table`, as the build kept it), else are computed here; the rest is counting in numpy.
    """
    from ..analysis import NetworkAnalysis

    analysis = analysis if analysis is not None else NetworkAnalysis(table)
    n = len(table)
    rank = analysis.rank
    place = analysis.number  # each concept's place by rank: the most central first
    member_of = analysis.levels[-1] if n else np.zeros(0, dtype=np.int64)  # numbered largest first
    # The relations in the concept graph's own order (by start, then as chosen): equally
    # ranked bridges keep it.
    order = np.lexsort((np.arange(len(table.heads)), table.heads))
    heads, tails, codes = table.heads[order], table.tails[order], table.relation[order]
    crossing = np.flatnonzero(member_of[heads] != member_of[tails])
    strength = rank[heads[crossing]] + rank[tails[crossing]]
    bridges = crossing[np.argsort(-strength, kind="stable")[:top]].tolist()
    degree = np.bincount(table.heads, minlength=n) + np.bincount(table.tails, minlength=n)
    if n > top:  # only concepts whose degree reaches the top-th highest can be among the top
        least = np.partition(degree, n - top)[n - top]
        candidates = np.flatnonzero(degree >= least).tolist()
    else:
        candidates = range(n)
    by_degree = sorted(candidates, key=lambda i: (-degree[i], _normal(table.labels[i])))[:top]
    sizes = np.bincount(member_of) if n else np.zeros(0, dtype=np.int64)
    # Each shown community's members, most central first.
    by_community = np.lexsort((place, member_of))
    starts = np.concatenate([[0], np.cumsum(sizes)])
    ordered = [by_community[starts[c] : starts[c + 1]].tolist() for c in range(min(shown_communities, len(sizes)))]
    central = analysis.by_rank[:top].tolist()
    shown = {*central, *by_degree, *(i for members in ordered for i in members[:5])}
    shown.update(i for r in bridges for i in (int(heads[r]), int(tails[r])))
    nodes = table.nodes
    per_relation = np.bincount(codes, minlength=len(table.relations))
    return NetworkStats(
        kinds=Counter(table.kinds),
        relations=Counter({table.relations[c]: int(k) for c, k in enumerate(per_relation.tolist()) if k}),
        components=analysis.components,
        by_pagerank=[(nodes[i], float(rank[i])) for i in central],
        by_degree=[(nodes[i], int(degree[i])) for i in by_degree],
        communities=[Community(table.labels[m[0]], [nodes[i] for i in m]) for m in ordered],
        bridges=[
            Bridge(
                Hop(nodes[heads[r]], table.relations[codes[r]], nodes[tails[r]]),
                tuple(sorted((int(member_of[heads[r]]), int(member_of[tails[r]])))),
            )
            for r in bridges
        ],
        bridge_count=len(crossing),
        labels={nodes[i]: table.describe(i) for i in sorted(shown)},
        community_count=len(sizes),
    )
