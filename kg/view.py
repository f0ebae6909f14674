"""The interactive page: the concept network as one self-contained HTML file that works offline.

The page is kg's own template (kg/data/view/) with vis-network inlined from the copy
that ships inside the pyvis wheel. pyvis's own template is not used: it loads Bootstrap
from a CDN whatever `cdn_resources` says, and renders through a Jinja environment
without autoescape. Here nothing on the page is fetched, and page text never becomes
markup:

- the network travels as JSON in a `<script type="application/json">` block, with
  `<`, `>` and `&` written as \\u escapes so no text can close that block;
- the page's script builds every label, tooltip and option from that JSON with
  `textContent` (and vis-network draws labels on a canvas);
- a Content-Security-Policy allows only the page's own inline script and style (by
  hash) and `data:` images, so even injected markup could neither run nor fetch.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import networkx as nx
import numpy as np

from .analysis import MAX_DEFINITION, MAX_SOURCES, _shorten
from .errors import ViewError
from .folder import atomic_file, check_destination
from .network.layout import layout
from .network.table import ConceptTable, centrality

# Above this many concepts the browser does no physics: positions come from Python.
PHYSICS_LIMIT = 300
# Above this many concepts (and without --max-nodes) the page is an overview of communities.
DIRECT_LIMIT = 500
DEFAULT_MAX_NODES = 2000
DEFAULT_DEPTH = 2

KIND_COLORS = {
    "area": "#2f6fb3",
    "definition": "#2a9d8f",
    "term": "#e09f3e",
    "facet": "#8e6cc0",
    "page": "#8a96a3",
}
OTHER_COLORS = ("#d1495b", "#66a182", "#b5838d", "#6d597a", "#457b9d")
# Hierarchy is drawn solid and darkest; "related" (often the most numerous) lighter and dashed.
RELATION_STYLES = {
    "narrower": {"color": "#6b7785", "dashes": False, "arrow": True, "width": 1.5, "opacity": 0.9},
    "related": {"color": "#e0915a", "dashes": [6, 5], "arrow": False, "width": 1.3, "opacity": 0.55},
    "facet": {"color": "#a48fd1", "dashes": [2, 4], "arrow": False, "width": 1.0, "opacity": 0.8},
}
OTHER_RELATION = {"color": "#9aa5b1", "dashes": False, "arrow": True, "width": 1.0, "opacity": 0.8}

_VIEW_FILES = resources.files("kg.data") / "view"


@dataclass(frozen=True)
class ViewResult:
    """What `write_view` drew, for the command line to report."""

    path: Path
    nodes: int
    edges: int
    total_nodes: int
    note: str | None
    clusters: int = 0  # an overview: the clusters on its first screen (0: concepts drawn directly)
    communities: int = 0


def select(
    table: ConceptTable,
    *,
    around: str | None = None,
    depth: int = DEFAULT_DEPTH,
    max_nodes: int | None = DEFAULT_MAX_NODES,
) -> tuple[nx.DiGraph, str | None, dict[str, float]]:
    """The part of the network to draw, a note saying what was left out (or None), and PageRank.

    The whole network stays a table: only the part drawn becomes a networkx graph.
    """
    note = None
    if around is not None:
        center = table.find(around)
        chosen = table.within(center, depth)
        note = _around_note(table, center, depth)
        if len(chosen) < len(table):
            table = table.part(chosen)
    rank = table.pagerank()
    kept = range(len(table))
    if max_nodes and len(table) > max_nodes:
        kept = table.by_rank(rank, range(len(table)))[:max_nodes]
        cut = f"Showing the {max_nodes:,} most central of {len(table):,} concepts (by PageRank; see --max-nodes)."
        note = f"{note} {cut}" if note else cut
    graph = (table.part(kept) if len(kept) < len(table) else table).graph()
    return graph, note, {table.nodes[i]: float(rank[i]) for i in sorted(kept)}


def _around_note(table: ConceptTable, center: int, depth: int) -> str:
    relations = "relation" if depth == 1 else "relations"
    return f"The neighbourhood of {table.describe(center)}: concepts at most {depth} {relations} away."


def _kind_styles(graph: nx.DiGraph) -> list[dict]:
    counts: dict[str, int] = {}
    for _, kind in graph.nodes(data="kind"):
        counts[kind] = counts.get(kind, 0) + 1
    return _kind_legend(counts)


def _kind_legend(counts: dict[str, int]) -> list[dict]:
    known = [kind for kind in KIND_COLORS if kind in counts]
    others = sorted(kind for kind in counts if kind not in KIND_COLORS)
    colors = {**KIND_COLORS, **{kind: OTHER_COLORS[i % len(OTHER_COLORS)] for i, kind in enumerate(others)}}
    return [{"kind": kind, "color": colors[kind], "count": counts[kind]} for kind in known + others]


def _relation_styles(graph: nx.DiGraph) -> list[dict]:
    counts: dict[str, int] = {}
    for _, _, relation in graph.edges(data="relation"):
        counts[relation] = counts.get(relation, 0) + 1
    return _relation_legend(counts)


def _relation_legend(counts: dict[str, int]) -> list[dict]:
    ordered = [r for r in RELATION_STYLES if r in counts] + sorted(r for r in counts if r not in RELATION_STYLES)
    return [{"relation": r, **RELATION_STYLES.get(r, OTHER_RELATION), "count": counts[r]} for r in ordered]


def page_data(graph: nx.DiGraph, *, title: str, note: str | None, rank: dict[str, float]) -> dict:
    """The JSON the page's script draws: nodes with tooltip text and positions, edges, legend."""
    ids = {node: index for index, node in enumerate(graph.nodes)}
    undirected = graph.to_undirected(as_view=True)
    positions = layout(graph)
    nodes = []
    for node, attributes in graph.nodes(data=True):
        # An area's members: the area itself and every concept one relation away.
        areas = [ids[node]] if attributes["kind"] == "area" else []
        areas += [ids[n] for n in undirected[node] if graph.nodes[n]["kind"] == "area"]
        sources = attributes.get("sources", [])
        x, y = positions[node]
        nodes.append(
            {
                "id": ids[node],
                "iri": node,
                "label": attributes["label"],
                "kind": attributes["kind"],
                "definition": _shorten(attributes.get("definition") or "", MAX_DEFINITION),
                "question": attributes.get("question") or "",
                "url": attributes.get("url"),
                "sources": sources[:MAX_SOURCES],
                "more_sources": max(0, len(sources) - MAX_SOURCES),
                "areas": sorted(set(areas)),
                "rank": round(rank.get(node, 0.0), 6),
                "x": x,
                "y": y,
            }
        )
    edges = [{"from": ids[u], "to": ids[v], "relation": relation} for u, v, relation in graph.edges(data="relation")]
    return {
        "title": title,
        "note": note,
        "physics": graph.number_of_nodes() <= PHYSICS_LIMIT,
        "kinds": _kind_styles(graph),
        "relations": _relation_styles(graph),
        "nodes": nodes,
        "edges": edges,
    }


