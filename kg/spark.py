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
from .spark_inputs import (
    WARC_RUN_BYTES,
    is_url,
)
from .spark_jobs import _count_nodes, _run, _shuffle_bytes, _units
from .spark_tasks import PART_COMPRESSION, with_facts
from .store import bulk_load_stream, release_memory, staging

DEFAULT_MASTER = "local[*]"
PARTS_DIR = "parts"
LAYER_FILE = "layer.nq.gz"


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

    # Streamed: at 100,000 pages the layer is millions of quads, a buffer of gigabytes.
    with gzip.open(path, "wb", compresslevel=PART_COMPRESSION) as out:
        for graph in (PROVENANCE_GRAPH, CONCEPTS_GRAPH, STATISTICS_GRAPH):
            for quad in store.quads_for_pattern(None, None, None, ox.NamedNode(graph)):
                if quad.subject != BUILD_NODE:  # the build folder's own records, not the graph's
                    out.write(f"{quad} .\n".encode())


def spark_build(
    sources: list[str] | None = None,
    config: BuildConfig | None = None,
    *,
    master: str = DEFAULT_MASTER,
    store: bool = True,
    announce=None,
    jobs: int | None = None,
    figures: dict | None = None,
    warc_run_bytes: int = WARC_RUN_BYTES,
) -> BuildReport:
    """Build the corpus with Spark converting the pages; the same build folder as `build.build`
    (always a full build), or with `store=False` the part files and the layer only.

    `figures`, if given, receives what the benchmark reports: tasks, the bytes of page facts
    collected to the driver, the part files' bytes (gzip and N-Quads) and each stage's seconds.
    """
    figures = {} if figures is None else figures
    from .build import PROGRESS_FROM_FILES
    from .facts import PageRules, corpus_rules_of
    from .factstore import FactStore, write_store_token
    from .folder import claim
    from .incremental import fingerprint, write_fingerprint
    from .layer import derive_layer
    from .load import _fill
    from .publish import write_exports
    from .rules import load_rules, rules_digest
    from .sources import Corpus, find_sources

    config = config or BuildConfig()
    started = time.perf_counter()
    urls = [source for source in sources or [] if is_url(source)]
    paths = [source for source in sources or [] if not is_url(source)]
    corpus = find_sources(paths or None) if paths or not urls else Corpus()  # none at all: the example
    output = claim(config.output)  # before reading or writing anything there
    rules = load_rules()
    page_rules = PageRules.from_rules(rules)
    session, own = _session(master)
    report = BuildReport()
    try:
        units = _units(session, corpus, config, urls, warc_run_bytes)
        figures["units"] = len(units)
        report = BuildReport(
            source_errors=list(corpus.problems), source_warnings=list(corpus.notes), skipped_files=list(corpus.ignored)
        )
        report.had_previous = (output / "store").is_dir()
        if len(units) < PROGRESS_FROM_FILES:
            announce = None
        with staging(output) as stage:
            # The facts store of a --no-store build stays in the staging folder and goes with
            # it; the page facts stay in the parts folder, as Parquet.
            facts = FactStore.open(output if store else stage.folder)
            try:
                facts.clear()
                parts = stage.folder / PARTS_DIR
                parts.mkdir()
                clock = time.perf_counter()
                found, converted = _run(
                    session, units, config, page_rules, parts, announce, figures, not store, warc_run_bytes
                )
                if "remote_warc_runs" in figures:
                    figures["remote_warc_runs"] = figures["remote_warc_runs"].value
                figures["convert_seconds"] = time.perf_counter() - clock
                figures["collected_bytes"] = len(pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL))
                figures["facts_parquet_bytes"] = sum(path.stat().st_size for path in parts.glob("facts-*.parquet"))
                found.sort(key=lambda item: item[0])
                clock = time.perf_counter()
                # The local build's own loading step, given each file's result without its graph
                # and with its facts read back from Parquet: it counts, settles repeated page
                # URLs, writes the provenance graph and keeps the facts for the corpus pass.
                _fill(stage, with_facts(found, parts), len(found), report, {}, None, facts)
                del found
                figures["facts_seconds"] = time.perf_counter() - clock
                files = sorted(parts.glob("part-*.nq.gz"))
                figures["part_bytes"] = sum(path.stat().st_size for path in files)
                clock = time.perf_counter()
                if store:  # --no-store: the corpus pass needs only the facts; the parts stay parts
                    if announce:
                        announce(f"loading {len(files)} part files")
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
                    tail = time.perf_counter()
                    _write_layer(stage.store, stage.folder / LAYER_FILE)
                    figures["layer_file_seconds"] = time.perf_counter() - tail
                    tail = time.perf_counter()
                    report.nodes = _count_nodes(session, converted, stage.store)
                    figures["count_nodes_seconds"] = time.perf_counter() - tail
                    figures["shuffle_bytes"] = _shuffle_bytes(session.sparkContext)
                    converted.unpersist()
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
        figures.setdefault("shuffle_bytes", _shuffle_bytes(session.sparkContext))
        if own:
            session.stop()
        report.seconds = time.perf_counter() - started
    return report
