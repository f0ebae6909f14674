"""`kg build --engine spark`: the page conversion on Apache Spark, the corpus pass on the driver.

The map: each Spark task converts its share of the corpus files with the local build's own
code (build.PageConverter, imported on the executors) and writes one gzip N-Quads part
file of page graphs and their provenance records; it hands back only the pages' outcomes
(label, URL, counts, messages) and where each page lies in its part. The line: those
outcomes are collected to the driver (about 200 bytes a page), which decides, in corpus
order as a local build does, which copy of a repeated page URL is kept, and cuts the
others out of their parts. Everything after that is the local build's: the parts are
bulk-loaded into a staging store, the rules derive the concept layer, the exports are
written and the store swapped in. With `store=False` the build folder gets the part
files and the layer (concepts and statistics as N-Quads) instead, for a store elsewhere.
"""

from __future__ import annotations

import gzip
import io
import os
import pickle
import shutil
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from .config import BuildConfig
from .errors import BuildError
from .report import BuildReport, PageOutcome
from .store import LOAD_BATCH_BYTES, release_memory, staging

DEFAULT_MASTER = "local[*]"
PARTS_DIR = "parts"
LAYER_FILE = "layer.nq.gz"
# Files per Spark task: enough that a task's start-up (a converter, a part file) is small
# beside its work, few enough that a task retried after a lost executor redoes little.
FILES_PER_PARTITION = 500
# gzip level of the part files: level 1 writes several times faster than the default 6 and
# the parts are read once.
PART_COMPRESSION = 1


@dataclass
class PageFact:
    """What the driver learns of one page: its outcome, and its bytes in the part file."""

    outcome: PageOutcome
    span: tuple[int, int] | None  # start, end in the part's uncompressed N-Quads; None: nothing written


@dataclass
class FileFacts:
    order: int  # the file's position in the corpus
    part: str  # the part file its pages are in
    pages: list[PageFact]
    skipped: Counter


def _convert_partition(index: int, files, config: BuildConfig, parts: str):
    """One Spark task: convert its files, write their pages to one part file, return the facts."""
    from .build import PageConverter, _provenance_nquads

    converter = PageConverter(config)
    name = f"part-{index:05d}.nq.gz"
    facts: list[FileFacts] = []
    position = 0
    with gzip.open(Path(parts) / name, "wb", compresslevel=PART_COMPRESSION) as part:
        for order, source in files:
            result = converter.convert_file(source)
            pages = []
            for page in result.pages:
                span = None
                if page.provenance is not None:
                    data = page.graph + _provenance_nquads(page.provenance)
                    part.write(data)
                    span = (position, position + len(data))
                    position += len(data)
                pages.append(PageFact(page.outcome, span))
            facts.append(FileFacts(order, name, pages, result.skipped))
    return facts


