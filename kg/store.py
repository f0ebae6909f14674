"""The build folder and its persistent Oxigraph store: atomic replacement, provenance, opening.

Layout of a build folder (default ./output):
    store/          the live Oxigraph (RocksDB) store, opened by every later command
    facts.sqlite    each page's facts, the concept layer by concept and the concept network
                    (kg.factstore): what the next build and kg view/path/stats start from
    corpus.duckdb   from 2,000 pages: the corpus tables (every page's facts, kg.corpusdb),
                    kept so that the next build changes only the pages that changed
    graph.ttl ...   exports, each replaced atomically
    .staging-*/     a build in progress; swapped in only when complete
A build never writes into store/ itself: it fills a staging store, then renames
it into place, so an interrupted build leaves the previous store untouched.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import fcntl
import functools
import os
import shutil
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

import pyoxigraph as ox

from .errors import FolderBusy, StoreError
from .folder import claim
from .namespaces import KG, PROV, PROVENANCE_GRAPH, RDF

STORE_DIR = "store"
# Where builds before the facts store kept a checkpoint of the pages; removed when seen.
PAGES_DIR = "pages"
# Oxigraph's bulk loader keeps what it is given in memory (and up to a million quads per
# thread of it) until it writes: loads of about this size keep memory flat however much
# there is to load, and are large enough that each load's fixed cost (~50 ms) stays small.
LOAD_BATCH_BYTES = 8_000_000
_STAGING_PREFIX = ".staging-"
_RETIRED_PREFIX = ".retired-"
_OLD_PAGES_PREFIX = ".old-pages-"
_CHECKPOINT_PREFIX = ".checkpoint-"

_PROV_GRAPH = ox.NamedNode(PROVENANCE_GRAPH)


def release_memory() -> None:
    """Hand the memory freed since the last call back to the system (glibc's malloc_trim).

    A rule's query evaluation can take hundreds of megabytes, which Oxigraph frees when it
    ends; glibc keeps most of it for later, fragmented, so the process grew by each rule's
    leftovers (to 1.3 GB between rules at 100,000 pages). Elsewhere than glibc, nothing.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim():
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def _recover(output: Path) -> None:
    """Finish or undo a swap that a kill interrupted between its two renames."""
    live = output / STORE_DIR
    if live.exists():
        return
    retired = sorted(output.glob(_RETIRED_PREFIX + "*"), key=lambda p: p.stat().st_mtime)
    if retired:
        retired[-1].rename(live)


def bulk_load_file(
    store: ox.Store,
    path: Path,
    fmt: ox.RdfFormat,
    *,
    to_graph: ox.NamedNode | None = None,
    lenient: bool = False,
    batch_bytes: int = LOAD_BATCH_BYTES,
) -> None:
    """Bulk-load a line-based file (N-Triples, N-Quads) in pieces of about `batch_bytes`, cut at line ends."""
    options = {"format": fmt, "lenient": lenient, **({"to_graph": to_graph} if to_graph is not None else {})}
    with open(path, "rb") as stream:
        bulk_load_stream(store, stream, batch_bytes, **options)


def bulk_load_stream(store: ox.Store, stream: BinaryIO, batch_bytes: int = LOAD_BATCH_BYTES, **options) -> None:
    """Bulk-load a line-based stream in pieces of about `batch_bytes`, cut at line ends."""
    rest = b""
    while block := stream.read(batch_bytes):
        block = rest + block
        cut = block.rfind(b"\n") + 1
        rest = block[cut:]
        if cut:
            store.bulk_load(block[:cut], **options)
    if rest:
        store.bulk_load(rest, **options)


def store_path(output: Path) -> Path:
    return Path(output) / STORE_DIR


def open_store(output: Path | str, *, read_only: bool = True) -> ox.Store:
    """Open the store of a build folder; StoreError with a hint when there is none."""
    output = Path(output)
    _recover(output)
    path = store_path(output)
    if not path.is_dir():
        raise StoreError(f"no kg store in {output}/ (run `kg build -o {output}` first)")
    try:
        return ox.Store.read_only(str(path)) if read_only else ox.Store(str(path))
    except OSError as exc:
        raise StoreError(f"cannot open the store in {path}: {exc}") from None


def merged_source_iri(label: str) -> str:
    """The provenance node of a source whose page was merged into another file's page."""
    return "urn:kg:source:" + quote(label, safe="/#")


@dataclass(frozen=True)
class ProvenanceRecord:
    """Where one page's graph came from and how its build went."""

    page: str
    source_path: str
    sha256: str
    size: int
    reader: str
    blocks: int
    triples: int
    warnings: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    record: str | None = None
    source_sha256: str = ""  # of the whole source file: what an incremental build compares
    # A second file with the same page URL: its triples went into that page's graph, and
    # this record (its IRI is merged_source_iri's) names the page with kg:mergedInto.
    merged_into: str | None = None

    @property
    def status(self) -> str:
        """failed (an error), built (triples), or empty (no JSON-LD, or none that RDF can hold)."""
        return "failed" if self.errors else "built" if self.triples else "empty"

    def quads(self) -> Iterator[ox.Quad]:
        subject = ox.NamedNode(self.page)

        def add(predicate: str, value: ox.NamedNode | ox.Literal) -> ox.Quad:
            return ox.Quad(subject, ox.NamedNode(predicate), value, _PROV_GRAPH)

        if self.merged_into:  # not a page of its own (the rules and counts read prov:Entity)
            yield add(str(KG.mergedInto), ox.NamedNode(self.merged_into))
        else:
            yield add(str(RDF.type), ox.NamedNode(str(PROV.Entity)))
        yield add(str(KG.sourcePath), ox.Literal(self.source_path))
        if self.record:
            yield add(str(KG.record), ox.Literal(self.record))
        yield add(str(KG.sha256), ox.Literal(self.sha256))
        if self.source_sha256:
            yield add(str(KG.sourceSha256), ox.Literal(self.source_sha256))
        yield add(str(KG.byteSize), ox.Literal(self.size))
        yield add(str(KG.reader), ox.Literal(self.reader))
        yield add(str(KG.blockCount), ox.Literal(self.blocks))
        yield add(str(KG.tripleCount), ox.Literal(self.triples))
        yield add(str(KG.status), ox.Literal(self.status))
        for warning in self.warnings:
            yield add(str(KG.warning), ox.Literal(warning))
        for error in self.errors:
            yield add(str(KG.error), ox.Literal(error))


class StagingStore:
    """A store being built beside the live one; `commit()` swaps it in, `discard()` drops it."""

    def __init__(self, output: Path, *, from_live: bool = False) -> None:
        self.output = claim(output)  # before anything is written there: the folder must be kg's
        # One writer per build folder: a second concurrent build would sweep the
        # first one's staging folder.
        self._lock = open(self.output / ".lock", "w")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._lock.close()
            raise FolderBusy(f"another kg build is writing to {self.output}/; wait for it to finish") from None
        _recover(self.output)
        self.folder = self.output / f"{_STAGING_PREFIX}{uuid.uuid4().hex[:12]}"
        self.folder.mkdir()
        try:  # staging() cleans up only once this returns: until then (a Ctrl-C, say) it is ours
            live = self.output / STORE_DIR
            # An incremental build starts from a checkpoint (hard links, so it is quick) of
            # the live store, and edits that; the live store is never written.
            if from_live and live.is_dir():
                ox.Store.read_only(str(live)).backup(str(self.folder / STORE_DIR))
            self.store = ox.Store(str(self.folder / STORE_DIR))
        except BaseException:
            self.discard()
            raise

    def reopen(self) -> None:
        """Close the store and open it again, handing back what it held in memory.

        A store that has been read end to end (the rules) keeps every table file's index and
        filter blocks, its write buffers and the allocator's leftovers of two rule threads;
        at 100,000 pages the build process carried about 700 MB of that into the export.
        Opened again it holds only what the next reader touches.
        """
        self.store.flush()
        del self.store
        release_memory()
        self.store = ox.Store(str(self.folder / STORE_DIR))

    def export_path(self, filename: str) -> Path:
        """Where an export is written before commit moves it beside the store."""
        return self.folder / filename

    def commit(self) -> None:
        """Make this build the live one: the store, then each export, by rename."""
        self.store.flush()
        del self.store
        live = self.output / STORE_DIR
        retired = self.output / f"{_RETIRED_PREFIX}{uuid.uuid4().hex[:12]}"
        if live.exists():
            live.rename(retired)
        (self.folder / STORE_DIR).rename(live)
        for produced in sorted(self.folder.iterdir()):
            os.replace(produced, self.output / produced.name)
        shutil.rmtree(self.folder, ignore_errors=True)
        shutil.rmtree(retired, ignore_errors=True)
        _sweep(self.output)
        self._lock.close()

    def discard(self) -> None:
        self.__dict__.pop("store", None)
        shutil.rmtree(self.folder, ignore_errors=True)
        self._lock.close()


def sweep_leftovers(output: Path) -> None:
    """Remove what killed builds left in a build folder, unless a build is writing there now."""
    try:
        lock = open(Path(output) / ".lock", "w")
    except OSError:
        return  # a folder this user cannot write to: nothing of theirs to sweep
    with lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return  # a build in progress owns the staging folder it has
        _sweep(Path(output))


def _sweep(output: Path) -> None:
    """Remove what killed builds and exports left behind (never the live store)."""
    for leftover in [*output.glob(_STAGING_PREFIX + "*"), *output.glob(_OLD_PAGES_PREFIX + "*"), output / PAGES_DIR]:
        shutil.rmtree(leftover, ignore_errors=True)
    for leftover in output.glob(_CHECKPOINT_PREFIX + "*"):
        if not _alive(leftover.name.removeprefix(_CHECKPOINT_PREFIX).split("-")[0]):
            shutil.rmtree(leftover, ignore_errors=True)
    if (output / STORE_DIR).exists():
        for leftover in output.glob(_RETIRED_PREFIX + "*"):
            shutil.rmtree(leftover, ignore_errors=True)


def _alive(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:  # another user's process
        return True
    return True


@contextmanager
def checkpoint(store: ox.Store, beside: Path) -> Iterator[Path]:
    """A checkpoint of `store` in a new folder in `beside` (on the store's file system), for
    other processes to open read-only; removed on leaving.

    It is made of hard links, so it takes milliseconds and no space, and its files stay
    whatever happens to the store meanwhile: a compaction still running after the last
    load, or a build that swaps the live store out and deletes it. A killed process's
    checkpoint is swept by the next build (its folder name carries the process id).
    """
    folder = Path(beside) / f"{_CHECKPOINT_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        store.backup(str(folder))
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def staging(output: Path, *, from_live: bool = False) -> Iterator[StagingStore]:
    """A staging store (empty, or a copy of the live one) that is discarded
    unless the block commits it."""
    stage = StagingStore(output, from_live=from_live)
    try:
        yield stage
    except BaseException as exc:
        # The frames of the failed calls (the writer's, the rules') still hold the store:
        # release them so that discard() closes it before deleting its folder (RocksDB
        # still writing there would leave the folder behind).
        traceback.clear_frames(exc.__traceback__)
        raise
    finally:
        if stage.folder.exists():
            stage.discard()
