"""The corpus pass and the layer delta: corpus rules over the facts store, and what reaches the store.

The corpus rules run over a store of every page's facts (each page's in a graph named after
the page, with its provenance record), never over the build's store: the pages' graphs are
written once and not read back. The concept layer (the concepts and statistics graphs) is
then kept in the facts store by subject, with a hash of each subject's sorted quads. A
full build bulk-loads the layer; an incremental one removes and adds only the quads of the
subjects whose hash changed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .corpusdb import CORPUS_FILE, CorpusDB
from .facts import PageRules, page_facts, stored_pages
from .factstore import FactStore, subject_hash
from .namespaces import CONCEPTS_GRAPH, STATISTICS_GRAPH
from .publish import page_piece, set_piece, update_pieces
from .store import LOAD_BATCH_BYTES, bulk_load_file, release_memory

Progress = Callable[[int, int], None]
Announce = Callable[[str], None]
LAYER_GRAPHS = (CONCEPTS_GRAPH, STATISTICS_GRAPH)
# Below this many quads to change, ordinary transactions beat a bulk load's fixed cost.
_BULK_FROM = 20_000
_REMOVE_BATCH = 50_000


@dataclass
class LayerReport:
    """What the corpus pass made and what reached the store."""

    link: object = None  # link.LinkReport
    subjects: int = 0
    changed: int = 0  # subjects whose quads changed (added, removed or different)
    added: int = 0  # quads
    removed: int = 0
    loaded: int = 0  # pages whose facts went into the corpus tables (the others were kept there)
    timings: dict[str, float] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """What a build report shows of it."""
        return {
            "subjects": self.subjects,
            "changed": self.changed,
            "added": self.added,
            "removed": self.removed,
            "facts loaded": self.loaded,
        }


def corpus_store(facts: FactStore, progress: Progress | None = None, *, workdir: Path | None = None) -> ox.Store:
    """A store of every page's facts and provenance (on disk in `workdir`, else in memory)."""
    store = ox.Store(str(workdir)) if workdir is not None else ox.Store()
    total, done = facts.page_count(), 0
    for chunk, pages in facts.chunks(LOAD_BATCH_BYTES):
        store.bulk_load(chunk, format=ox.RdfFormat.N_QUADS)
        done += pages
        if progress:
            progress(done, total)
    return store


def _groups(store: ox.Store, graph: str, workdir: Path, made: list[Path] | None) -> Iterator[tuple[str, bytes]]:
    """The quads of `graph` by subject, as N-Triples, each group's lines sorted; keyed
    "<graph> subject". The files the rules wrote (`made`), or else the graph dumped from
    the store, are sorted by bytes (GNU sort, in bounded memory; in Python without it)."""
    ordered = workdir / "layer.sorted.nt"
    if made is None:
        dumped = workdir / "layer.nt"
        store.dump(dumped, format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph))
        _sort([dumped], ordered, workdir)
        dumped.unlink()
    else:
        _sort(made, ordered, workdir)
    prefix = f"<{graph}> "
    subject, lines = None, []
    with open(ordered, "rb") as stream:
        for line in stream:
            head = line[: line.index(b" ")]
            if head != subject:
                if lines:
                    yield prefix + subject.decode(), b"".join(lines)
                subject, lines = head, []
            lines.append(line)
    if lines:
        yield prefix + subject.decode(), b"".join(lines)
    ordered.unlink()


def _empty(folder: Path) -> Path:
    path = folder / "empty.nt"
    path.touch()
    return path


def _sort(sources: list[Path], target: Path, workdir: Path) -> None:
    """The lines of `sources`, each once, sorted by bytes, into `target`."""
    command = shutil.which("sort")
    if command is not None:
        done = subprocess.run(
            [command, "-u", "-S", "256M", "-T", str(workdir), "-o", str(target), *map(str, sources)],
            env={**os.environ, "LC_ALL": "C"},
            capture_output=True,
        )
        if done.returncode == 0:
            return
    lines: set[bytes] = set()
    for source in sources:
        with open(source, "rb") as stream:
            lines.update(stream)
    lines = sorted(lines)
    with open(target, "wb") as stream:
        stream.writelines(lines)