def _script_json(value: object) -> str:
    """JSON that is inert inside a <script> block: no '<', '>' or '&' can end it or open a comment."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for raw in ("<", ">", "&", "\u2028", "\u2029"):
        text = text.replace(raw, f"\\u{ord(raw):04x}")
    return text


def _vis_network() -> tuple[str, str]:
    """vis-network's script and stylesheet from the pyvis wheel (newest bundled version), license header kept."""
    try:
        lib = resources.files("pyvis") / "templates" / "lib"
        folders = sorted(
            (entry for entry in lib.iterdir() if entry.name.startswith("vis-")),
            key=lambda entry: tuple(int(part) for part in re.findall(r"\d+", entry.name)),
        )
        folder = folders[-1]
        script = (folder / "vis-network.min.js").read_text(encoding="utf-8")
        style = (folder / "vis-network.css").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, IndexError, OSError) as exc:
        raise ViewError(f"vis-network is not where the pyvis package keeps it ({exc}); reinstall pyvis") from None
    for text, tag in ((script, "</script"), (script, "<!--"), (style, "</style")):
        if tag in text.lower():
            raise ViewError(f"the bundled vis-network file contains {tag!r} and cannot be inlined")
    return script, style


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def render(
    graph: nx.DiGraph, *, title: str = "Concept network", note: str | None = None, rank: dict[str, float] | None = None
) -> str:
    """The whole page for `graph`, as HTML text."""
    data = page_data(graph, title=title, note=note, rank=rank if rank is not None else centrality(graph))
    return _page(data, "graph.js")


def render_overview(
    table: ConceptTable, *, title: str = "Concept network", note: str | None = None, details=None, analysis=None
) -> str:
    """The overview page for a large network (see kg.overview), as HTML text. `details(iris)` gives
    the definition, question, url and sources of each of those concepts (default: none);
    `analysis`, a kg.analysis.NetworkAnalysis of `table` (default: computed here)."""
    return _overview(table, title=title, note=note, details=details, analysis=analysis)[0]


