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
_KEY = f"<{KG.key}>".encode()
_KEPT = (_KIND, _LABEL, _DEFINITION, _KEY)
_KIND_IRI, _LABEL_IRI, _DEFINITION_IRI, _KEY_IRI = str(KG.kind), str(SKOS.prefLabel), str(SKOS.definition), str(KG.key)
# search.rq's REPLACE(LCASE(...), "[\\s_-]+", " "): Oxigraph's \s is Unicode White_Space,
# which Python's \s exceeds by four control characters; spelled out, the two agree.
_SPACES = re.compile("[\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000_-]+")
# The shortest text the trigram index can look up; shorter ones scan the index's text.
_TRIGRAM = 3

_VERSION = "2"  # of the tables below: another is dropped and made again
_SCHEMA = """
CREATE TABLE IF NOT EXISTS lookup (subject TEXT PRIMARY KEY, hash BLOB NOT NULL, triples BLOB NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS lookup_text USING fts5(label, definition, tokenize='trigram case_sensitive 1');
CREATE TABLE IF NOT EXISTS lookup_key (key TEXT NOT NULL, concept INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS lookup_key_key ON lookup_key (key);
"""


def normal(text: str) -> str:
    """A text as search.rq compares it."""
    return _SPACES.sub(" ", text.lower())


def _kept_lines(quads: bytes) -> bytes:
    """The lines of one subject's N-Triples that have a predicate search.rq reads (a line
    whose literal happens to hold such a predicate comes too: the query ignores it)."""
    found = []
    for predicate in _KEPT:
        token = b" " + predicate + b" "
        at = quads.find(token)
        while at >= 0:
            start, end = quads.rfind(b"\n", 0, at) + 1, quads.find(b"\n", at) + 1
            end = end or len(quads)  # the last line, without its newline
            found.append(quads[start:end] if quads[end - 1 : end] == b"\n" else quads[start:end] + b"\n")
            at = quads.find(token, end)
    return b"".join(found)


_BATCH = 5000


def _rows(batch: list[tuple[str, bytes, bytes]], first: int) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """The lookup and lookup_text rows of a batch of layer rows (key, hash, N-Triples), with
    rowids from `first`: each concept's kind, label and definition triples, and its labels
    and definitions as search.rq compares them (a concept without a kind is no row of it)."""
    kept = [_kept_lines(quads) for _, _, quads in batch]
    texts: dict[str, tuple[list[str], list[str], list[bool]]] = {}
    keys = []
    number = {key[len(_KEY_PREFIX) :]: rowid for rowid, (key, _, _) in enumerate(batch, first)}
    for triple in ox.parse(b"".join(kept), format=ox.RdfFormat.N_TRIPLES):
        labels, definitions, kinded = texts.setdefault(str(triple.subject), ([], [], []))
        predicate = triple.predicate.value
        if predicate == _KIND_IRI:
            kinded.append(True)
        elif not isinstance(triple.object, ox.Literal):
            continue
        elif predicate == _KEY_IRI:  # definitions-of and facets-of find a concept by it
            keys.append((triple.object.value, number[str(triple.subject)]))
        elif predicate in (_LABEL_IRI, _DEFINITION_IRI):
            (labels if predicate == _LABEL_IRI else definitions).append(normal(triple.object.value))
    lookup, text = [], []
    for rowid, ((key, digest, _), triples) in enumerate(zip(batch, kept, strict=True), first):
        labels, definitions, kinded = texts.get(key[len(_KEY_PREFIX) :], ([], [], []))
        if not kinded:
            lookup.append((rowid, key, digest, b""))
            continue
        lookup.append((rowid, key, digest, triples))
        # A newline is never in a normalized text, so no match spans two values.
        label, definition = ("\n".join(sorted(values)) if values else None for values in (labels, definitions))
        if label is not None or definition is not None:
            text.append((rowid, label, definition))
    return lookup, text, keys