def apply_layer(
    source: ox.Store,
    target: ox.Store,
    facts: FactStore,
    *,
    full: bool,
    report: LayerReport,
    progress: Progress | None = None,
    workdir: Path | None = None,
    made: Path | None = None,
) -> None:
    """Bring `target`'s layer to what `source` holds, and keep it in `facts`.

    `full`: `target` has no layer (a new store) and gets all of it by bulk load; else its
    layer is the one `facts` kept, and only the subjects whose hash differs change. `made`:
    the folder where the rules left what they made for the layer's graphs (see
    link.run_rules), read instead of the store.
    """
    kept = _Kept(facts, full)
    if full:
        facts.clear_layer()
    total = kept.count
    seen = 0
    changed: list[tuple[str, bytes, bytes]] = []
    replaced: list[str] = []  # keys of `changed` the layer had before

    def flush() -> None:
        _remove_old(target, facts, replaced + kept.gone, report)
        report.changed += len(kept.gone)
        facts.set_layer(changed, kept.gone)
        changed.clear()
        replaced.clear()
        kept.gone.clear()

    with tempfile.TemporaryDirectory(prefix="kg-layer-", dir=workdir) as scratch:
        # In key order (that of the groups and of the facts store's rows): the two are merged.
        for graph in sorted(LAYER_GRAPHS, key=lambda name: f"<{name}> "):
            added = Path(scratch) / "added.nt"
            count = 0
            with open(added, "wb") as adding:
                files = None if made is None else sorted(made.glob(f"{graph.rsplit(':', 1)[-1]}-*.nt"))
                files = None if files is None else [path for path in files if path.stat().st_size] or [_empty(made)]
                for key, triples in _groups(source, graph, Path(scratch), files):
                    seen += 1
                    digest = subject_hash(triples)
                    before = kept.hash_of(key)
                    if before != digest:
                        report.changed += 1
                        changed.append((key, digest, triples))
                        if before is not None:
                            replaced.append(key)
                        adding.write(triples)
                        count += triples.count(b"\n")
                        if len(changed) >= 10_000:
                            flush()
                    if progress and total and seen % 1000 == 0:
                        progress(min(seen, total), total)
            flush()
            name = ox.NamedNode(graph)
            if count >= _BULK_FROM:
                bulk_load_file(target, added, ox.RdfFormat.N_TRIPLES, to_graph=name)
            elif count:
                target.load(path=added, format=ox.RdfFormat.N_TRIPLES, to_graph=name)
            report.added += count
        kept.finish()
        flush()
        report.subjects = seen
    release_memory()


class _Kept:
    """The layer hashes the facts store kept, read in key order a page at a time and merged
    with the new layer's groups as they come (in the same order): no dictionary of every
    subject (a million at 100,000 pages). The keys passed over are gone (`gone`, until taken)."""

    _PAGE = 10_000

    def __init__(self, facts: FactStore, full: bool) -> None:
        self.facts = facts
        self.count = 0 if full else facts.layer_count()
        self.page: list[tuple[str, bytes]] = []
        self.at = 0
        self.last: str | None = None  # the last key read from the store
        self.more = not full
        self.previous = ""
        self.gone: list[str] = []

    def _fill(self) -> bool:
        # Every key written since (changed or gone) is at most `last`: the rows read are as kept.
        self.page, self.at = self.facts.layer_hashes_after(self.last, self._PAGE), 0
        self.more = len(self.page) == self._PAGE
        if self.page:
            self.last = self.page[-1][0]
        return bool(self.page)

    def hash_of(self, key: str) -> bytes | None:
        """The hash kept for `key`; the keys before it not asked for are gone."""
        if key <= self.previous:
            raise RuntimeError(f"the layer's subjects came out of order at {key}")
        self.previous = key
        while True:
            while self.at < len(self.page):
                kept, digest = self.page[self.at]
                if kept > key:
                    return None
                self.at += 1
                if kept == key:
                    return digest
                self.gone.append(kept)
            if not (self.more and self._fill()):
                return None

    def finish(self) -> None:
        """Every key not asked for is gone."""
        while True:
            self.gone.extend(kept for kept, _ in self.page[self.at :])
            self.at = len(self.page)
            if not (self.more and self._fill()):
                return


def _remove_old(target: ox.Store, facts: FactStore, keys: list[str], report: LayerReport) -> None:
    """Remove from `target` the quads the facts store kept for `keys` ("<graph> subject")."""
    statements: list[str] = []
    for key, blob in facts.layer_quads(keys):
        graph = key[: key.index(" ")]
        for triple in ox.parse(blob, format=ox.RdfFormat.N_TRIPLES):
            statements.append(f"GRAPH {graph} {{ {triple.subject} {triple.predicate} {triple.object} }}")
    report.removed += len(statements)
    for begin in range(0, len(statements), _REMOVE_BATCH):  # one transaction a batch
        target.update("DELETE DATA { " + " ".join(statements[begin : begin + _REMOVE_BATCH]) + " }")


def save_network(source, facts: FactStore):
    """Keep the concept network of `source`'s layer (a store, or the corpus pass's tables, a
    kg.corpusdb.CorpusDB) in the facts store, so that kg view, path and stats start without
    reading the store (see network.saved_concepts); return it."""
    from .network.from_tables import concept_table
    from .network.read import read_concepts

    table = read_concepts(source) if isinstance(source, ox.Store) else concept_table(source)
    lists = {"nodes": table.nodes, "kinds": table.kinds, "labels": table.labels, "relations": table.relations}
    facts.put("network", json.dumps(lists, ensure_ascii=False).encode())
    for name in ("heads", "tails", "relation"):
        facts.put(f"network {name}", getattr(table, name).astype("<i8").tobytes())
    return table


def timed(report: LayerReport, name: str):
    class _Timer:
        def __enter__(self):
            self.started = time.perf_counter()

        def __exit__(self, *exc):
            report.timings[name] = report.timings.get(name, 0.0) + time.perf_counter() - self.started

    return _Timer()


