"""The exports a build leaves: graph.ttl from the Turtle pieces it kept (or the store), recorded for the next build.

`write_exports` writes them into the staging folder (for build, `kg link`, `kg query --update`).

The worker that converts a page also writes the page's triples as Turtle (sorted, Oxigraph's
serializer, without the prefix lines); the build keeps that piece beside the page's facts
in facts.sqlite, with the 64-bit hashes of the page's subjects. Each subject of the concept
layer gets its piece the same way, rewritten only when the subject's layer hash changes.
graph.ttl is then the prefix lines, every page's piece in page order and every layer
subject's piece in subject order: a concatenation, where reading the store back took a
query per subject batch. An incremental build rewrites the pieces of the pages and
subjects that changed and concatenates again, so it writes the same bytes as a full build.

The file is the same graph as the store's merged export (each piece holds whole subjects
with valid Turtle around them), laid out by page: a subject that several pages describe,
or that the layer describes too, has a block in each, and a triple two pages state is
written twice. The build's node count is that of the distinct subject hashes.

The pieces are used only when they cover the store: every page has one and the store
holds no graph besides the pages', the layer's and provenance (an update may add one);
otherwise graph.ttl is read from the store as before.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyoxigraph as ox

from .export import export, exporter
from .factstore import FactStore
from .folder import atomic_file
from .incremental import Outputs, file_sha256, write_outputs
from .namespaces import CONCEPTS_GRAPH, PREFIXES, PROVENANCE_GRAPH, STATISTICS_GRAPH
from .report import Announce
from .store import StagingStore
from .workers import default_jobs

_TURTLE = ox.RdfFormat.TURTLE
_SCHEMA = """
CREATE TABLE IF NOT EXISTS page_turtle (page TEXT PRIMARY KEY, turtle BLOB NOT NULL, subjects BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS layer_turtle (
  subject TEXT PRIMARY KEY, hash BLOB NOT NULL, turtle BLOB NOT NULL, subjects BLOB NOT NULL
)
"""
_OTHER_GRAPHS = {PROVENANCE_GRAPH, CONCEPTS_GRAPH, STATISTICS_GRAPH}
# Layer subjects serialized per call (each call's output is cut back into subjects), and
# at most about this many bytes of their N-Triples: a hub concept's run to megabytes.
_LAYER_BATCH = 5000
_LAYER_BATCH_BYTES = 4_000_000


def _header() -> bytes:
    stream = io.BytesIO()
    probe = ox.NamedNode("urn:kg:probe")
    ox.serialize([ox.Triple(probe, probe, probe)], stream, _TURTLE, prefixes=PREFIXES)
    written = stream.getvalue()
    return written[: written.index(b"<urn:kg:probe>")]


HEADER = _header()


def _body(triples: list[ox.Triple]) -> bytes:
    if not triples:
        return b""
    written = ox.serialize(triples, format=_TURTLE, prefixes=PREFIXES)
    assert written.startswith(HEADER), "the serializer's header changed"
    return written[len(HEADER) :]


def _subject_hashes(subjects: Iterable[str]) -> bytes:
    return np.array(
        sorted({int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "little") for s in subjects}),
        dtype="<u8",
    ).tobytes()


_GRAPH = ox.NamedNode("urn:kg:graph:piece")
_PLAIN = {ox.NamedNode("http://www.w3.org/2001/XMLSchema#string"), None}


def page_piece(triples: Iterable[tuple]) -> tuple[bytes, bytes]:
    """A page's triples ((subject, predicate, object) terms) as a Turtle piece, sorted, each
    once, and the hashes of its subjects.

    Triples with a typed value pass through an in-memory store first: Oxigraph keeps typed
    values in canonical form ("...+00:00" dateTimes as "...Z"), and the piece must hold what
    the build's store holds.
    """
    plain, typed = [], []
    for triple in triples:
        value = triple[2]
        (
            typed if type(value) is ox.Literal and value.language is None and value.datatype not in _PLAIN else plain
        ).append(triple)
    if typed:
        # A new store for each page: a cleared in-memory store still walks every quad it
        # ever held, so reusing one makes each page slower than the last.
        canonical = ox.Store()
        canonical.extend(ox.Quad(s, p, o, _GRAPH) for s, p, o in typed)
        plain += [(quad.subject, quad.predicate, quad.object) for quad in canonical]
    # Sorted as N-Triples lines (a space sorts before any character of a term's end).
    keyed = sorted({f"{s} {p} {o}": (s, p, o) for s, p, o in plain}.items())
    turtle = _body([ox.Triple(*terms) for _, terms in keyed])
    return turtle, _subject_hashes({str(terms[0]) for _, terms in keyed})


def _prepare(db) -> None:
    for statement in _SCHEMA.split(";"):  # one by one: executescript would commit the build's transaction
        if statement.strip():
            db.execute(statement)


def set_piece(facts: FactStore, page: str, piece: tuple[bytes, bytes]) -> None:
    """Keep a page's piece (see page_piece), under the key its facts have."""
    _prepare(facts.db)
    facts.db.execute("INSERT OR REPLACE INTO page_turtle VALUES (?, ?, ?)", (page, *piece))


def update_pieces(facts: FactStore) -> int:
    """Bring the pieces to what `facts` holds: drop those of pages it no longer has, and
    rewrite those of layer subjects whose hash changed. Returns how many layer pieces were written."""
    db = facts.db
    _prepare(db)
    db.execute("DELETE FROM page_turtle WHERE page NOT IN (SELECT url FROM pages)")
    db.execute(
        "DELETE FROM layer_turtle WHERE NOT EXISTS "
        "(SELECT 1 FROM layer WHERE layer.subject = layer_turtle.subject AND layer.hash = layer_turtle.hash)"
    )
    fresh = db.execute(
        "SELECT subject, hash, quads FROM layer WHERE NOT EXISTS "
        "(SELECT 1 FROM layer_turtle WHERE layer_turtle.subject = layer.subject) ORDER BY subject"
    )
    written, rows, size = 0, [], 0
    for row in fresh:
        rows.append(row)
        size += len(row[2])
        if len(rows) >= _LAYER_BATCH or size >= _LAYER_BATCH_BYTES:
            db.executemany("INSERT INTO layer_turtle VALUES (?, ?, ?, ?)", _layer_pieces(rows))
            written, rows, size = written + len(rows), [], 0
    if rows:
        db.executemany("INSERT INTO layer_turtle VALUES (?, ?, ?, ?)", _layer_pieces(rows))
    return written + len(rows)


def _layer_pieces(rows: list[tuple[str, bytes, bytes]]) -> list[tuple[str, bytes, bytes, bytes]]:
    """(key, hash, Turtle piece, subject hash) of each layer row (key "<graph> subject",
    its N-Triples sorted): one serialization for the batch, cut where each subject begins
    (Oxigraph starts a subject at the start of a line and continues it on tab-indented lines)."""
    # Parsed as serialized, never a list of the batch's triples (Python objects, 5x its bytes).
    written = ox.serialize(
        ox.parse(b"".join(quads for _, _, quads in rows), format=ox.RdfFormat.N_TRIPLES),
        format=_TURTLE,
        prefixes=PREFIXES,
    )
    assert not written or written.startswith(HEADER), "the serializer's header changed"
    body = written[len(HEADER) :]
    starts = [0] + [i + 1 for i in _find_all(body, b"\n") if i + 1 < len(body) and body[i + 1] != 0x09]
    if len(starts) != len(rows):  # a subject the serializer did not write as one block: one by one
        return [
            (key, digest, _body(list(ox.parse(quads, format=ox.RdfFormat.N_TRIPLES))), _key_hash(key))
            for key, digest, quads in rows
        ]
    ends = starts[1:] + [len(body)]
    return [
        (key, digest, body[start:end], _key_hash(key))
        for (key, digest, _), start, end in zip(rows, starts, ends, strict=True)
    ]


def _find_all(data: bytes, needle: bytes) -> Iterable[int]:
    at = data.find(needle)
    while at >= 0:
        yield at
        at = data.find(needle, at + 1)


def _key_hash(key: str) -> bytes:
    subject = key[key.index(" ") + 1 :]
    return _subject_hashes([subject])


def covers(facts: FactStore, store: ox.Store) -> bool:
    """Whether the pieces in `facts` make the whole merged graph of `store`: every page has
    its piece, and the store has no graph but the pages', the layer's and provenance."""
    db = facts.db
    try:
        if db.execute("SELECT 1 FROM pages WHERE url NOT IN (SELECT page FROM page_turtle) LIMIT 1").fetchone():
            return False
        pages = {row[0] for row in db.execute("SELECT page FROM page_turtle")}
    except Exception:  # a facts store from before the pieces  # noqa: BLE001
        return False
    for graph in store.named_graphs():
        name = graph.value if isinstance(graph, ox.NamedNode) else None
        if name is None or (name not in pages and name not in _OTHER_GRAPHS):
            return False
    return True


def write_turtle(facts: FactStore, stream: BinaryIO) -> int:
    """graph.ttl from the pieces (see `covers`); returns the number of distinct subjects."""
    db = facts.db
    hashes: list[bytes] = []
    wrote = False
    for table, key in (("page_turtle", "page"), ("layer_turtle", "subject")):
        for turtle, subjects in db.execute(f"SELECT turtle, subjects FROM {table} ORDER BY {key}"):  # noqa: S608
            if turtle:
                if not wrote:
                    stream.write(HEADER)
                    wrote = True
                stream.write(turtle)
            hashes.append(subjects)
    return len(np.unique(np.frombuffer(b"".join(hashes), dtype="<u8")))


def export_turtle(output: Path, store: ox.Store, destination: Path | BinaryIO) -> int | None:
    """`kg export -f turtle` of a build folder from its pieces, when they are those of its
    `store` (the facts store was written with it and covers it); None otherwise."""
    from .factstore import store_token
    from .folder import atomic_file

    facts = FactStore.reader(Path(output))
    if facts is None:
        return None
    try:
        if facts.token is None or facts.token != store_token(store) or not covers(facts, store):
            return None
        if not isinstance(destination, (str, Path)):
            return write_turtle(facts, destination)
        with atomic_file(Path(destination)) as stream:
            return write_turtle(facts, stream)
    finally:
        facts.close()


# The export every build leaves beside the store; the others come from `kg export`.
BUILD_EXPORTS = ("turtle",)


def count_nodes(store: ox.Store) -> int:
    query = f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{PROVENANCE_GRAPH}>) }}"
    return int(next(iter(store.query(query)))["n"].value)