def _overview(table: ConceptTable, *, title: str, note: str | None, details, analysis=None) -> tuple[str, dict]:
    from collections import Counter

    from .overview import overview_data

    kinds = _kind_legend(dict(Counter(table.kinds)))
    per_code = np.bincount(table.relation, minlength=len(table.relations)).tolist()
    relations = _relation_legend({name: count for name, count in zip(table.relations, per_code, strict=True) if count})
    data, *blocks = overview_data(
        table,
        title=title,
        note=note,
        details=details or (lambda iris: [{} for _ in iris]),
        kinds=kinds,
        relations=relations,
        analysis=analysis,
    )
    return _page(data, "overview.js", *blocks), data


def _page(data: dict, script_file: str, block: str = "", iris: str = "") -> str:
    vis_script, vis_style = _vis_network()
    script = vis_script + "\n;\n" + (_VIEW_FILES / script_file).read_text(encoding="utf-8")
    style = vis_style + "\n" + (_VIEW_FILES / "graph.css").read_text(encoding="utf-8")
    policy = (
        f"default-src 'none'; script-src {_csp_hash(script)}; style-src {_csp_hash(style)}; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    # The blocks are base64: no character of them can end their <script> element.
    parts = {
        "CSP": policy,
        "TITLE": html.escape(data["title"]),
        "STYLE": style,
        "SCRIPT": script,
        "DATA": _script_json(data),
        "BLOB": block,
        "IRIS": iris,
    }
    template = (_VIEW_FILES / "graph.html").read_text(encoding="utf-8")
    # One pass, so text inserted for one marker is never searched for another.
    return re.sub(r"\{\{([A-Z]+)\}\}", lambda match: parts[match.group(1)], template)


def write_view(
    output: Path | str,
    destination: Path | str | None = None,
    *,
    around: str | None = None,
    depth: int = DEFAULT_DEPTH,
    max_nodes: int | None = None,
) -> ViewResult:
    """Write the page for a build folder's network (default: OUTPUT/graph.html), atomically.

    A network of more than DIRECT_LIMIT concepts becomes an overview of its communities
    unless `max_nodes` is given: then the `max_nodes` most central concepts (0: all) are
    drawn one by one."""
    from .analysis import NetworkAnalysis, load_analysed
    from .network.read import add_details, load_neighbourhood
    from .store import open_store

    output = Path(output)
    path = check_destination(output, destination) if destination else output / "graph.html"
    # The network is read as a table, without texts: the whole of it, or around a concept
    # only the labels of the whole and the relations of the neighbourhood. Only the
    # concepts drawn become a networkx graph and get their texts.
    analysis = None
    if around is None:
        table, analysis = load_analysed(output)
        total = len(table)
    else:
        table, center, total = load_neighbourhood(output, around, depth)
        around = table.nodes[center]
    title = f"Concept network of {output.resolve().name}/"
    if max_nodes is None and len(table) > DIRECT_LIMIT:
        note = _around_note(table, table.find(around), depth) if around is not None else None
        # The whole network's ranks, clusters and texts as the build kept them (a part's: computed here).
        analysis = analysis if analysis is not None else NetworkAnalysis(table)
        page, overview = _overview(
            table,
            title=title,
            note=note,
            details=lambda iris: _details(output, iris, analysis.details),
            analysis=analysis,
        )
    else:
        overview = None
        shown, note, rank = select(table, around=around, depth=depth, max_nodes=max_nodes or None)
        add_details(open_store(output), shown, shown.nodes)
        page = render(shown, title=title, note=note, rank=rank)
    with atomic_file(path) as stream:
        stream.write(page.encode("utf-8"))
    if overview is not None:
        clusters, communities = len(overview["top"]), overview["communities"]
        return ViewResult(path, len(table), len(table.heads), total, note, clusters, communities)
    return ViewResult(path, shown.number_of_nodes(), shown.number_of_edges(), total, note)


def _details(output: Path, iris: list[str], kept: dict[str, dict]) -> list[dict]:
    """The definition, question, url and first sources of each concept named, for tooltips:
    those the build kept, the others read from the store."""
    from .analysis import concept_details
    from .store import open_store

    missing = [iri for iri in iris if iri not in kept]
    if missing:
        kept = {**kept, **dict(zip(missing, concept_details(open_store(output), missing), strict=True))}
    return [kept[iri] for iri in iris]
