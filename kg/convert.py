"""A file into its pages: quads, facts and provenance (the pure core); worker processes for large corpora."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox

from .config import BuildConfig
from .contexts import ContextLoader
from .errors import BuildError, PageError
from .expand import dropped_iri_warning, lint, to_quads
from .facts import PageRules, page_facts
from .fastpath import fast_quads
from .iris import iri_terms_of, repair_iris
from .jsontext import parse_block
from .publish import page_piece
from .readers import STREAMED, Page, Skipped, SourceFile, compressed, digest, reader_for
from .readers.files import limit_bytes, open_regular, read_limited, stream_sha256
from .reconcile import Rules, reconcile
from .report import PageOutcome
from .store import ProvenanceRecord
from .workers import ordered_map

# Below this many files, starting worker processes costs more than it saves.
PARALLEL_FROM_FILES = 200


# Files per task sent to a worker process (see workers.ordered_map for how many are ahead).
FILES_PER_TASK = 16


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
        facts = page_facts(outcome.url, nquads, self.page_rules) if self.page_rules is not None else b""
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