def write_exports(
    stage: StagingStore,
    rules: str,
    announce: Announce | None = None,
    jobs: int | None = None,
    facts: FactStore | None = None,
) -> tuple[list[str], int]:
    """Write the build's exports into the staging folder and record them, with `rules` (what
    made the concept layer), for the next build to compare (see incremental.Outputs).

    Returns the files written and the node count, which the merged export finds as it goes
    (else a count of its own). Given `facts`, graph.ttl is their pieces put end to end
    when they cover the store (see kg.publish), else read from the store.
    """
    written, nodes = {}, None
    from_pieces = facts is not None and covers(facts, stage.store)
    if not from_pieces:
        stage.reopen()  # the export starts without the memory the rules left in the store
    for name in BUILD_EXPORTS:
        filename = exporter(name).filename
        if announce:
            announce(f"writing {filename}")
        if name == "turtle" and from_pieces:
            with atomic_file(stage.export_path(filename)) as stream:
                subjects = write_turtle(facts, stream)
        else:
            subjects = export(
                stage.store, name, stage.export_path(filename), workdir=stage.folder, jobs=jobs or default_jobs()
            )
        nodes = subjects if subjects is not None else nodes
        written[filename] = file_sha256(stage.export_path(filename))
    nodes = count_nodes(stage.store) if nodes is None else nodes
    write_outputs(stage.store, Outputs(rules, nodes, written))
    return list(written), nodes
