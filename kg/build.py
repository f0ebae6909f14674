"""The build stage: corpus files -> pages -> JSON-LD -> reconciled triples -> a new store and exports."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pyoxigraph as ox

from .config import BuildConfig
from .contexts import ContextLoader
from .errors import KgError, PageError
from .expand import to_quads
from .export import export
from .jsontext import parse_block
from .readers import Page, SourceFile, reader_for
from .reconcile import Rules, reconcile
from .report import BuildReport, PageOutcome
from .sources import find_sources
from .store import ProvenanceRecord, StagingStore, staging

# The export every build leaves beside the store; the others come from `kg export`.
BUILD_EXPORTS = ("turtle",)

Progress = Callable[[int, int], None]


def _page_iri(page: Page, outcome: PageOutcome) -> str:
    """The page URL as an IRI; percent-encoded or replaced by the file IRI if it is not one."""
    try:
        return ox.NamedNode(page.url).value
    except ValueError:
        pass
    from urllib.parse import quote

    encoded = quote(page.url, safe="!#$%&'()*+,/:;=?@[]~-._")
    try:
        value = ox.NamedNode(encoded).value
        outcome.warnings.append(f"page URL {page.url!r} is not a valid IRI; percent-encoded")
        return value
    except ValueError:
        outcome.warnings.append(f"page URL {page.url!r} is not a valid IRI; using the file's IRI")
        return page.source.path.resolve().as_uri()


def build_page(page: Page, loader: ContextLoader, rules: Rules) -> tuple[PageOutcome, list]:
    """Convert one page; every problem becomes a message on its outcome, never an exception."""
    outcome = PageOutcome(page.label, page.url, blocks=len(page.blocks), warnings=list(page.warnings))
    outcome.url = _page_iri(page, outcome)
    if not page.blocks:
        outcome.errors.append("no JSON-LD in this page")
        return outcome, []
    quads: list[ox.Quad] = []
    for index, block in enumerate(page.blocks):
        block_warnings: list[str] = []
        try:
            parsed = parse_block(block.text)
            block_warnings += parsed.warnings
            quads += to_quads(
                parsed.data, base=outcome.url, loader=loader, bnode_prefix=f"b{index}x", warnings=block_warnings
            )
        except PageError as exc:
            outcome.errors.append(f"{block.where}: {exc}")
        outcome.warnings += [f"{block.where}: {warning}" for warning in block_warnings]
    triples = reconcile(quads, ox.NamedNode(outcome.url), rules).triples
    if not triples and not outcome.errors:
        outcome.warnings.append("its JSON-LD holds no triples")
    outcome.triples = len(triples)
    return outcome, triples


def _read(source: SourceFile, config: BuildConfig) -> Iterator[Page]:
    name, reader = reader_for(source.path)
    size = source.path.stat().st_size
    if size > config.max_page_bytes:
        raise PageError(f"file is {size} bytes, over the {config.max_page_bytes}-byte limit")
    yield from reader(source.path.read_bytes(), source, config)


def _record(page: Page, outcome: PageOutcome) -> ProvenanceRecord:
    return ProvenanceRecord(
        page=outcome.url or page.source.path.resolve().as_uri(),
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


def _count_nodes(store: ox.Store) -> int:
    query = "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } FILTER(?g != <urn:kg:graph:provenance>) }"
    return int(next(iter(store.query(query)))["n"].value)


def _fill(stage: StagingStore, files: list[SourceFile], config: BuildConfig, report: BuildReport, progress: Progress | None) -> None:
    loader = ContextLoader(config)
    rules = Rules()
    owners: dict[str, str] = {}  # page URL -> the file that gave it first
    for done, source in enumerate(files, 1):
        try:
            pages = list(_read(source, config))
        except PageError as exc:
            report.pages.append(PageOutcome(source.name, None, errors=[str(exc)]))
            pages = []
        except OSError as exc:
            report.pages.append(PageOutcome(source.name, None, errors=[f"cannot read: {exc.strerror or exc}"]))
            pages = []
        for page in pages:
            outcome, triples = build_page(page, loader, rules)
            if outcome.url in owners:
                outcome.warnings.append(f"same page URL as {owners[outcome.url]}, which was kept; this copy is skipped")
                outcome.triples = 0
                report.pages.append(outcome)
                continue
            owners[outcome.url] = page.label
            stage.add_page(outcome.url, triples, _record(page, outcome))
            report.triples += len(triples)
            report.pages.append(outcome)
        if progress:
            progress(done, len(files))


def build(sources: list[str] | None = None, config: BuildConfig | None = None, *, progress: Progress | None = None) -> BuildReport:
    """Build the corpus named by `sources` (default: the bundled example) into `config.output`.

    The previous store and exports stay untouched unless at least one page builds.
    """
    config = config or BuildConfig()
    started = time.perf_counter()
    corpus = find_sources(sources)
    report = BuildReport(source_errors=list(corpus.problems))
    output = Path(config.output)
    with staging(output) as stage:
        _fill(stage, corpus.files, config, report, progress)
        if report.built:
            derive_concepts(stage.store)
            report.nodes = _count_nodes(stage.store)
            for name in BUILD_EXPORTS:
                filename = _export_file(name)
                export(stage.store, name, stage.export_path(filename))
                report.exports.append(str(output / filename))
            stage.commit()
            report.committed = True
    report.seconds = time.perf_counter() - started
    return report


def derive_concepts(store: ox.Store) -> None:
    """Run the concept-layer rules over freshly loaded pages (a no-op until kg.link exists)."""
    try:
        from .link import derive
    except ImportError:
        return
    derive(store)


def _export_file(name: str) -> str:
    from .export import exporter

    return exporter(name).filename


__all__ = ["build", "build_page", "BuildReport", "KgError"]
