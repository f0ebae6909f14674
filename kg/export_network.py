"""Export the concept network as GraphML, GEXF or a CSV edge table (exporters registered in kg.export)."""

from __future__ import annotations

import csv
import io
from typing import BinaryIO

import networkx as nx
import pyoxigraph as ox

from .errors import ExportError
from .network.layout import induced
from .network.read import concept_graph
from .network.table import centrality


def _network_for_export(store: ox.Store, graph: str | None) -> nx.DiGraph:
    """The network with flat attributes (GraphML and GEXF hold no lists), optionally one page's concepts."""
    network = concept_graph(store)
    if graph is not None:
        kept = [n for n, sources in network.nodes(data="sources") if graph in sources]
        if not kept:
            raise ExportError(f"no concept is asserted by <{graph}>")
        network = induced(network, kept)
    rank = centrality(network)
    flat = nx.DiGraph()
    for node, attributes in network.nodes(data=True):
        values = {key: value for key, value in attributes.items() if value not in (None, "", [])}
        values["sources"] = " ".join(attributes["sources"])
        values["pagerank"] = rank.get(node, 0.0)
        flat.add_node(node, **values)
    flat.add_edges_from(network.edges(data=True))
    return flat


def write_graphml(store: ox.Store, stream: BinaryIO, graph: str | None) -> None:
    nx.write_graphml(_network_for_export(store, graph), stream)


def write_gexf(store: ox.Store, stream: BinaryIO, graph: str | None) -> None:
    nx.write_gexf(_network_for_export(store, graph), stream)


CSV_COLUMNS = ("source_label", "relation", "target_label", "source_kind", "target_kind", "source", "target")


def _cell(value: str) -> str:
    # A spreadsheet runs a cell that starts with = + - @ as a formula; page text must stay text.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def write_csv(store: ox.Store, stream: BinaryIO, graph: str | None) -> None:
    """The edge table: one row per relation, labels first; a concept without relations gets a row of its own.

    UTF-8 with a byte-order mark, so that Excel reads non-ASCII labels correctly.
    """
    network = _network_for_export(store, graph)
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    writer.writerow(CSV_COLUMNS)
    nodes = network.nodes
    edges = sorted(network.edges(data="relation"), key=lambda e: (nodes[e[0]]["label"], e[2], nodes[e[1]]["label"]))
    for u, v, relation in edges:
        row = (nodes[u]["label"], relation, nodes[v]["label"], nodes[u]["kind"], nodes[v]["kind"], u, v)
        writer.writerow([_cell(value) for value in row])
    for node in sorted(nx.isolates(network), key=lambda n: nodes[n]["label"]):
        writer.writerow([_cell(value) for value in (nodes[node]["label"], "", "", nodes[node]["kind"], "", node, "")])
    text.flush()
    text.detach()
