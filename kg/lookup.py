"""The look-up index: what `kg query search` reads instead of scanning every concept.

The build keeps, in the facts store, each concept's kind, label and definition triples
(from the layer it has just made, by subject, so an incremental build rewrites only the
concepts whose layer changed) and an SQLite FTS5 trigram index of their labels and
definitions as search.rq compares them (lower case, runs of spaces, "_" and "-" as one
space). A search asks the index which concepts contain the text, loads those concepts'
triples into a small in-memory store and runs the library's search.rq there: the rows,
their order and their terms are the query's own, from a store of thousands of triples
instead of millions.

The index is used only when the facts store was written with the build's store (the
token both record) and the query is the shipped search.rq; otherwise the query runs on
the store as before.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pyoxigraph as ox

from .factstore import FactStore, store_token
from .namespaces import CONCEPTS_GRAPH, KG, SKOS

_KEY_PREFIX = f"<{CONCEPTS_GRAPH}> "
_KIND = f"<{KG.kind}>".encode()
_LABEL = f"<{SKOS.prefLabel}>".encode()
_DEFINITION = f"<{SKOS.definition}>".encode()
_KEPT = (_KIND, _LABEL, _DEFINITION)
# search.rq's REPLACE(LCASE(...), "[\\s_-]+", " "): Oxigraph's \s is Unicode White_Space,
# which Python's \s exceeds by four control characters; spelled out, the two agree.
_SPACES = re.compile("[\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000_-]+")
# The shortest text the trigram index can look up; shorter ones scan the index's text.
_TRIGRAM = 3

_SCHEMA = """
CREATE TABLE IF NOT EXISTS lookup (subject TEXT PRIMARY KEY, hash BLOB NOT NULL, triples BLOB NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS lookup_text USING fts5(label, definition, tokenize='trigram case_sensitive 1');
"""


def normal(text: str) -> str:
    """A text as search.rq compares it."""
    return _SPACES.sub(" ", text.lower())


def _texts(triples: bytes) -> tuple[bytes, str | None, str | None, bool]:
    """The kind, label and definition triples of one concept's layer N-Triples, its labels
    and definitions as search.rq compares them (None: none), and whether it has a kind."""
    kept = [line for line in triples.splitlines(keepends=True) if line.split(b" ", 2)[1] in _KEPT]
    texts: dict[bytes, list[str]] = {_LABEL: [], _DEFINITION: []}
    kinded = False
    for triple in ox.parse(b"".join(kept), format=ox.RdfFormat.N_TRIPLES):
        predicate = f"<{triple.predicate.value}>".encode()
        if predicate == _KIND:
            kinded = True
        elif isinstance(triple.object, ox.Literal):
            texts[predicate].append(normal(triple.object.value))
    # A newline is never in a normalized text, so no match spans two values.
    label, definition = ("\n".join(sorted(texts[p])) if texts[p] else None for p in (_LABEL, _DEFINITION))
    return b"".join(kept), label, definition, kinded


def update_index(facts: FactStore) -> int:
    """Bring the look-up index in `facts` to the concept layer `facts` holds: rewrite the
    concepts whose layer hash changed, drop those gone. Returns how many were rewritten."""
    db = facts.db
    for statement in _SCHEMA.split(";"):  # one by one: executescript would commit the build's transaction
        if statement.strip():
            db.execute(statement)
    stale = [
        row[0]
        for row in db.execute(
            "SELECT lookup.rowid FROM lookup LEFT JOIN layer ON layer.subject = lookup.subject "
            "WHERE layer.hash IS NULL OR layer.hash != lookup.hash"
        )
    ]
    db.executemany("DELETE FROM lookup WHERE rowid = ?", ((rowid,) for rowid in stale))
    db.executemany("DELETE FROM lookup_text WHERE rowid = ?", ((rowid,) for rowid in stale))
    fresh = db.execute(
        "SELECT layer.subject, layer.hash, layer.quads FROM layer LEFT JOIN lookup ON lookup.subject = layer.subject "
        "WHERE layer.subject >= ? AND layer.subject < ? AND lookup.subject IS NULL",
        (_KEY_PREFIX, _KEY_PREFIX[:-1] + "!"),
    ).fetchall()
    for subject, digest, quads in fresh:
        triples, label, definition, kinded = _texts(quads)
        if not kinded:  # search.rq's rows are concepts with a kind
            triples, label, definition = b"", None, None
        rowid = db.execute("INSERT INTO lookup VALUES (?, ?, ?)", (subject, digest, triples)).lastrowid
        if label is not None or definition is not None:
            row = (rowid, label, definition)
            db.execute("INSERT INTO lookup_text (rowid, label, definition) VALUES (?, ?, ?)", row)
    return len(fresh)


def _candidates(db: sqlite3.Connection, needle: str) -> list[bytes]:
    """The triples of every concept whose label or definition contains `needle` (normalized)."""
    if len(needle) >= _TRIGRAM:
        phrase = '"' + needle.replace('"', '""') + '"'
        query = "SELECT triples FROM lookup WHERE rowid IN (SELECT rowid FROM lookup_text WHERE lookup_text MATCH ?)"
        return [row[0] for row in db.execute(query, (phrase,))]
    query = (
        "SELECT triples FROM lookup WHERE rowid IN (SELECT rowid FROM lookup_text "
        "WHERE instr(label, ?1) > 0 OR instr(definition, ?1) > 0)"
    )
    return [row[0] for row in db.execute(query, (needle,))]


def indexed_search(output: Path | str, query_text: str, bindings: dict):
    """search.rq's Answer from the look-up index of the build folder `output`, or None when
    the index cannot answer (no index, or one not written with the store)."""
    from .query import run_in_process
    from .store import open_store

    text = bindings.get("text")
    if not isinstance(text, ox.Literal):
        return None
    facts = FactStore.reader(Path(output))
    if facts is None:
        return None
    try:
        token = facts.token
        if token is None or token != store_token(open_store(output)):
            return None
        try:
            found = _candidates(facts.db, normal(text.value))
        except sqlite3.Error:  # a facts store from before the index
            return None
    finally:
        facts.close()
    small = ox.Store()
    if found:
        small.load(b"".join(found), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(CONCEPTS_GRAPH))
    return run_in_process(small, query_text, bindings)


def is_shipped_search(origin: str) -> bool:
    """Whether a library query is the search.rq kg ships (a user's own may differ)."""
    return origin == "queries/search.rq"
