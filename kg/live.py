"""The build a server answers from: a read-only snapshot of the store and its concept index, swapped
for the next one when a `kg build` commits into the same folder.

A snapshot is a checkpoint of the live store (hard links, made in milliseconds, see
`kg.store.checkpoint`) opened read-only. Its files stay whatever the build does to the
live store meanwhile (it renames it away and deletes it), so every request answers from
one snapshot from start to end, including the child processes that run SPARQL queries
with a time limit (they open the checkpoint's folder). A retired snapshot is removed when
the last request using it ends.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .errors import StoreError
from .search import ConceptIndex
from .store import _CHECKPOINT_PREFIX, open_store, store_path

log = logging.getLogger("kg.serve")

# How often the folder is looked at for a new build (a stat call).
POLL_SECONDS = 0.5


def _identity(output: Path) -> tuple[int, int] | None:
    """The live store folder's (device, inode): a committed build renames a new folder into place."""
    try:
        status = os.stat(store_path(output))
    except OSError:
        return None  # between the two renames of a commit, or no build yet
    return status.st_dev, status.st_ino


@dataclass
class Snapshot:
    """One build, opened read-only: `store`, its folder for child processes, and the concept index."""

    folder: Path
    store: ox.Store
    identity: tuple[int, int] | None
    generation: int
    owned: bool  # the folder is our checkpoint, to delete when retired
    index: ConceptIndex | None = None  # None until read (see `load_index`)
    index_error: str | None = None
    index_ready: threading.Event = field(default_factory=threading.Event)
    _users: int = 0
    _retired: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def load_index(self, output: Path) -> None:
        """Read the concept index: from the concept network the build saved, when it did and
        it is this store's, else from the store (seconds on a large build; searches wait for
        it, nothing else does)."""
        started = time.perf_counter()
        try:
            self.index = _saved_index(output, self.store) or ConceptIndex.read(self.store)
        except (OSError, ValueError) as exc:
            self.index_error = str(exc)
            log.error("cannot read the concept index: %s", exc)
        else:
            log.info("concept index: %d concepts in %.2f s", len(self.index), time.perf_counter() - started)
        self.index_ready.set()

    def enter(self) -> None:
        with self._lock:
            self._users += 1

    def leave(self) -> None:
        with self._lock:
            self._users -= 1
            done = self._retired and self._users == 0
        if done:
            self._close()

    def retire(self) -> None:
        with self._lock:
            self._retired = True
            done = self._users == 0
        if done:
            self._close()

    def _close(self) -> None:
        self.__dict__.pop("store", None)
        self.index = None  # type: ignore[assignment]
        if self.owned:
            shutil.rmtree(self.folder, ignore_errors=True)


def _saved_index(output: Path, store: ox.Store) -> ConceptIndex | None:
    try:
        from .network.read import saved_concepts  # a build that keeps its concept network beside the store
    except ImportError:
        return None
    table = saved_concepts(output, store)
    return None if table is None else ConceptIndex.from_lists(table.nodes, table.kinds, table.labels)


def open_snapshot(output: Path, generation: int) -> Snapshot:
    """A checkpoint of the build folder's live store, opened read-only, with its concept index.

    Where the folder cannot be written (no checkpoint possible), the live store itself is
    opened: then a build that swaps it away is seen only by requests that start afterwards.
    """
    identity = _identity(output)
    live = open_store(output)  # finishes an interrupted swap, or StoreError with a hint
    folder = output / f"{_CHECKPOINT_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        live.backup(str(folder))
        store, owned = ox.Store.read_only(str(folder)), True
    except OSError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        log.warning("cannot checkpoint the store in %s (%s); serving the live store", output, exc)
        store, folder, owned = live, store_path(output), False
    else:
        del live
    return Snapshot(folder, store, identity, generation, owned)


class LiveBuild:
    """The current snapshot of a build folder, replaced by the next build's once that is committed."""

    def __init__(self, output: Path | str, *, poll: float = POLL_SECONDS) -> None:
        self.output = Path(output)
        self._current = open_snapshot(self.output, 1)
        # The first index loads while the server already answers; a new build's before it is swapped in.
        threading.Thread(
            target=self._current.load_index, args=(self.output,), name="kg-serve-index", daemon=True
        ).start()
        self._swap_lock = threading.Lock()
        self._stop = threading.Event()
        self._poll = poll
        self._watcher = threading.Thread(target=self._watch, name="kg-serve-watch", daemon=True)
        self._watcher.start()

    @contextmanager
    def snapshot(self) -> Iterator[Snapshot]:
        """The current snapshot, kept open (not deleted by a swap) until the block ends."""
        with self._swap_lock:
            current = self._current
            current.enter()
        try:
            yield current
        finally:
            current.leave()

    @property
    def generation(self) -> int:
        return self._current.generation

    def refresh(self) -> bool:
        """Open the committed build if it is not the one served; True if it swapped."""
        identity = _identity(self.output)
        if identity is None or identity == self._current.identity:
            return False
        started = time.perf_counter()
        try:
            fresh = open_snapshot(self.output, self._current.generation + 1)
        except (StoreError, OSError) as exc:  # caught mid-swap: the next look finds it whole
            log.info("the new build is not readable yet (%s); still serving the previous one", exc)
            return False
        fresh.load_index(self.output)
        with self._swap_lock:
            old, self._current = self._current, fresh
        old.retire()
        log.info(
            "serving the new build in %s/ (opened in %.2f s)",
            self.output,
            time.perf_counter() - started,
        )
        return True

    def _watch(self) -> None:
        while not self._stop.wait(self._poll):
            try:
                self.refresh()
            except Exception:  # noqa: BLE001 (the watcher must outlive any one failure)
                log.exception("looking for a new build failed")

    def close(self) -> None:
        self._stop.set()
        self._watcher.join(timeout=5)
        with self._swap_lock:
            current = self._current
        current.retire()
