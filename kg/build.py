"""The build stage: corpus files -> pages -> JSON-LD -> reconciled triples -> a new store and exports.

Pages are converted in worker processes (one per core) that hand back N-Quads;
the main process is the only writer, bulk-loading them into a staging store.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox

from .config import BuildConfig
from .contexts import ContextLoader
from .errors import PageError
from .expand import to_quads
from .export import export, exporter
from .fastpath import fast_quads
from .jsontext import parse_block
from .namespaces import PROVENANCE_GRAPH
from .readers import Page, SourceFile, reader_for
from .reconcile import Rules, reconcile
from .report import BuildReport, PageOutcome
from .sources import find_sources
from .store import ProvenanceRecord, StagingStore, staging

# The export every build leaves beside the store; the others come from `kg export`.
BUILD_EXPORTS = ("turtle",)
# Below this many files, starting worker processes costs more than it saves.
PARALLEL_FROM_FILES = 200
# The writer loads N-Quads in batches of about this many bytes.
LOAD_BATCH_BYTES = 8_000_000

Progress = Callable[[int, int], None]


@dataclass
class PageResult:
    """A converted page as it travels from a worker to the writer."""

    outcome: PageOutcome
    graph: bytes  # the page's named graph, as N-Quads
    provenance: ProvenanceRecord


class PageConverter:
    """Turns the pages of one file into N-Quads; one per process, reused for every file."""

    def __init__(self, config: BuildConfig) -> None:
        self.config = config
        self.loader = ContextLoader(config)
        self.rules = Rules()

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
        return page.source.path.resolve().as_uri()

    def triples(self, page: Page) -> tuple[PageOutcome, list]:
        """Convert one page; every problem becomes a message on its outcome, never an exception."""
        outcome = PageOutcome(page.label, page.url, blocks=len(page.blocks), warnings=list(page.warnings))
        outcome.url = self.page_iri(page, outcome)
        if not page.blocks:
            outcome.errors.append("no JSON-LD in this page")
            return outcome, []
        quads: list[ox.Quad] = []
        rewrite_https = False
        for index, block in enumerate(page.blocks):
            warnings: list[str] = []
            try:
                parsed = parse_block(block.text)
                warnings += parsed.warnings
                fast = fast_quads(parsed.data, outcome.url)
                if fast is not None:
                    block_quads, names_https = fast
                    rewrite_https = rewrite_https or names_https
                    outcome.fast_blocks += 1
                else:
                    block_quads = to_quads(
                        parsed.data, base=outcome.url, loader=self.loader, bnode_prefix=f"b{index}x", warnings=warnings
                    )
                    rewrite_https = True
                quads += block_quads
            except PageError as exc:
                outcome.errors.append(f"{block.where}: {exc}")
            outcome.warnings += [f"{block.where}: {warning}" for warning in warnings]
        triples = reconcile(quads, ox.NamedNode(outcome.url), self.rules, rewrite_https=rewrite_https).triples
        if not triples and not outcome.errors:
            outcome.warnings.append("its JSON-LD holds no triples")
        outcome.triples = len(triples)
        return outcome, triples

    def convert(self, page: Page) -> PageResult:
        outcome, triples = self.triples(page)
        graph = f"<{outcome.url}>"
        nquads = "".join([f"{s} {p} {o} {graph} .\n" for s, p, o in triples]).encode()
        return PageResult(outcome, nquads, _record(page, outcome))

    def convert_file(self, source: SourceFile) -> list[PageResult]:
        """Every page of one file; a file that cannot be read is one failed outcome."""
        try:
            return [self.convert(page) for page in _read(source, self.config)]
        except PageError as exc:
            reason = str(exc)
        except OSError as exc:
            reason = f"cannot read: {exc.strerror or exc}"
        return [PageResult(PageOutcome(source.name, None, errors=[reason]), b"", None)]


def _read(source: SourceFile, config: BuildConfig) -> Iterator[Page]:
    _, reader = reader_for(source.path)
    size = source.path.stat().st_size
    if size > config.max_page_bytes:
        raise PageError(f"file is {size} bytes, over the {config.max_page_bytes}-byte limit")
    yield from reader(source.path.read_bytes(), source, config)


def _record(page: Page, outcome: PageOutcome) -> ProvenanceRecord:
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
    )


_worker: PageConverter | None = None


def _start_worker(config: BuildConfig) -> None:
    global _worker
    _worker = PageConverter(config)


def _convert_in_worker(source: SourceFile) -> list[PageResult]:
    assert _worker is not None
    return _worker.convert_file(source)


def convert_files(files: list[SourceFile], config: BuildConfig, jobs: int) -> Iterator[list[PageResult]]:
    """Converted pages file by file, in corpus order, from `jobs` worker processes."""
    if jobs <= 1 or len(files) < PARALLEL_FROM_FILES:
        converter = PageConverter(config)
        yield from (converter.convert_file(source) for source in files)
        return
    # spawn, not fork: the parent holds an open RocksDB store.
    context = multiprocessing.get_context("spawn")
    with context.Pool(jobs, initializer=_start_worker, initargs=(config,)) as pool:
        yield from pool.imap(_convert_in_worker, files, chunksize=16)


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


def _fill(stage: StagingStore, results: Iterable[list[PageResult]], total: int, report: BuildReport, progress: Progress | None) -> None:
    writer = _Writer(stage.store)
    owners: dict[str, str] = {}  # page URL -> the page that gave it first
    for done, file_results in enumerate(results, 1):
        for result in file_results:
            outcome = result.outcome
            report.pages.append(outcome)
            if result.provenance is None:
                continue
            if outcome.url in owners:
                outcome.warnings.append(f"same page URL as {owners[outcome.url]}, which was kept; this copy is skipped")
                outcome.triples = 0
                continue
            owners[outcome.url] = outcome.label
            writer.add(result.graph)
            writer.add(_provenance_nquads(result.provenance))
            report.triples += outcome.triples
        if progress:
            progress(done, total)
    writer.flush()


def _count_nodes(store: ox.Store) -> int:
    query = f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{PROVENANCE_GRAPH}>) }}"
    return int(next(iter(store.query(query)))["n"].value)


def derive_concepts(store: ox.Store) -> None:
    """Run the concept-layer rules over freshly loaded pages (a no-op until kg.link exists)."""
    try:
        from .link import derive
    except ImportError:
        return
    derive(store)


def build(
    sources: list[str] | None = None,
    config: BuildConfig | None = None,
    *,
    progress: Progress | None = None,
    jobs: int | None = None,
) -> BuildReport:
    """Build the corpus named by `sources` (default: the bundled example) into `config.output`.

    The previous store and exports stay untouched unless at least one page builds.
    """
    config = config or BuildConfig()
    jobs = jobs or min(os.cpu_count() or 1, 2)
    started = time.perf_counter()
    corpus = find_sources(sources)
    report = BuildReport(source_errors=list(corpus.problems))
    output = Path(config.output)
    with staging(output) as stage:
        _fill(stage, convert_files(corpus.files, config, jobs), len(corpus.files), report, progress)
        if report.built:
            derive_concepts(stage.store)
            report.nodes = _count_nodes(stage.store)
            for name in BUILD_EXPORTS:
                filename = exporter(name).filename
                export(stage.store, name, stage.export_path(filename))
                report.exports.append(str(output / filename))
            stage.commit()
            report.committed = True
    report.seconds = time.perf_counter() - started
    return report
