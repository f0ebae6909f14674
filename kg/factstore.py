"""The facts store beside a build's Oxigraph store: each page's facts, the last concept layer
by concept, and the concept network, in one SQLite file (facts.sqlite).

SQLite because the build reads and replaces rows by key (a page's URL, a concept's IRI):
an incremental build changes a few rows of a large file, in one transaction that a kill
rolls back. Parquet files are written whole, so a 1% change would rewrite them all;
DuckDB was not installed here and brings nothing a key-value table needs. The file is
written in place in WAL mode (readers are never blocked); its transaction commits right
after the build's store is swapped in, and both carry the same token: a kill between the
two leaves them disagreeing, and the next build, seeing that, builds in full.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyoxigraph as ox

from .namespaces import KG, PROVENANCE_GRAPH

FACTS_FILE = "facts.sqlite"
_PROV = ox.NamedNode(PROVENANCE_GRAPH)
_BUILD = ox.NamedNode("urn:kg:build")
_TOKEN = ox.NamedNode(str(KG.factsToken))

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB);
CREATE TABLE IF NOT EXISTS pages (
  url TEXT PRIMARY KEY, hash BLOB NOT NULL, facts BLOB NOT NULL, provenance BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS layer (subject TEXT PRIMARY KEY, hash BLOB NOT NULL, quads BLOB NOT NULL);
"""


def store_token(store: ox.Store) -> str | None:
    """The token of the facts store that was written with `store` (None: none was)."""
    for quad in store.quads_for_pattern(_BUILD, _TOKEN, None, _PROV):
        return quad.object.value
    return None


def write_store_token(store: ox.Store, token: str | None) -> None:
    for quad in list(store.quads_for_pattern(_BUILD, _TOKEN, None, _PROV)):
        store.remove(quad)
    if token is not None:
        store.add(ox.Quad(_BUILD, _TOKEN, ox.Literal(token), _PROV))


