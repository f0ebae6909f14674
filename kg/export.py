"""Exporters: a registry from format name to writer; RDF formats come from Oxigraph's serializers.

Triple formats (Turtle, N-Triples) hold the knowledge graph: the union of every
page graph (and derived graphs), without kg's provenance bookkeeping. Dataset
formats (TriG, N-Quads, JSON-LD) hold everything, one named graph per page.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from .errors import ExportError
from .namespaces import PREFIXES, PROVENANCE_GRAPH

INTERNAL_GRAPHS = (PROVENANCE_GRAPH,)


@dataclass(frozen=True)
class Exporter:
    name: str
    filename: str
    description: str
    target: str  # "module:function(store, stream, graph)"

    def load(self) -> Callable[[ox.Store, BinaryIO, str | None], int | None]:
        module, function = self.target.split(":")
        return getattr(importlib.import_module(module), function)


EXPORTERS: dict[str, Exporter] = {
    exporter.name: exporter
    for exporter in (
        Exporter("turtle", "graph.ttl", "Turtle: the merged knowledge graph", "kg.export:write_turtle"),
        Exporter(
            "ntriples",
            "graph.nt",
            "N-Triples: the merged knowledge graph, one triple a line",
            "kg.export:write_ntriples",
        ),
        Exporter("trig", "graph.trig", "TriG: every named graph, with provenance", "kg.export:write_trig"),
        Exporter("nquads", "graph.nq", "N-Quads: every named graph, with provenance", "kg.export:write_nquads"),
        Exporter(
            "jsonld", "graph.jsonld", "JSON-LD (expanded): every named graph, with provenance", "kg.export:write_jsonld"
        ),
        Exporter(
            "graphml",
            "graph.graphml",
            "GraphML: the concept network (Cytoscape, yEd, Gephi)",
            "kg.network:write_graphml",
        ),
        Exporter("gexf", "graph.gexf", "GEXF: the concept network (Gephi)", "kg.network:write_gexf"),
        Exporter(
            "csv",
            "graph.csv",
            "CSV: the concept network as an edge table, labels first (spreadsheets)",
            "kg.network:write_csv",
        ),
    )
}


# Subjects per CONSTRUCT of the merged export: bounds the memory its de-duplication takes.
MERGE_BATCH = 2000


class _Merged:
    """The union of the page and derived graphs, each triple once, in a stable order;
    `subjects` counts the distinct subjects met, which is the build's node count.

    A CONSTRUCT over the whole store would remove duplicates (two pages asserting the same
    triple) with a set as large as the graph; running it on batches of subjects keeps that
    set small, as all triples of a subject fall in one batch.
    """

    def __init__(self, store: ox.Store) -> None:
        self.store = store
        self.subjects = 0

    def __iter__(self) -> Iterator[ox.Triple]:
        excluded = ", ".join(f"<{iri}>" for iri in INTERNAL_GRAPHS)
        where = f"GRAPH ?g {{ ?s ?p ?o }} FILTER(?g NOT IN ({excluded}))"
        batch: list[str] = []
        for row in self.store.query(f"SELECT DISTINCT ?s WHERE {{ {where} }}"):
            self.subjects += 1
            if isinstance(row[0], ox.BlankNode):  # not allowed in VALUES (a SPARQL update may add one)
                yield from _subject_triples(self.store, row[0])
                continue
            batch.append(str(row[0]))
            if len(batch) == MERGE_BATCH:
                yield from self._construct(batch, where)
                batch = []
        if batch:
            yield from self._construct(batch, where)

    def _construct(self, batch: list[str], where: str) -> Iterator[ox.Triple]:
        return iter(self.store.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?s {{ {' '.join(batch)} }} {where} }}"))


def _subject_triples(store: ox.Store, subject: ox.BlankNode) -> Iterator[ox.Triple]:
    seen = set()
    for quad in store.quads_for_pattern(subject, None, None, None):
        if isinstance(quad.graph_name, ox.NamedNode) and quad.graph_name.value not in INTERNAL_GRAPHS:
            triple = ox.Triple(subject, quad.predicate, quad.object)
            if triple not in seen:
                seen.add(triple)
                yield triple


def _check_graph(store: ox.Store, graph: str) -> ox.NamedNode:
    try:
        node = ox.NamedNode(graph)
    except ValueError:
        raise ExportError(f"{graph!r} is not an IRI") from None
    if not store.contains_named_graph(node):
        raise ExportError(f"no graph named <{graph}> in the store; page graphs are named by page URL")
    return node


def _write_triples(
    store: ox.Store, stream: BinaryIO, graph: str | None, fmt: ox.RdfFormat, prefixes: dict | None
) -> int | None:
    """Write the merged graph (returning its number of distinct subjects) or one graph."""
    if graph is None:
        merged = _Merged(store)
        ox.serialize(merged, stream, fmt, prefixes=prefixes)
        return merged.subjects
    store.dump(stream, fmt, from_graph=_check_graph(store, graph), prefixes=prefixes)
    return None


def _write_dataset(
    store: ox.Store, stream: BinaryIO, graph: str | None, fmt: ox.RdfFormat, prefixes: dict | None
) -> None:
    if graph is None:
        store.dump(stream, fmt, prefixes=prefixes)
    else:
        ox.serialize(
            store.quads_for_pattern(None, None, None, _check_graph(store, graph)), stream, fmt, prefixes=prefixes
        )


def write_turtle(store: ox.Store, stream: BinaryIO, graph: str | None) -> int | None:
    return _write_triples(store, stream, graph, ox.RdfFormat.TURTLE, PREFIXES)


def write_ntriples(store: ox.Store, stream: BinaryIO, graph: str | None) -> int | None:
    return _write_triples(store, stream, graph, ox.RdfFormat.N_TRIPLES, None)


def write_trig(store: ox.Store, stream: BinaryIO, graph: str | None) -> None:
    _write_dataset(store, stream, graph, ox.RdfFormat.TRIG, PREFIXES)


def write_nquads(store: ox.Store, stream: BinaryIO, graph: str | None) -> None:
    _write_dataset(store, stream, graph, ox.RdfFormat.N_QUADS, None)


def write_jsonld(store: ox.Store, stream: BinaryIO, graph: str | None) -> None:
    _write_dataset(store, stream, graph, ox.RdfFormat.JSON_LD, None)


def exporter(name: str) -> Exporter:
    try:
        return EXPORTERS[name]
    except KeyError:
        raise ExportError(f"unknown export format {name!r}; choose from {', '.join(EXPORTERS)}") from None


def export(store: ox.Store, name: str, destination: Path | BinaryIO, *, graph: str | None = None) -> int | None:
    """Write `store` in format `name` to a path (atomically, via a temporary file) or a binary stream.

    Returns the number of distinct subjects for the merged formats (Turtle, N-Triples), else None.
    """
    write = exporter(name).load()
    if not isinstance(destination, (str, os.PathLike)):
        return write(store, destination, graph)
    path = Path(destination)
    temporary = path.with_name(f".{path.name}.partial")
    try:
        with open(temporary, "wb") as stream:
            subjects = write(store, stream, graph)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return subjects