# From this many pages the corpus tables are a DuckDB file kept beside the facts store
# (compressed, and updated by the pages that changed), not a database in memory made anew.
# KG_CORPUS_ON_DISK_FROM_PAGES sets it (the tests use 0 to run the kept tables on small corpora).
CORPUS_ON_DISK_FROM_PAGES = int(os.environ.get("KG_CORPUS_ON_DISK_FROM_PAGES", "2000"))


@contextmanager
def _timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    began = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - began


def refresh_facts(
    store: ox.Store,
    facts: FactStore,
    page_rules: PageRules,
    announce: Announce | None,
    progress: Progress | None,
    pages: list[str] | None = None,
) -> int:
    """Derive the facts of `pages` (default: every page the facts store has) again from their
    graphs in `store` (a page rule changed, or the store's pages did); returns how many."""
    pages = facts.urls() if pages is None else pages
    if announce and pages:
        announce(f"page facts: deriving those of {len(pages)} pages again from the store")
    for done, (url, graph, _provenance) in enumerate(stored_pages(store, pages), 1):
        facts.set_page(url, page_facts(url, graph, page_rules), _provenance)
        set_piece(facts, url, page_piece(graph))
        if progress:
            progress(done, len(pages))
    return len(pages)


def corpus_tables(
    facts: FactStore, scratch: Path, *, on_disk: bool, threads: int, announce: Announce | None = None
) -> CorpusDB:
    """The corpus tables of `facts`: every page's facts and provenance in DuckDB.

    On disk they are kept beside the facts store (corpus.duckdb) from one build to the next,
    with the token of the facts store they were made from: when that is the token the facts
    store had before this build, only the pages this build changed are removed and added
    again. Otherwise (a first build, a build that was stopped, a changed page rule) they are
    loaded whole. The token is cleared before anything changes and written once the facts
    store has committed, so a build killed in between leaves tables the next one reloads.
    """
    path = facts.path.with_name(CORPUS_FILE) if on_disk and str(facts.path) != ":memory:" else None
    created = path is not None and not path.exists()
    db = CorpusDB(scratch / "duckdb", threads, on_disk=on_disk, path=path)
    try:
        same = path is not None and not facts.cleared and db.get("token") is not None and db.get("token") == facts.token
        urls = sorted(facts.changed) if same else None
        if announce:
            announce("corpus rules: " + (f"{len(urls)} pages' facts changed" if same else "loading every page's facts"))
        db.put("token", None)
        db.drop_pages(urls)
        lines = scratch / "facts.lines"
        db.loaded = facts.write_lines(lines, urls)
        if db.loaded:
            db.add_pages(lines)
        lines.unlink(missing_ok=True)
    except BaseException:
        db.close()
        raise
    if path is not None:
        facts.after_commit.append(lambda token: CorpusDB.seal(path, token))
        if created:
            facts.after_rollback.append(lambda: path.unlink(missing_ok=True))
    return db


def derive_layer(
    store: ox.Store,
    facts: FactStore,
    corpus_rules: list,
    *,
    full: bool,
    announce: Announce | None = None,
    progress: Progress | None = None,
    jobs: int | None = None,
    timings: dict[str, float] | None = None,
    workdir: Path | None = None,
):
    """The corpus pass over `facts`, and the concept layer it makes into `store` (all of it
    when `full`, else as a delta); the concept network kept in `facts`. Returns the rules' report."""
    from .analysis import save_analysis
    from .corpuspass import CorpusPass
    from .link import corpus_pass
    from .lookup import update_index
    from .workers import default_jobs

    timings = timings if timings is not None else {}
    layer = LayerReport()
    with tempfile.TemporaryDirectory(prefix="kg-corpus-", dir=workdir) as scratch:
        with _timed(timings, "corpus: load facts"):
            on_disk = facts.page_count() >= CORPUS_ON_DISK_FROM_PAGES
            db = corpus_tables(facts, Path(scratch), on_disk=on_disk, threads=jobs or default_jobs(), announce=announce)
            corpus = CorpusPass(db, Path(scratch) / "pass", on_disk=on_disk)
            layer.loaded = db.loaded
        made = Path(scratch) / "made"
        try:
            with _timed(timings, "corpus: rules"):
                layer.link = corpus_pass(corpus, corpus_rules, announce, jobs)
                corpus.write_layer(made)
            with _timed(timings, "concept network"):
                network = save_network(corpus.db, facts)
        finally:
            corpus.close()
        with _timed(timings, "concept layer into the store"):
            if announce:
                announce("concept layer: " + ("loading it" if full else "applying what changed"))
            apply_layer(None, store, facts, full=full, report=layer, progress=progress, workdir=workdir, made=made)
        with _timed(timings, "network: ranks, communities, texts"):
            if announce:
                announce("concept network: ranks, communities and the overview's clusters")
            save_analysis(facts, network, store)
        with _timed(timings, "look-up index, graph.ttl pieces"):
            update_index(facts)
            update_pieces(facts)
    release_memory()
    return layer