class FactStore:
    """One build folder's facts.sqlite, open for one build (a write transaction) or for reading."""

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        # A build that fails leaves no facts store where there was none (a full disk, a
        # bad rule): the folder stays as it was.
        self.created = not read_only and str(path) != ":memory:" and not self.path.exists()
        # What this build changed (the corpus tables take the same change), and what runs
        # once the build's transaction has committed (with its token) or rolled back.
        self.changed: set[str] = set()
        self.cleared = False
        self.after_commit: list = []
        self.after_rollback: list = []
        if read_only:
            self.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, isolation_level=None)
        else:
            self.db = sqlite3.connect(self.path, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.executescript(_SCHEMA)
            self.db.execute("BEGIN IMMEDIATE")

    @classmethod
    def open(cls, output: Path) -> FactStore:
        return cls(Path(output) / FACTS_FILE)

    @classmethod
    def reader(cls, output: Path) -> FactStore | None:
        path = Path(output) / FACTS_FILE
        if not path.is_file():
            return None
        try:
            return cls(path, read_only=True)
        except sqlite3.Error:
            return None

    # meta
    def get(self, key: str) -> bytes | str | None:
        try:
            row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error:
            return None
        return None if row is None else row[0]

    def put(self, key: str, value: bytes | str | None) -> None:
        if value is None:
            self.db.execute("DELETE FROM meta WHERE key = ?", (key,))
        else:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    @property
    def token(self) -> str | None:
        value = self.get("token")
        return None if value is None else str(value)

    def seal(self) -> str:
        """Record, and return, the token of what the facts store holds now: a digest of every
        page's facts and provenance, the layer and the page rules, so the same build gives the
        same token (and the store that records it the same bytes)."""
        hasher = hashlib.sha256(str(self.get("page rules")).encode())
        for url, digest in self.db.execute("SELECT url, hash FROM pages ORDER BY url"):
            hasher.update(url.encode() + b"\0" + digest)
        for key, digest in self.db.execute("SELECT subject, hash FROM layer ORDER BY subject"):
            hasher.update(key.encode() + b"\0" + digest)
        token = hasher.hexdigest()
        self.put("token", token)
        return token

    # pages
    def clear(self) -> None:
        self.cleared = True
        self.db.execute("DELETE FROM pages")
        self.db.execute("DELETE FROM layer")
        self.put("network", None)

    def set_page(self, url: str, facts: bytes, provenance: bytes) -> None:
        digest = subject_hash(facts + b"\0" + provenance)
        self.changed.add(url)
        self.db.execute("INSERT OR REPLACE INTO pages VALUES (?, ?, ?, ?)", (url, digest, facts, provenance))

    def drop_pages(self, urls: Iterable[str]) -> None:
        urls = list(urls)
        self.changed.update(urls)
        self.db.executemany("DELETE FROM pages WHERE url = ?", ((url,) for url in urls))

    def write_lines(self, target: Path, urls: Iterable[str] | None = None) -> int:
        """The facts and provenance of the pages `urls` (every page: None) into `target` as rows
        of the corpus tables (see kg.corpusdb.quad_rows); how many pages."""
        from .corpusdb import quad_rows

        rows = (
            self.db.execute("SELECT url, facts, provenance FROM pages")
            if urls is None
            else (
                row
                for url in urls
                for row in self.db.execute("SELECT url, facts, provenance FROM pages WHERE url = ?", (url,))
            )
        )
        count = 0
        with open(target, "wb") as out:
            for url, facts, provenance in rows:
                out.write(quad_rows(url.encode(), facts + provenance))
                count += 1
        return count

    def urls(self) -> list[str]:
        return [row[0] for row in self.db.execute("SELECT url FROM pages ORDER BY url")]

    def page_count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM pages").fetchone()[0]

    def chunks(self, size: int = 8_000_000) -> Iterator[tuple[bytes, int]]:
        """Every page's facts and provenance as N-Quads, in pieces of about `size` bytes,
        with the number of pages in each."""
        pending: list[bytes] = []
        length = pages = 0
        for facts, provenance in self.db.execute("SELECT facts, provenance FROM pages"):
            pending += (facts, provenance)
            length += len(facts) + len(provenance)
            pages += 1
            if length >= size:
                yield b"".join(pending), pages
                pending, length, pages = [], 0, 0
        if pending:
            yield b"".join(pending), pages

    # the layer, by subject
    def layer_count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM layer").fetchone()[0]

    def layer_hashes_after(self, key: str | None, limit: int) -> list[tuple[str, bytes]]:
        """(key, hash) of the first `limit` layer rows after `key` (None: from the first), in key order."""
        if key is None:
            return self.db.execute("SELECT subject, hash FROM layer ORDER BY subject LIMIT ?", (limit,)).fetchall()
        query = "SELECT subject, hash FROM layer WHERE subject > ? ORDER BY subject LIMIT ?"
        return self.db.execute(query, (key, limit)).fetchall()

    def clear_layer(self) -> None:
        self.db.execute("DELETE FROM layer")

    def layer_quads(self, keys: Iterable[str]) -> Iterator[tuple[str, bytes]]:
        """The N-Triples kept for each of `keys` ("<graph> subject")."""
        for key in keys:
            row = self.db.execute("SELECT quads FROM layer WHERE subject = ?", (key,)).fetchone()
            if row is not None:
                yield key, row[0]

    def set_layer(self, rows: Iterable[tuple[str, bytes, bytes]], gone: Iterable[str]) -> None:
        self.db.executemany("DELETE FROM layer WHERE subject = ?", ((subject,) for subject in gone))
        self.db.executemany("INSERT OR REPLACE INTO layer VALUES (?, ?, ?)", rows)

    def commit(self) -> None:
        token = self.token
        self.db.execute("COMMIT")
        self.db.close()
        for then in self.after_commit:
            then(token)

    def rollback(self) -> None:
        try:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
        except sqlite3.Error:
            pass
        finally:
            self.db.close()
            if self.created:
                for suffix in ("", "-wal", "-shm", "-journal"):
                    Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            for then in self.after_rollback:
                then()

    def close(self) -> None:
        self.db.close()


def subject_hash(quads: bytes) -> bytes:
    return hashlib.sha256(quads).digest()[:16]
