"""The overview page's data: a large network as clusters of communities that the reader opens.

Above a few hundred concepts `kg view` no longer draws concepts one by one. The page
gets the cluster tree of kg.communities, the first screen laid out here (the top
clusters, sized by their concepts, labelled by their most central ones, with the
relations between them as weighted links), and the whole network in one compressed
block: every concept's label, IRI and kind and every relation, so the page can open any
cluster, find any concept and draw the relations of what is open. Definitions and
sources travel only for the most central concepts.

Concepts are numbered by PageRank (0 is the most central), so "the most central
match" is the lowest number and a cluster's name is its lowest numbers.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import networkx as nx
import numpy as np

from .analysis import DETAILS_LIMIT, NetworkAnalysis
from .communities import ClusterTree
from .network.table import NAVIGATION_KIND, ConceptTable

# Characters of a concept label shown on a cluster.
NAME_CHARS = 20
# First-screen geometry, in canvas pixels: dot radius range, label font and line height.
MIN_RADIUS, MAX_RADIUS = 12.0, 46.0
FONT_SIZE = 14
LINE_HEIGHT = 17.0
CHAR_WIDTH = 8.6  # wider than the average glyph at 14 px, so estimated boxes cover the drawn ones
GAP = 14.0
ASPECT = 1.45  # the drawing area's width over its height on a laptop screen, beside the legend
# Links drawn on the first screen: each cluster's strongest few (the page draws all once opened).
LINKS_PER_CLUSTER = 3


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def cluster_label(names: list[str], bundle: int) -> str:
    """What a cluster node says: its two most central concepts (a bundle: how many communities it holds)."""
    lines = [_shorten(name, NAME_CHARS) for name in names[:2]]
    if bundle:
        lines = [f"{bundle} smaller communities", *lines[:1]]
    return "\n".join(lines)


def _names(tree: ClusterTree, labels: list[str], navigation: np.ndarray) -> list[list[str]]:
    """Each cluster's five most central concepts (lowest numbers), as labels; navigation pages
    (the site's home, its index of areas) only when the cluster has nothing else."""
    names = []
    for cluster in tree.clusters:
        run = tree.order[cluster.start : cluster.end]
        named = run[~navigation[run]]
        run = named if len(named) else run
        least = np.sort(np.partition(run, min(4, len(run) - 1))[:5]) if len(run) > 5 else np.sort(run)
        names.append([labels[i] for i in least.tolist()])
    return names


def _top_links(tree: ClusterTree, heads: np.ndarray, tails: np.ndarray) -> list[list[int]]:
    """[cluster a, cluster b, relations between them] for the first screen's clusters, a < b."""
    top = np.array(sorted(tree.top), dtype=np.int64)
    owner = np.empty(len(tree.order), dtype=np.int64)  # each concept's first-screen cluster, as a place in `top`
    for place, index in enumerate(top.tolist()):
        cluster = tree.clusters[index]
        owner[tree.order[cluster.start : cluster.end]] = place
    a, b = owner[heads], owner[tails]
    between = a != b
    width = max(len(top), 1)
    counts = np.bincount(np.minimum(a, b)[between] * width + np.maximum(a, b)[between], minlength=width * width)
    return [[int(top[k // width]), int(top[k % width]), int(counts[k])] for k in np.flatnonzero(counts).tolist()]


def strongest(links: list[list[int]], sizes: dict[int, int], per_cluster: int = LINKS_PER_CLUSTER) -> list[list[int]]:
    """The links worth drawing on a screen of clusters: each cluster's strongest few, strength being
    relations over the geometric mean of the two sizes (so big clusters do not win every link)."""
    ranked = sorted(links, key=lambda link: (-link[2] / np.sqrt(sizes[link[0]] * sizes[link[1]]), link[0], link[1]))
    taken: dict[int, int] = {}
    kept = []
    for a, b, count in ranked:
        if taken.get(a, 0) < per_cluster or taken.get(b, 0) < per_cluster:
            kept.append([a, b, count])
            taken[a], taken[b] = taken.get(a, 0) + 1, taken.get(b, 0) + 1
    return sorted(kept)


def _radius(size: int, largest: int) -> float:
    return MIN_RADIUS + (MAX_RADIUS - MIN_RADIUS) * float(np.sqrt(size / max(largest, 1)))


def _label_width(label: str) -> float:
    return max(len(line) for line in label.split("\n")) * CHAR_WIDTH


def first_screen(tree: ClusterTree, labels: list[str], links: list[list[int]]) -> dict[int, tuple[int, int]]:
    """Positions of the first screen's clusters: a force layout of the clusters and their links,
    then rows of boxes (a dot and its label beneath) that cannot overlap."""
    top = tree.top
    if not top:
        return {}
    largest = max(tree.clusters[c].size for c in top)
    radius = np.array([_radius(tree.clusters[c].size, largest) for c in top])
    label_height = np.array([LINE_HEIGHT * (labels[c].count("\n") + 1) for c in top])
    width = np.maximum(2 * radius, [_label_width(labels[c]) for c in top]) + GAP
    height = 2 * radius + label_height + 4 + GAP
    graph = nx.Graph()
    graph.add_nodes_from(range(len(top)))
    place = {c: i for i, c in enumerate(top)}
    for a, b, count in links:
        graph.add_edge(place[a], place[b], weight=float(np.log1p(count)))
    start = nx.spring_layout(graph, seed=0, weight="weight") if len(top) > 1 else {0: (0.0, 0.0)}
    # Rows of boxes, in the screen's proportions: the force layout decides which clusters
    # share a row (by height) and their order in it (left to right), so linked clusters stay
    # near; the rows leave no gap a label could have used.
    order = sorted(range(len(top)), key=lambda i: (start[i][1], start[i][0], i))
    rows = max(1, round(float(np.sqrt((width * height).sum() / ASPECT)) / float(height.mean())))
    per_row = -(-len(top) // rows)
    centers = np.zeros((len(top), 2))
    y = 0.0
    for first in range(0, len(top), per_row):
        row = sorted(order[first : first + per_row], key=lambda i: (start[i][0], i))
        x = -float(width[row].sum()) / 2
        tallest = float(height[row].max())
        for i in row:
            centers[i] = (x + width[i] / 2, y + tallest / 2)
            x += width[i]
        y += tallest
    centers[:, 1] -= y / 2
    # A dot sits at the top of its box, its label below it.
    centers[:, 1] += -(height / 2) + radius + GAP / 2
    return {c: (round(x), round(y)) for c, (x, y) in zip(top, centers.tolist(), strict=True)}


def _pack(sections: list[tuple[str, str, bytes]]) -> tuple[Future, list[list]]:
    """One zlib-compressed, base64 block of sections, each starting at a multiple of 4 bytes,
    compressed in a thread (zlib lets go of the GIL: two blocks compress at once)."""
    body = bytearray()
    index = []
    for name, kind, raw in sections:
        body.extend(b"\0" * (-len(body) % 4))
        index.append([name, kind, len(body), len(raw)])
        body.extend(raw)
    # Level 1: a few per cent larger than 6, in a fifth of the time (450,000 concepts: 1.5 s, not 8).
    return _COMPRESSING.submit(lambda: base64.b64encode(zlib.compress(body, 1)).decode("ascii")), index


_COMPRESSING = ThreadPoolExecutor(max_workers=2, thread_name_prefix="kg-view-zlib")


def _json_bytes(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def overview_data(
    table: ConceptTable,
    *,
    title: str,
    note: str | None,
    details: Callable[[list[str]], list[dict]],
    kinds: list[dict],
    relations: list[dict],
    analysis: NetworkAnalysis | None = None,
) -> tuple[dict, str, str]:
    """The page's JSON and its two compressed blocks (the network, the IRIs) for `table`.
    `details(iris)` gives each concept's definition, question, url and sources; it is asked
    only for the most central concepts. `analysis`: the ranks and clusters of `table` (as
    the build kept them), else computed here."""
    analysis = analysis if analysis is not None else NetworkAnalysis(table)
    by_rank, number = analysis.by_rank, analysis.number
    # Renumber everything by rank: concept k is the k-th most central.
    ranked = by_rank.tolist()
    labels = [table.labels[i] for i in ranked]
    iris = [table.nodes[i] for i in ranked]
    kind_names = [entry["kind"] for entry in kinds]
    kind_of = np.array([kind_names.index(kind) for kind in table.kinds], dtype=np.uint8)
    kind_codes = kind_of[by_rank]
    heads, tails = number[table.heads], number[table.tails]
    relation_names = [entry["relation"] for entry in relations]
    codes = np.array([relation_names.index(name) for name in table.relations], dtype=np.uint8)[table.relation]
    tree = analysis.tree

    navigation = np.zeros(len(table), dtype=bool)
    if NAVIGATION_KIND in kind_names:
        navigation = kind_codes == kind_names.index(NAVIGATION_KIND)
    names = _names(tree, labels, navigation)
    cluster_labels = [cluster_label(names[i], c.bundle) for i, c in enumerate(tree.clusters)]
    links = strongest(_top_links(tree, heads, tails), {c: tree.clusters[c].size for c in tree.top})
    positions = first_screen(tree, cluster_labels, links)
    largest = max((tree.clusters[c].size for c in tree.top), default=1)
    top_of = {}
    for index, cluster in enumerate(tree.clusters):
        top_of[index] = index if cluster.parent < 0 else top_of[cluster.parent]
    top_number = {c: i for i, c in enumerate(tree.top)}
    clusters = []
    for index, cluster in enumerate(tree.clusters):
        entry = {
            "start": cluster.start,
            "end": cluster.end,
            "parent": cluster.parent,
            "children": cluster.children,
            "bundle": cluster.bundle,
            "label": cluster_labels[index],
            "names": names[index],
            "hue": top_number[top_of[index]],
        }
        if index in positions:
            entry["x"], entry["y"] = positions[index]
            entry["radius"] = round(_radius(cluster.size, largest), 1)
        clusters.append(entry)

    # Relations sorted by start then end; the ends stored as the gap from the previous end of
    # the same start, so most are small numbers and compress well.
    order = np.argsort(heads * max(len(table), 1) + tails)  # one relation per pair: no ties
    heads, tails, codes = heads[order], tails[order], codes[order]
    gaps = tails.copy()
    same = np.zeros(len(heads), dtype=bool)
    same[1:] = heads[1:] == heads[:-1]
    gaps[same] = tails[same] - tails[np.flatnonzero(same) - 1]
    counts = np.bincount(heads, minlength=len(table)).astype(np.uint32)
    block, sections = _pack(
        [
            ("labels", "json", _json_bytes(labels)),
            ("kinds", "u8", kind_codes.tobytes()),
            ("order", "i32", tree.order.astype("<i4").tobytes()),
            ("starts", "u32", counts.astype("<u4").tobytes()),
            ("ends", "i32", gaps.astype("<i4").tobytes()),
            ("relations", "u8", codes.astype(np.uint8).tobytes()),
        ]
    )
    # An IRI holds no line break (nor does a blank node's "_:id"): one a line.
    iri_block, _ = _pack([("iris", "text", "\n".join(iris).encode("utf-8"))])
    detailed = details(iris[:DETAILS_LIMIT])
    data = {
        "mode": "overview",
        "title": title,
        "note": note,
        "concepts": len(table),
        "relationCount": int(len(heads)),
        "communities": tree.community_count,
        "kinds": kinds,
        "relations": relations,
        "clusters": clusters,
        "top": tree.top,
        "links": links,
        "details": detailed,
        "sections": sections,
    }
    return data, block.result(), iri_block.result()
