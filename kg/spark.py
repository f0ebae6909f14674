"""`kg build --engine spark`: the page conversion on Apache Spark, the corpus pass on the driver.

The map: each Spark task converts its share of the corpus files with the local build's own
code (build.PageConverter, imported on the executors) and writes the page graphs to one
gzip N-Quads part file; it hands back each file's result without the graphs (outcomes,
provenance records, skipped records: a few hundred bytes a page). The line: those are
collected to the driver, which passes them in corpus order through the local build's own
loading step (build._fill: the summary's counts, pages that repeat a URL, the provenance
graph), bulk-loads the parts, and does everything after as a local build does: the rules
derive the concept layer, the exports are written and the store swapped in. With
`store=False` the build folder gets the part files and the rest of the graph (provenance,
concepts, statistics) as N-Quads instead, for a store elsewhere.
"""

from __future__ import annotations

import gzip
import io
import os
import pickle
import shutil
import sys
import time
from pathlib import Path

import pyoxigraph as ox

from .config import BuildConfig
from .errors import BuildError
from .report import BuildReport
from .store import bulk_load_stream, release_memory, staging

DEFAULT_MASTER = "local[*]"
PARTS_DIR = "parts"
LAYER_FILE = "layer.nq.gz"
# Files per Spark task: enough that a task's start-up (a converter, a part file) is small
# beside its work, few enough that a task retried after a lost executor redoes little.
FILES_PER_PARTITION = 500
# gzip level of the part files: level 1 writes several times faster than the default 6 and
# the parts are read once.
PART_COMPRESSION = 1


def _convert_partition(index: int, files, config: BuildConfig, parts: str, written=None, page_rules=None):
    """One Spark task: convert its files and derive their page facts, write their page graphs
    to one part file, and return (corpus position, FileResult without the graphs) for each file."""
    from .build import PageConverter

    converter = PageConverter(config, page_rules)
    found = []
    with gzip.open(Path(parts) / f"part-{index:05d}.nq.gz", "wb", compresslevel=PART_COMPRESSION) as part:
        for order, source in files:
            result = converter.convert_file(source)
            for page in result.pages:
                part.write(page.graph)
                if written is not None:
                    written.add(len(page.graph))
                page.graph = b""
            found.append((order, result))
    return found


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


def load_parts(store: ox.Store, parts: list[Path]) -> None:
    """Bulk-load gzip N-Quads files in pieces of about LOAD_BATCH_BYTES, cut at line ends."""
    for path in parts:
        with gzip.open(path, "rb") as stream:
            bulk_load_stream(store, stream, format=ox.RdfFormat.N_QUADS)


def _write_layer(store: ox.Store, path: Path) -> None:
    """What the driver made, beside the parts: provenance, the concept layer, the statistics."""
    from .incremental import BUILD_NODE
    from .namespaces import CONCEPTS_GRAPH, PROVENANCE_GRAPH, STATISTICS_GRAPH

    buffer = io.BytesIO()
    for graph in (PROVENANCE_GRAPH, CONCEPTS_GRAPH, STATISTICS_GRAPH):
        for quad in store.quads_for_pattern(None, None, None, ox.NamedNode(graph)):
            if quad.subject != BUILD_NODE:  # the build folder's own records, not the graph's
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
    from .build import PROGRESS_FROM_FILES, _fill, count_nodes, derive_layer, write_exports
    from .facts import PageRules, corpus_rules_of
    from .factstore import FactStore, write_store_token
    from .folder import claim
    from .incremental import fingerprint, write_fingerprint
    from .link import load_rules, rules_digest
    from .sources import find_sources

    config = config or BuildConfig()
    started = time.perf_counter()
    corpus = find_sources(sources)
    report = BuildReport(
        source_errors=list(corpus.problems), source_warnings=list(corpus.notes), skipped_files=list(corpus.ignored)
    )
    output = claim(config.output)  # before reading or writing anything there
    report.had_previous = (output / "store").is_dir()
    if len(corpus.files) < PROGRESS_FROM_FILES:
        announce = None
    rules = load_rules()
    page_rules = PageRules.from_rules(rules)
    session, own = _session(master)
    try:
        with staging(output) as stage:
            # The facts of a --no-store build stay in the staging folder and go with it.
            facts = FactStore.open(output if store else stage.folder)
            try:
                facts.clear()
                parts = stage.folder / PARTS_DIR
                parts.mkdir()
                clock = time.perf_counter()
                found = _run(session, corpus.files, config, page_rules, parts, announce, figures)
                figures["convert_seconds"] = time.perf_counter() - clock
                figures["facts_bytes"] = len(pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL))
                found.sort(key=lambda item: item[0])
                # The local build's own loading step, given each file's result without its graph:
                # it counts, settles repeated page URLs, writes the provenance graph and keeps the facts.
                _fill(stage, [result for _, result in found], len(found), report, {}, None, facts)
                del found
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
                    facts.rollback()
                    return report
                write_fingerprint(stage.store, fingerprint(config))
                facts.put("page rules", page_rules.digest)
                layer = derive_layer(
                    stage.store,
                    facts,
                    corpus_rules_of(rules),
                    full=True,
                    announce=announce,
                    jobs=jobs,
                    timings=report.timings,
                    workdir=stage.folder,
                )
                report.layer = layer.counts()
                write_store_token(stage.store, facts.seal())
                if store:
                    shutil.rmtree(parts)
                    written, report.nodes = write_exports(stage, rules_digest(rules), announce, jobs, facts)
                    report.exports += [str(output / filename) for filename in written]
                    stage.commit()
                    facts.commit()
                else:
                    facts.rollback()
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
            except BaseException:
                facts.rollback()
                raise
    finally:
        if own:
            session.stop()
        report.seconds = time.perf_counter() - started
    return report


def _run(session, files, config: BuildConfig, page_rules, parts: Path, announce, figures: dict) -> list:
    if not files:
        return []
    context = session.sparkContext
    count = figures["tasks"] = _partitions(len(files), context.defaultParallelism)
    if announce:
        announce(f"converting {len(files)} files in {count} Spark tasks")
    target = str(parts)
    tasks = context.parallelize(list(enumerate(files)), count)
    written = context.accumulator(0)  # the parts' N-Quads bytes, for the benchmark
    converted = tasks.mapPartitionsWithIndex(
        lambda index, chunk: _convert_partition(index, chunk, config, target, written, page_rules)
    )
    try:
        found = converted.collect()
        figures["nquads_bytes"] = written.value
        return found
    except Exception as exc:  # a task that failed four times: Py4JJavaError carries the worker's trace
        last = [line for line in str(exc).splitlines() if line.strip()][-1:]
        raise BuildError(f"a Spark task converting pages failed; nothing was committed ({' '.join(last)})") from None