def update_index(facts: FactStore) -> int:
    """Bring the look-up index in `facts` to the concept layer `facts` holds: rewrite the
    concepts whose layer hash changed, drop those gone. Returns how many were rewritten."""
    db = facts.db
    if facts.get("lookup version") != _VERSION:  # made by another kg: made again, whole
        for table in ("lookup", "lookup_text", "lookup_key"):
            db.execute(f"DROP TABLE IF EXISTS {table}")
        facts.put("lookup version", _VERSION)
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
    db.executemany("DELETE FROM lookup_key WHERE concept = ?", ((rowid,) for rowid in stale))
    # A batch at a time, each from where the last ended: a full build's layer (gigabytes
    # at 100,000 pages) never sits in memory, and no open read sees the rows written.
    first = db.execute("SELECT COALESCE(MAX(rowid), 0) + 1 FROM lookup").fetchone()[0]
    after, written = _KEY_PREFIX, 0
    while batch := db.execute(
        "SELECT layer.subject, layer.hash, layer.quads FROM layer LEFT JOIN lookup ON lookup.subject = layer.subject "
        "WHERE layer.subject > ? AND layer.subject < ? AND lookup.subject IS NULL ORDER BY layer.subject LIMIT ?",
        (after, _KEY_PREFIX[:-1] + "!", _BATCH),
    ).fetchall():
        lookup, text, keys = _rows(batch, first + written)
        db.executemany("INSERT INTO lookup (rowid, subject, hash, triples) VALUES (?, ?, ?, ?)", lookup)
        db.executemany("INSERT INTO lookup_text (rowid, label, definition) VALUES (?, ?, ?)", text)
        db.executemany("INSERT INTO lookup_key VALUES (?, ?)", keys)
        after, written = batch[-1][0], written + len(batch)
    return written


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


def _around(db: sqlite3.Connection, area: ox.NamedNode | ox.Literal, link: str) -> list[bytes]:
    """The concept-layer triples definitions-of and facets-of read about `area`: those of the
    concepts whose kg:key is its text in lower case (or of the concept it names as an IRI),
    and of every concept they `link` to (skos:narrower, kg:facet)."""
    keyed = db.execute(
        "SELECT lookup.subject FROM lookup_key JOIN lookup ON lookup.rowid = lookup_key.concept WHERE key = ?",
        (area.value.lower(),),
    )
    chosen = [row[0] for row in keyed]
    if isinstance(area, ox.NamedNode):
        chosen.append(_KEY_PREFIX + str(area))
    found = _layer_of(db, chosen)
    linked = {
        _KEY_PREFIX + str(triple.object)
        for triple in ox.parse(b"".join(found), format=ox.RdfFormat.N_TRIPLES)
        if triple.predicate.value == link and isinstance(triple.object, ox.NamedNode | ox.BlankNode)
    }
    return found + _layer_of(db, sorted(linked - set(chosen)))


def _layer_of(db: sqlite3.Connection, keys: list[str]) -> list[bytes]:
    found = []
    for key in keys:
        row = db.execute("SELECT quads FROM layer WHERE subject = ?", (key,)).fetchone()
        if row is not None:
            found.append(row[0])
    return found


def _from_index(output: Path | str, triples) -> ox.Store | None:
    """A small store of the concept-layer triples `triples(db)` gives from the look-up index
    of `output`, or None when it cannot (no index, or one not written with the store)."""
    from .store import open_store

    facts = FactStore.reader(Path(output))
    if facts is None:
        return None
    try:
        token = facts.token
        if token is None or token != store_token(open_store(output)):
            return None
        try:
            found = triples(facts.db)
        except sqlite3.Error:  # a facts store from before the index
            return None
    finally:
        facts.close()
    small = ox.Store()
    if found:
        small.load(b"".join(found), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(CONCEPTS_GRAPH))
    return small


# The shipped queries the index answers, by origin, and what each reads (parameter, triples).
_ANSWERED = {
    "queries/search.rq": ("text", lambda db, term: _candidates(db, normal(term.value))),
    "queries/definitions-of.rq": ("area", lambda db, term: _around(db, term, str(SKOS.narrower))),
    "queries/facets-of.rq": ("area", lambda db, term: _around(db, term, str(KG.facet))),
}


def indexed_answer(output: Path | str, origin: str, query_text: str, bindings: dict):
    """The Answer of a shipped look-up query (search, definitions-of, facets-of) run on a
    small store of what it reads, from the build's look-up index; None when the query is
    not one of them (or a file of one's own) or the index cannot answer."""
    from .query import run_in_process

    if origin not in _ANSWERED:
        return None
    name, triples = _ANSWERED[origin]
    term = bindings.get(name)
    if not isinstance(term, ox.Literal | ox.NamedNode) or (name == "text" and not isinstance(term, ox.Literal)):
        return None
    small = _from_index(output, lambda db: triples(db, term))
    return None if small is None else run_in_process(small, query_text, bindings)


def indexed_search(output: Path | str, query_text: str, bindings: dict):
    """search.rq's Answer from the look-up index (see indexed_answer)."""
    return indexed_answer(output, "queries/search.rq", query_text, bindings)
