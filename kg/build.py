"""The build stage: corpus files -> pages -> JSON-LD -> reconciled triples -> a new store and exports.

Pages are converted in worker processes (one per core) that hand back N-Quads;
the main process is the only writer, bulk-loading them into a staging store.
"""

from __future__ import annotations

import os
import re
import signal
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox

from .config import BuildConfig
from .contexts import ContextLoader
from .errors import BuildError, PageError
from .expand import dropped_iri_warning, lint, to_quads
from .export import export, exporter
from .facts import PageRules, corpus_rules_of, page_facts, store_pages, stored_pages
from .factstore import FactStore, store_token, write_store_token
from .fastpath import fast_quads
from .folder import atomic_file, claim
from .incremental import (
    Outputs,
    PreviousPage,
    drop_pages,
    exports_unchanged,
    file_sha256,
    fingerprint,
    previous_pages,
    stored_fingerprint,
    stored_outputs,
    write_fingerprint,
    write_outputs,
)
from .iris import iri_terms_of, repair_iris
from .jsontext import parse_block
from .namespaces import PROVENANCE_GRAPH
from .publish import covers, page_piece, set_piece, update_pieces, write_turtle
from .readers import STREAMED, Page, Skipped, SourceFile, compressed, digest, reader_for
from .readers.files import limit_bytes, open_regular, read_limited, stream_sha256
from .reconcile import Rules, reconcile
from .report import BuildReport, PageOutcome
from .sources import find_sources
from .store import (
    LOAD_BATCH_BYTES,
    ProvenanceRecord,
    StagingStore,
    merged_source_iri,
    release_memory,
    staging,
    store_path,
    sweep_leftovers,
)
from .workers import default_jobs, ordered_map

# The export every build leaves beside the store; the others come from `kg export`.
BUILD_EXPORTS = ("turtle",)
# Below this many files, starting worker processes costs more than it saves.
PARALLEL_FROM_FILES = 200
# From this many pages the corpus pass runs on an on-disk store (in the staging folder):
# Oxigraph's in-memory store takes about 450 bytes a quad and is no quicker at these joins.
CORPUS_ON_DISK_FROM_PAGES = 2_000
# Files per task sent to a worker process (see workers.ordered_map for how many are ahead).
FILES_PER_TASK = 16

# A build of this many files or more reports its progress: a bar while it reads them (the
# CLI's), then a line as each later stage starts, which at 100,000 pages take minutes each.
PROGRESS_FROM_FILES = 200

Progress = Callable[[int, int], None]
Announce = Callable[[str], None]


@dataclass
class PageResult:
    """A converted page as it travels from a worker to the writer."""

    outcome: PageOutcome
    graph: bytes  # the page's named graph, as N-Quads
    provenance: ProvenanceRecord | None  # None for a file that gave no page at all
    facts: bytes = b""  # what the page rules derived from it (see kg.facts), as N-Quads
    turtle: tuple[bytes, bytes] | None = None  # its graph.ttl piece and subject hashes (see kg.publish)


@dataclass
class FileResult:
    """Everything one source file gave: its pages, and the archive records that were not pages."""

    pages: list[PageResult]
    source: str = ""  # the file's name, as messages give it
    skipped: Counter[str] = field(default_factory=Counter)  # archive records that are not pages, by reason
    skipped_file: str | None = None  # why the whole file is not a page (a .txt of notes), if it is not


def _already_noted(warning: str, dropped: frozenset[str]) -> bool:
    """Whether pyld's warning is about an IRI the repair has reported dropped (one warning per value)."""
    return any(warning == dropped_iri_warning(value) for value in dropped)


class _OverBudget(BaseException):
    """Raised by the alarm inside a page's conversion; a BaseException so that no library's
    `except Exception` can swallow it."""


@contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Stop the block after `seconds` with _OverBudget (main thread, POSIX; elsewhere no limit).

    A timer that was already running (a test runner's, say) is put back afterwards.
    """
    if seconds <= 0 or threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum, frame):
        raise _OverBudget

    previous = signal.signal(signal.SIGALRM, expire)
    earlier, started = 0.0, time.monotonic()
    try:  # the timer is set inside: whatever interrupts this block, the finally disarms it
        earlier, _ = signal.setitimer(signal.ITIMER_REAL, seconds)
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if earlier:
            signal.setitimer(signal.ITIMER_REAL, max(earlier - (time.monotonic() - started), 0.001))


class PageConverter:
    """Turns the pages of one file into N-Quads; one per process, reused for every file."""

    def __init__(self, config: BuildConfig, page_rules: PageRules | None = None) -> None:
        self.config = config
        self.loader = ContextLoader(config)
        self.rules = Rules()
        self.page_rules = page_rules

    def page_iri(self, page: Page, outcome: PageOutcome) -> str:
        """The page URL as an IRI; percent-encoded, or the file's IRI when even that fails."""
        for candidate, note in ((page.url, None), (quote(page.url, safe="!#$%&'()*+,/:;=?@[]~-._"), "percent-encoded")):
            try:
                value = ox.NamedNode(candidate).value
            except ValueError:
                continue
            if note:
                outcome.warnings.append(f"page URL {page.url!r} is not a valid IRI; {note}")
            return value
        outcome.warnings.append(f"page URL {page.url!r} is not a valid IRI; using the file's IRI")
        return page.source.iri()

    def triples(self, page: Page) -> tuple[PageOutcome, list]:
        """Convert one page; every problem becomes a message on its outcome, never an exception."""
        outcome = PageOutcome(page.label, page.url, blocks=len(page.blocks), warnings=list(page.warnings))
        outcome.url = self.page_iri(page, outcome)
        if not page.blocks:  # most pages of a crawl: a fact about the page, not a failure
            return outcome, []
        quads: list[ox.Quad] = []
        rewrite_https = False
        empty: list[str] = []
        iri_notes: set[str] = set()  # a value repeated in several blocks is reported once a page
        for index, block in enumerate(page.blocks):
            warnings: list[str] = []
            try:
                parsed = parse_block(block.text)
                warnings += parsed.warnings
                # Both JSON-LD paths read the document with its ill-formed IRIs repaired.
                repaired = repair_iris(parsed.data, iri_terms_of(parsed.data))
                document = repaired.document
                warnings += [note for note in repaired.notes if note not in iri_notes]
                iri_notes.update(repaired.notes)
                warnings += lint(document)
                fast = fast_quads(document, outcome.url)
                if fast is not None:
                    block_quads, names_https = fast
                    rewrite_https = rewrite_https or names_https
                    outcome.fast_blocks += 1
                else:
                    pyld_warnings: list[str] = []
                    block_quads = to_quads(
                        document,
                        base=outcome.url,
                        loader=self.loader,
                        bnode_prefix=f"b{index}x",
                        warnings=pyld_warnings,
                    )
                    warnings += [w for w in pyld_warnings if not _already_noted(w, repaired.dropped)]
                    rewrite_https = True
                if not block_quads:
                    empty.append(block.where)
                quads += block_quads
            except PageError as exc:
                outcome.errors.append(f"{block.where}: {exc}")
            outcome.warnings += [f"{block.where}: {warning}" for warning in warnings]
        triples = reconcile(quads, ox.NamedNode(outcome.url), self.rules, rewrite_https=rewrite_https).triples
        if not triples and not outcome.errors:
            outcome.warnings.append("its JSON-LD holds no triples")
        elif triples:  # the page built; say which of its blocks gave nothing (no @context, most often)
            outcome.warnings += [f"{where}: holds no triples (no @context, or no term it maps)" for where in empty]
        outcome.triples = len(triples)
        return outcome, triples

    def convert(self, page: Page, source_sha256: str) -> PageResult:
        outcome, triples = self.triples(page)
        graph = f"<{outcome.url}>"
        nquads = "".join([f"{s} {p} {o} {graph} .\n" for s, p, o in triples]).encode()
        facts = page_facts(outcome.url, triples, self.page_rules) if self.page_rules is not None else b""
        return PageResult(outcome, nquads, _record(page, outcome, source_sha256), facts, page_piece(triples))

    def convert_file(self, source: SourceFile, content: bytes | None = None, source_sha256: str = "") -> FileResult:
        """Every page of one file; what cannot be read becomes a failed outcome after the pages before it.

        The page timeout covers reading each page as well as converting it: a page that takes
        too long to read stops the file there (a reader cannot resume after it). `content`: the
        file's bytes, or a run of an archive's records, read by someone else (Spark), with
        the whole file's sha256 given for a run.
        """
        result = FileResult([], source.name)
        name = ""
        sha = ""

        def pages() -> Iterator[Page | Skipped]:
            nonlocal sha
            if content is not None:
                if name in STREAMED:
                    sha = source_sha256 or digest(content)
                    yield from reader(content, source, self.config)
                else:
                    limited = limit_bytes(content, self.config.max_page_bytes, gunzip=compressed(source.path))
                    sha = digest(content)
                    yield from reader(limited, source, self.config)
                return
            if name in STREAMED:  # archives: records are streamed and size-checked one by one
                with open_regular(source.path) as stream:
                    sha = stream_sha256(stream)
                data = None
            else:
                raw, data = read_limited(source.path, self.config.max_page_bytes, gunzip=compressed(source.path))
                sha = digest(raw)
            yield from reader(data, source, self.config)

        seconds = self.config.page_seconds
        try:
            name, reader = reader_for(source.path)
            items = pages()
            while True:
                item = None
                try:
                    with time_budget(seconds):
                        item = next(items, None)
                        if item is None:
                            break
                        if isinstance(item, Skipped):
                            if item.whole_file:
                                result.skipped_file = item.reason
                            else:
                                result.skipped[item.reason] += 1
                            continue
                        result.pages.append(self.convert(item, sha))
                except _OverBudget:
                    if item is None:  # stopped inside the reader: nothing more of this file can be read
                        after = f" (after {len(result.pages)} pages of it)" if result.pages else ""
                        raise PageError(f"took longer than {seconds:g} s to read{after}; stopped") from None
                    reason = f"took longer than {seconds:g} s to convert; stopped"
                    result.pages.append(self.failed(source, name, reason, item, sha))
                except PageError:
                    raise
                except Exception as exc:  # noqa: BLE001 (a library's limit or bug on one page is that page's failure)
                    if item is None:  # the reader's, not a page's: the file's failure below
                        raise
                    reason = f"conversion failed ({type(exc).__name__}: {str(exc)[:200]})"
                    result.pages.append(self.failed(source, name, reason, item, sha))
            return result
        except PageError as exc:
            reason = str(exc)
        except OSError as exc:
            reason = f"cannot read: {exc.strerror or exc}"
        except Exception as exc:  # noqa: BLE001 (a reader's limit or bug on one file is that file's failure)
            reason = f"cannot read ({type(exc).__name__}: {str(exc)[:200]})"
        result.pages.append(self.failed(source, name, reason, None, sha))
        return result

    def failed(self, source: SourceFile, reader: str, reason: str, page: Page | None, sha: str) -> PageResult:
        """A page, or a whole file, that failed: its outcome and a provenance record that says so
        (under the page's IRI, or the file's when no page was read), so `kg query problems` lists it."""
        if page is not None:
            outcome = PageOutcome(page.label, page.url, blocks=len(page.blocks), warnings=list(page.warnings))
            outcome.url = self.page_iri(page, outcome)
        else:
            outcome = PageOutcome(source.name, source.url or Path(os.path.abspath(source.path)).as_uri())
        outcome.errors.append(reason)
        record = ProvenanceRecord(
            page=outcome.url,
            source_path=source.name,
            sha256=page.sha256 if page else "",
            size=page.size if page else 0,
            reader=reader,
            blocks=outcome.blocks,
            triples=0,
            warnings=tuple(outcome.warnings),
            errors=tuple(outcome.errors),
            record=page.record if page else None,
            source_sha256=sha,
        )
        return PageResult(outcome, b"", record)


def _record(page: Page, outcome: PageOutcome, source_sha256: str) -> ProvenanceRecord:
    return ProvenanceRecord(
        page=outcome.url,
        source_path=page.source.name,
        sha256=page.sha256,
        size=page.size,
        reader=page.reader,
        blocks=outcome.blocks,
        triples=outcome.triples,
        warnings=tuple(outcome.warnings),
        errors=tuple(outcome.errors),
        record=page.record,
        source_sha256=source_sha256,
    )


_converter: PageConverter | None = None


def _start_converter(config: BuildConfig, page_rules: PageRules | None = None) -> None:
    global _converter
    _converter = PageConverter(config, page_rules)


def _convert_chunk(sources: list[SourceFile]) -> list[FileResult]:
    assert _converter is not None
    return [_converter.convert_file(source) for source in sources]


def convert_files(
    files: list[SourceFile], config: BuildConfig, jobs: int, page_rules: PageRules | None = None
) -> Iterator[FileResult]:
    """Converted pages file by file, in corpus order, from `jobs` worker processes, each
    with its facts when `page_rules` are given."""
    if jobs <= 1 or len(files) < PARALLEL_FROM_FILES:
        converter = PageConverter(config, page_rules)
        yield from (converter.convert_file(source) for source in files)
        return
    chunks = (files[start : start + FILES_PER_TASK] for start in range(0, len(files), FILES_PER_TASK))
    died = BuildError("a worker process converting pages died (killed, or out of memory?); nothing was committed")
    for results in ordered_map(
        _convert_chunk, chunks, jobs, died=died, initializer=_start_converter, initargs=(config, page_rules)
    ):
        yield from results


class _Writer:
    """Bulk-loads N-Quads into the staging store in large batches."""

    def __init__(self, store: ox.Store) -> None:
        self.store = store
        self.pending: list[bytes] = []
        self.size = 0

    def add(self, data: bytes) -> None:
        self.pending.append(data)
        self.size += len(data)
        if self.size >= LOAD_BATCH_BYTES:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.store.bulk_load(b"".join(self.pending), format=ox.RdfFormat.N_QUADS)
            self.pending, self.size = [], 0


def _provenance_nquads(record: ProvenanceRecord) -> bytes:
    return "".join(f"{q.subject} {q.predicate} {q.object} <{PROVENANCE_GRAPH}> .\n" for q in record.quads()).encode()


def _fill(
    stage: StagingStore,
    results: Iterable[FileResult],
    total: int,
    report: BuildReport,
    owners: dict[str, str],
    progress: Progress | None,
    facts: FactStore | None = None,
) -> set[str]:
    """Load converted pages into the staging store, and their facts into `facts`; `owners`
    maps page URLs to the page that gave them first."""
    writer = _Writer(stage.store)
    derived: set[str] = set()
    for done, file_result in enumerate(results, 1):
        if file_result.skipped_file:
            report.skipped_files.append((file_result.source, file_result.skipped_file))
        for reason, count in file_result.skipped.items():
            report.skipped[reason] = report.skipped.get(reason, 0) + count
        for result in file_result.pages:
            outcome = result.outcome
            report.pages.append(outcome)
            if result.provenance is None:
                continue
            record = result.provenance
            if outcome.url in owners:
                # Two files of one page (a crawl saved it twice, or under two names): both
                # describe it, so the second's triples join the first's graph, and its own
                # provenance record names the page it went into.
                if outcome.blocks:  # a copy without JSON-LD (a URL crawled twice) has nothing to merge
                    outcome.warnings.append(
                        f"same page URL as {owners[outcome.url]}: its JSON-LD is merged into that page's graph"
                    )
                outcome.merged = True
                record = replace(
                    record,
                    page=merged_source_iri(outcome.label),
                    merged_into=outcome.url,
                    warnings=tuple(outcome.warnings),
                )
            else:
                owners[outcome.url] = outcome.label
            writer.add(result.graph)
            provenance = _provenance_nquads(record)
            writer.add(provenance)
            if facts is not None:
                # A page merged into another's graph (two files of one URL) keeps its facts
                # under its own record, in that graph: the corpus store joins them as the
                # store joins their triples.
                facts.set_page(record.page, result.facts, provenance)
                if result.turtle is not None:
                    set_piece(facts, record.page, result.turtle)
                report.facts_derived += 1
                derived.add(record.page)
            report.triples += outcome.triples
        if progress:
            progress(done, total)
    writer.flush()
    return derived


def _unchanged(
    files: list[SourceFile], previous: dict[str, list[PreviousPage]], report: BuildReport
) -> tuple[list[SourceFile], list[PreviousPage], dict[str, str]]:
    """Split the corpus for an incremental build: keep unchanged files' pages, read the rest.

    Returns the files to read, the pages to drop (of changed files and of files no longer
    in the corpus) and the page URLs already owned by kept pages.
    """
    to_read: list[SourceFile] = []
    to_drop: list[PreviousPage] = []
    owners: dict[str, str] = {}
    shas: dict[str, str | None] = {}
    for source in files:
        try:
            shas[source.name] = file_sha256(source.path)
        except OSError:
            shas[source.name] = None
    forced = _sharing_a_graph(previous, shas)
    for source in files:
        before = previous.pop(source.name, None)
        current = shas[source.name]
        # Files whose pages failed are read again: the cause may lie outside the file
        # (a context mapping, a remote host, the time budget).
        if _still_stands(before, current) and source.name not in forced:
            for page in before:
                outcome = page.outcome()
                report.pages.append(outcome)
                report.triples += outcome.triples
                if page.merged_into is None:
                    owners[page.url] = outcome.label
            continue
        to_drop += before or []
        to_read.append(source)
    for gone in previous.values():  # sources no longer in the corpus
        to_drop += gone
        report.removed += len(gone)
    return to_read, to_drop, owners


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
    from .layer import LayerReport, apply_layer, corpus_store, save_network
    from .link import run_rules
    from .lookup import update_index

    timings = timings if timings is not None else {}
    layer = LayerReport()
    with tempfile.TemporaryDirectory(prefix="kg-corpus-", dir=workdir) as scratch:
        with _timed(timings, "corpus: load facts"):
            if announce:
                announce("corpus rules: loading every page's facts")
            on_disk = facts.page_count() >= CORPUS_ON_DISK_FROM_PAGES
            corpus = corpus_store(facts, progress, workdir=Path(scratch) / "store" if on_disk else None)
        made = Path(scratch) / "made" if _constructs_only(corpus_rules) else None
        if made is not None:
            made.mkdir()
        with _timed(timings, "corpus: rules"):
            layer.link = run_rules(corpus, corpus_rules, announce, jobs, keep=made)
        with _timed(timings, "concept layer into the store"):
            if announce:
                announce("concept layer: " + ("loading it" if full else "applying what changed"))
            apply_layer(corpus, store, facts, full=full, report=layer, progress=progress, workdir=workdir, made=made)
        with _timed(timings, "concept network"):
            network = save_network(corpus, facts)
        with _timed(timings, "network: ranks, communities, texts"):
            if announce:
                announce("concept network: ranks, communities and the overview's clusters")
            save_analysis(facts, network, corpus)
        with _timed(timings, "look-up index, graph.ttl pieces"):
            update_index(facts)
            update_pieces(facts)
        del corpus
    release_memory()
    return layer


_GRAPH_NAMED = re.compile(r"\bGRAPH\s+(\S+)", re.IGNORECASE)
_SCRATCH_NAMES = {"kgg:link-scratch", "<urn:kg:graph:link-scratch>"}


def _constructs_only(rules: list) -> bool:
    """Whether the layer is exactly what the rules' CONSTRUCTs made: no update among them
    writes anywhere but the scratch graph (the settings), so none changes the layer."""
    for rule in rules:
        for step in rule.steps():
            if step.graph is None:
                text = "\n".join(line for line in step.text.splitlines() if not line.lstrip().startswith("#"))
                if set(_GRAPH_NAMED.findall(text)) - _SCRATCH_NAMES or not _GRAPH_NAMED.search(text):
                    return False
    return True


def _still_stands(before: list[PreviousPage] | None, current: str | None) -> bool:
    """Whether a file's pages from the last build are what reading it again would give."""
    return bool(before and current and all(page.source_sha256 == current and not page.errors for page in before))


def _sharing_a_graph(previous: dict[str, list[PreviousPage]], shas: dict[str, str | None]) -> set[str]:
    """Unchanged files to read again because they share a page graph (one was merged into
    the other's page) with a file that changed or is gone: the graph goes with either."""
    stale = {name for name, before in previous.items() if name not in shas or not _still_stands(before, shas[name])}
    sharers: dict[str, set[str]] = {}
    for name, pages in previous.items():
        for page in pages:
            sharers.setdefault(page.merged_into or page.url, set()).add(name)
    shared = [names for names in sharers.values() if len(names) > 1]
    forced: set[str] = set()
    grew = True
    while grew:
        grew = False
        for names in shared:
            if names & (stale | forced) and not names <= stale | forced:
                forced |= names - stale
                grew = True
    return forced


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


def build(
    sources: list[str] | None = None,
    config: BuildConfig | None = None,
    *,
    progress: Progress | None = None,
    announce: Announce | None = None,
    jobs: int | None = None,
    full: bool = False,
) -> BuildReport:
    """Build the corpus named by `sources` (default: the bundled example) into `config.output`.

    With a store already in the build folder the build is incremental (unchanged files are
    not read again) unless `full` is set or the settings changed. The previous store and
    exports stay untouched unless at least one page builds. `progress` hears of each file
    read, and `announce` of each stage after that, when the corpus is large.
    """
    config = config or BuildConfig()
    jobs = jobs or default_jobs()
    started = time.perf_counter()
    corpus = find_sources(sources)
    report = BuildReport(
        source_errors=list(corpus.problems), source_warnings=list(corpus.notes), skipped_files=list(corpus.ignored)
    )
    output = claim(config.output)  # before reading or writing anything there
    live = store_path(output)
    report.had_previous = live.is_dir()
    settings = fingerprint(config)
    previous: dict[str, list[PreviousPage]] | None = None
    facts_valid = False
    recorded: Outputs | None = None
    if report.had_previous and not full:
        live_store = ox.Store.read_only(str(live))
        # Incremental only when the facts store is the one written with the live store.
        kept = FactStore.reader(output)
        kept_token = kept.token if kept is not None else None
        if kept is not None:
            kept.close()
        if stored_fingerprint(live_store) == settings:
            previous = previous_pages(live_store)
            recorded = stored_outputs(live_store)
            # Facts written with another store (an update changed pages since, or a kill
            # came between the two commits) are derived again, from the store's pages.
            facts_valid = bool(kept_token) and kept_token == store_token(live_store)
        del live_store
    files, to_drop, owners = corpus.files, [], {}
    if len(corpus.files) < PROGRESS_FROM_FILES:
        progress = announce = None
    if previous is not None:
        files, to_drop, owners = _unchanged(files, previous, report)
    from .link import clear_derived, load_rules, rules_digest

    rules = load_rules()
    rules_sha = rules_digest(rules)
    if (
        previous is not None
        and not files
        and not to_drop
        and report.built
        and recorded is not None
        and recorded.rules == rules_sha
        and exports_unchanged(output, recorded.exports)
    ):
        # Nothing to read, drop or derive, and the exports are what was written: the live
        # store and exports are already what this build would make.
        sweep_leftovers(output)
        report.nodes = recorded.nodes
        report.kept = [str(output / name) for name in sorted(recorded.exports)]
        report.committed = True
        report.seconds = time.perf_counter() - started
        return report
    page_rules = PageRules.from_rules(rules)
    timings = report.timings
    with staging(output, from_live=previous is not None) as stage:
        facts = FactStore.open(output)
        try:
            with _timed(timings, "drop changed pages"):
                if previous is None or not facts_valid:
                    facts.clear()
                if previous is not None and not facts_valid:
                    clear_derived(stage.store)  # the layer goes in whole, from facts made again
                if to_drop:
                    drop_pages(stage.store, to_drop)
                    facts.drop_pages(page.url for page in to_drop)
            results = convert_files(files, config, jobs, page_rules)
            try:
                with _timed(timings, "read, convert, page facts, load"):
                    built_now = _fill(stage, results, len(files), report, owners, progress, facts)
            finally:
                results.close()  # stops the worker pool now, whatever ended the loading
            release_memory()
            if report.built:
                write_fingerprint(stage.store, settings)
                if previous is not None and (not facts_valid or facts.get("page rules") != page_rules.digest):
                    with _timed(timings, "page facts again, from the store"):
                        again = [url for url in store_pages(stage.store) if url not in built_now]
                        report.facts_derived += refresh_facts(stage.store, facts, page_rules, announce, progress, again)
                facts.put("page rules", page_rules.digest)
                layer = derive_layer(
                    stage.store,
                    facts,
                    corpus_rules_of(rules),
                    full=previous is None or not facts_valid,
                    announce=announce,
                    progress=progress,
                    jobs=jobs,
                    timings=timings,
                    workdir=stage.folder,
                )
                report.layer = layer.counts()
                write_store_token(stage.store, facts.seal())
                with _timed(timings, "exports"):
                    written, report.nodes = write_exports(stage, rules_sha, announce, jobs, facts)
                report.exports += [str(output / filename) for filename in written]
                stage.commit()
                facts.commit()
                report.committed = True
            else:
                facts.rollback()
        except BaseException:
            facts.rollback()
            raise
    report.seconds = time.perf_counter() - started
    return report
