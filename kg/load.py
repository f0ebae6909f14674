"""Load converted pages into the staging store and their facts into the facts store."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import pyoxigraph as ox

from .convert import FileResult
from .factstore import FactStore
from .namespaces import PROVENANCE_GRAPH
from .publish import set_piece
from .report import BuildReport, Progress
from .store import LOAD_BATCH_BYTES, ProvenanceRecord, StagingStore, merged_source_iri


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
