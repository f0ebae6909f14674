"""Exporters: a registry from format name to writer; RDF formats come from Oxigraph's serializers.

Triple formats (Turtle, N-Triples) hold the knowledge graph: the union of every
page graph (and derived graphs), without kg's provenance bookkeeping. Dataset
formats (TriG, N-Quads, JSON-LD) hold everything, one named graph per page.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import io
import itertools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from .errors import ExportError
from .folder import atomic_file
from .namespaces import PREFIXES, PROVENANCE_GRAPH
from .store import checkpoint
from .workers import ordered_map

INTERNAL_GRAPHS = (PROVENANCE_GRAPH,)


@dataclass(frozen=True)
class Exporter:
    name: str
    filename: str
    description: str
    target: str  # "module:function(store, stream, graph)"
    # The writer also takes workdir= and jobs= (see write_merged).
    parallel: bool = False

    def load(self) -> Callable[[ox.Store, BinaryIO, str | None], int | None]:
        module, function = self.target.split(":")
        return getattr(importlib.import_module(module), function)


EXPORTERS: dict[str, Exporter] = {
    exporter.name: exporter
    for exporter in (
        Exporter("turtle", "graph.ttl", "Turtle: the merged knowledge graph", "kg.export:write_turtle", True),
        Exporter(
            "ntriples",
            "graph.nt",
            "N-Triples: the merged knowledge graph, one triple a line",
            "kg.export:write_ntriples",
            True,
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
            "kg.export_network:write_graphml",
        ),
        Exporter("gexf", "graph.gexf", "GEXF: the concept network (Gephi)", "kg.export_network:write_gexf"),
        Exporter(
            "csv",
            "graph.csv",
            "CSV: the concept network as an edge table, labels first (spreadsheets)",
            "kg.export_network:write_csv",
        ),
    )
}


# Subjects per CONSTRUCT of the merged export: bounds the memory its de-duplication takes.
MERGE_BATCH = 2000
# Subjects per task of the merged export (a multiple of MERGE_BATCH); a graph of one chunk
# is written without worker processes. A task's Turtle is ~8 MB at this size.
MERGE_CHUNK = 5 * MERGE_BATCH
_EXCLUDED = ", ".join(f"<{iri}>" for iri in INTERNAL_GRAPHS)
_MERGED_WHERE = f"GRAPH ?g {{ ?s ?p ?o }} FILTER(?g NOT IN ({_EXCLUDED}))"


def _merged_chunks(store: ox.Store) -> Iterator[list[str]]:
    """The subjects of the page and derived graphs, in the store's order, as N-Triples terms,
    in chunks of MERGE_CHUNK IRIs and the blank nodes among them."""
    chunk: list[str] = []
    iris = 0
    for row in store.query(f"SELECT DISTINCT ?s WHERE {{ {_MERGED_WHERE} }}"):
        chunk.append(str(row[0]))
        if isinstance(row[0], ox.NamedNode):
            iris += 1
            if iris == MERGE_CHUNK:
                yield chunk
                chunk, iris = [], 0
    if chunk:
        yield chunk


def _chunk_triples(store: ox.Store, subjects: list[str]) -> Iterator[ox.Triple]:
    """Every triple of the merged graph about `subjects`, each once, in a stable order.

    A CONSTRUCT over the whole store would remove duplicates (two pages asserting the same
    triple) with a set as large as the graph; running it on batches of subjects keeps that
    set small, as all triples of a subject fall in one batch.
    """
    batch: list[str] = []
    for subject in subjects:
        if subject.startswith("_:"):  # not allowed in VALUES (a SPARQL update may add one)
            if batch:  # in order, so that where the chunks are cut does not matter
                yield from _construct(store, batch)
                batch = []
            yield from _subject_triples(store, ox.BlankNode(subject[2:]))
            continue
        batch.append(subject)
        if len(batch) == MERGE_BATCH:
            yield from _construct(store, batch)
            batch = []
    if batch:
        yield from _construct(store, batch)


def _construct(store: ox.Store, batch: list[str]) -> Iterator[ox.Triple]:
    return iter(store.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?s {{ {' '.join(batch)} }} {_MERGED_WHERE} }}"))


def _subject_triples(store: ox.Store, subject: ox.BlankNode) -> Iterator[ox.Triple]:
    seen = set()
    for quad in store.quads_for_pattern(subject, None, None, None):
        if isinstance(quad.graph_name, ox.NamedNode) and quad.graph_name.value not in INTERNAL_GRAPHS:
            triple = ox.Triple(subject, quad.predicate, quad.object)
            if triple not in seen:
                seen.add(triple)
                yield triple


def _header(fmt: ox.RdfFormat, prefixes: dict | None) -> bytes:
    """What the serializer writes before the first triple (the prefix lines)."""
    stream = io.BytesIO()
    probe = ox.NamedNode("urn:kg:probe")
    ox.serialize([ox.Triple(probe, probe, probe)], stream, fmt, prefixes=prefixes)
    written = stream.getvalue()
    return written[: written.index(b"<urn:kg:probe>")]


def _serialize_chunk(store: ox.Store, subjects: list[str], fmt: ox.RdfFormat, prefixes: dict | None) -> bytes:
    """A chunk's triples in `fmt`, without the header. Chunks hold whole subjects, so their
    serializations put end to end are the serialization of the whole graph."""
    stream = io.BytesIO()
    ox.serialize(_chunk_triples(store, subjects), stream, fmt, prefixes=prefixes)
    written = stream.getvalue()
    header = _header(fmt, prefixes)
    assert written.startswith(header), "the serializer's header changed"
    return written[len(header) :]


_worker_store: ox.Store | None = None


def _open_worker_store(path: str) -> None:
    global _worker_store
    _worker_store = ox.Store.read_only(path)


def _serialize_in_worker(task: tuple[list[str], str, dict | None]) -> bytes:
    assert _worker_store is not None
    subjects, fmt, prefixes = task
    return _serialize_chunk(_worker_store, subjects, ox.RdfFormat.from_extension(fmt), prefixes)


def write_merged(
    store: ox.Store,
    stream: BinaryIO,
    fmt: ox.RdfFormat,
    prefixes: dict | None,
    *,
    workdir: Path | None = None,
    jobs: int = 1,
) -> int:
    """Write the union of the page and derived graphs, each triple once, in a stable order;
    return its number of distinct subjects (the build's node count).

    Given `workdir`, a folder on the store's file system, and `jobs` > 1, worker processes
    serialize chunks of subjects side by side from a checkpoint of the store made there;
    the bytes are the same whatever the number of jobs.
    """
    subjects = 0

    def counted(chunks: Iterator[list[str]]) -> Iterator[list[str]]:
        nonlocal subjects
        for chunk in chunks:
            subjects += len(chunk)
            yield chunk

    chunks = counted(_merged_chunks(store))
    parallel = workdir is not None and jobs > 1
    if parallel:  # and more than one chunk to write
        head = list(itertools.islice(chunks, 2))
        parallel = len(head) == 2
        chunks = itertools.chain(head, chunks)
    with contextlib.ExitStack() as cleanup:
        parts: Iterator[bytes]
        if parallel:
            assert workdir is not None
            copy = cleanup.enter_context(checkpoint(store, workdir))
            died = ExportError("a worker process writing the export died (killed, or out of memory?)")
            tasks = ((chunk, fmt.file_extension, prefixes) for chunk in chunks)
            parts = ordered_map(
                _serialize_in_worker, tasks, jobs, died=died, initializer=_open_worker_store, initargs=(str(copy),)
            )
        else:
            parts = (_serialize_chunk(store, chunk, fmt, prefixes) for chunk in chunks)
        for number, part in enumerate(parts):
            if number == 0:
                stream.write(_header(fmt, prefixes))
            stream.write(part)
    return subjects


def _check_graph(store: ox.Store, graph: str) -> ox.NamedNode:
    try:
        node = ox.NamedNode(graph)
    except ValueError:
        raise ExportError(f"{graph!r} is not an IRI") from None
    if not store.contains_named_graph(node):
        raise ExportError(f"no graph named <{graph}> in the store; page graphs are named by page URL")
    return node


def _write_triples(
    store: ox.Store, stream: BinaryIO, graph: str | None, fmt: ox.RdfFormat, prefixes: dict | None, **parallel
) -> int | None:
    """Write the merged graph (returning its number of distinct subjects) or one graph."""
    if graph is None:
        return write_merged(store, stream, fmt, prefixes, **parallel)
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


def write_turtle(store: ox.Store, stream: BinaryIO, graph: str | None, **parallel) -> int | None:
    return _write_triples(store, stream, graph, ox.RdfFormat.TURTLE, PREFIXES, **parallel)


def write_ntriples(store: ox.Store, stream: BinaryIO, graph: str | None, **parallel) -> int | None:
    return _write_triples(store, stream, graph, ox.RdfFormat.N_TRIPLES, None, **parallel)


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


def export(
    store: ox.Store,
    name: str,
    destination: Path | BinaryIO,
    *,
    graph: str | None = None,
    workdir: Path | None = None,
    jobs: int = 1,
) -> int | None:
    """Write `store` in format `name` to a path (atomically, via a new temporary file) or a binary stream.

    Returns the number of distinct subjects for the merged formats (Turtle, N-Triples), else None.
    Given a folder on the store's file system, the merged formats are written by `jobs`
    worker processes (same bytes; see write_merged).
    """
    chosen = exporter(name)
    write = chosen.load()
    if chosen.parallel:
        write = functools.partial(write, workdir=workdir, jobs=jobs)
    if not isinstance(destination, (str, os.PathLike)):
        return write(store, destination, graph)
    with atomic_file(destination) as stream:
        return write(store, stream, graph)