def _partitions(files: int, parallelism: int) -> int:
    return max(1, min(files, max(parallelism, -(-files // FILES_PER_PARTITION))))


def start_session(master: str = DEFAULT_MASTER):
    """A SparkSession on `master` as kg starts one: executors run this Python (and so find
    this kg) unless PYSPARK_PYTHON says otherwise; no web UI; only errors logged."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise BuildError("--engine spark needs pyspark: pip install 'kg[spark]' (and a Java runtime)") from None
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    try:
        session = (
            SparkSession.builder.master(master)
            .appName("kg build")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .getOrCreate()
        )
    except Exception as exc:  # the JVM's start-up failures come as several kinds
        raise BuildError(f"cannot start Spark on {master!r}: {str(exc).splitlines()[0]}") from None
    session.sparkContext.setLogLevel("ERROR")
    return session


def _session(master: str):
    """The active SparkSession (a caller's, kept running), or a new one the build stops when it ends."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise BuildError("--engine spark needs pyspark: pip install 'kg[spark]' (and a Java runtime)") from None
    active = SparkSession.getActiveSession()
    if active is not None:
        return active, False
    return start_session(master), True


def _decide(facts: list[FileFacts], report: BuildReport) -> dict[str, list[tuple[int, int]]]:
    """The local build's rule for repeated page URLs (build._fill), on the facts in corpus
    order: the first copy is kept, the others are reported and cut. Returns the spans to cut
    out of each part."""
    owners: dict[str, str] = {}
    cut: dict[str, list[tuple[int, int]]] = {}
    for file_facts in sorted(facts, key=lambda found: found.order):
        for reason, count in file_facts.skipped.items():
            report.skipped[reason] = report.skipped.get(reason, 0) + count
        for page in file_facts.pages:
            outcome = page.outcome
            report.pages.append(outcome)
            if page.span is None:
                continue
            if outcome.url in owners:
                outcome.warnings.append(f"same page URL as {owners[outcome.url]}, which was kept; this copy is skipped")
                outcome.triples = 0
                cut.setdefault(file_facts.part, []).append(page.span)
                continue
            owners[outcome.url] = outcome.label
            report.triples += outcome.triples
    return cut


def _cut(part: Path, spans: list[tuple[int, int]]) -> None:
    data = gzip.decompress(part.read_bytes())
    kept, at = [], 0
    for start, end in sorted(spans):
        kept.append(data[at:start])
        at = end
    kept.append(data[at:])
    part.write_bytes(gzip.compress(b"".join(kept), compresslevel=PART_COMPRESSION))


def load_parts(store: ox.Store, parts: list[Path]) -> None:
    """Bulk-load gzip N-Quads files in pieces of about LOAD_BATCH_BYTES, cut at line ends."""
    for path in parts:
        with gzip.open(path, "rb") as stream:
            rest = b""
            while block := stream.read(LOAD_BATCH_BYTES):
                block = rest + block
                cut = block.rfind(b"\n") + 1
                rest = block[cut:]
                if cut:
                    store.bulk_load(block[:cut], format=ox.RdfFormat.N_QUADS)
            if rest:
                store.bulk_load(rest, format=ox.RdfFormat.N_QUADS)


def _write_layer(store: ox.Store, path: Path) -> None:
    from .namespaces import CONCEPTS_GRAPH, STATISTICS_GRAPH

    buffer = io.BytesIO()
    for graph in (CONCEPTS_GRAPH, STATISTICS_GRAPH):
        for quad in store.quads_for_pattern(None, None, None, ox.NamedNode(graph)):
            buffer.write(f"{quad} .\n".encode())
    path.write_bytes(gzip.compress(buffer.getvalue(), compresslevel=PART_COMPRESSION))


def spark_build(
    sources: list[str] | None = None,
    config: BuildConfig | None = None,
    *,
    master: str = DEFAULT_MASTER,
    store: bool = True,
    announce=None,
    jobs: int | None = None,
    figures: dict | None = None,
) -> BuildReport:
    """Build the corpus with Spark converting the pages; the same build folder as `build.build`
    (always a full build), or with `store=False` the part files and the layer only.

    `figures`, if given, receives what the benchmark reports: tasks, the bytes of page facts
    collected to the driver, the part files' bytes (gzip and N-Quads) and each stage's seconds.
    """
    figures = {} if figures is None else figures
    from .build import PROGRESS_FROM_FILES, count_nodes, write_exports
    from .incremental import fingerprint, write_fingerprint, write_pages_token
    from .link import clear_derived, load_rules, rules_digest, run_rules
    from .sources import find_sources

    config = config or BuildConfig()
    started = time.perf_counter()
    corpus = find_sources(sources)
    report = BuildReport(source_errors=list(corpus.problems), source_warnings=list(corpus.notes))
    output = Path(config.output)
    report.had_previous = (output / "store").is_dir()
    if len(corpus.files) < PROGRESS_FROM_FILES:
        announce = None
    rules = load_rules()
    session, own = _session(master)
    try:
        with staging(output) as stage:
            parts = stage.folder / PARTS_DIR
            parts.mkdir()
            clock = time.perf_counter()
            facts = _run(session, corpus.files, config, parts, announce, figures)
            figures["convert_seconds"] = time.perf_counter() - clock
            figures["facts_bytes"] = len(pickle.dumps(facts, protocol=pickle.HIGHEST_PROTOCOL))
            figures["nquads_bytes"] = sum(
                page.span[1] - page.span[0] for found in facts for page in found.pages if page.span
            )
            for part, spans in _decide(facts, report).items():
                _cut(parts / part, spans)
            files = sorted(parts.glob("part-*.nq.gz"))
            figures["part_bytes"] = sum(path.stat().st_size for path in files)
            if announce:
                announce(f"loading {len(files)} part files")
            clock = time.perf_counter()
            load_parts(stage.store, files)
            release_memory()
            figures["load_seconds"] = time.perf_counter() - clock
            clock = time.perf_counter()
            if not report.built:
                return report
            settings = fingerprint(config)
            write_fingerprint(stage.store, settings)
            clear_derived(stage.store)
            write_pages_token(stage.store, settings)
            if store:
                stage.snapshot_pages()
            run_rules(stage.store, rules, announce, jobs)
            if store:
                shutil.rmtree(parts)
                written, report.nodes = write_exports(stage, rules_digest(rules), announce, jobs)
                report.exports += [str(output / filename) for filename in written]
                stage.commit()
            else:
                _write_layer(stage.store, stage.folder / LAYER_FILE)
                report.nodes = count_nodes(stage.store)
                for name in (PARTS_DIR, LAYER_FILE):  # the last --no-store build's, if any, go
                    previous = output / name
                    if previous.is_dir():
                        shutil.rmtree(previous)
                    previous.unlink(missing_ok=True)
                    (stage.folder / name).rename(previous)
                report.exports += [str(output / PARTS_DIR), str(output / LAYER_FILE)]
            report.committed = True
            figures["corpus_pass_seconds"] = time.perf_counter() - clock
    finally:
        if own:
            session.stop()
        report.seconds = time.perf_counter() - started
    return report


def _run(session, files, config: BuildConfig, parts: Path, announce, figures: dict) -> list[FileFacts]:
    if not files:
        return []
    context = session.sparkContext
    count = figures["tasks"] = _partitions(len(files), context.defaultParallelism)
    if announce:
        announce(f"converting {len(files)} files in {count} Spark tasks")
    target = str(parts)
    tasks = context.parallelize(list(enumerate(files)), count)
    converted = tasks.mapPartitionsWithIndex(lambda index, chunk: _convert_partition(index, chunk, config, target))
    try:
        return converted.collect()
    except Exception as exc:  # a task that failed four times: Py4JJavaError carries the worker's trace
        last = [line for line in str(exc).splitlines() if line.strip()][-1:]
        raise BuildError(f"a Spark task converting pages failed; nothing was committed ({' '.join(last)})") from None
