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
import hashlib
import os
import pickle
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path

import pyoxigraph as ox

from .config import BuildConfig
from .errors import BuildError
from .report import BuildReport
from .spark_inputs import (
    WARC_RUN_BYTES,
    Unit,
    hadoop_glob_escape,
    is_url,
    is_warc,
    list_urls,
    units_of,
    warc_runs,
    warc_runs_in,
)
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
# A result's key is its unit's place in the corpus times this, plus its run of WARC records.
RUN_SLOTS = 1 << 20
# Page facts a task holds before writing them to its Parquet file as a row group.
FACTS_ROW_GROUP = 2_000


def _facts_schema():
    import pyarrow as pa

    # unit: the unit's place in the corpus; page: the page's place in the unit; facts: N-Quads.
    return pa.schema([("unit", pa.int64()), ("page", pa.int32()), ("facts", pa.large_binary())])


def _convert_partition(index: int, items, config: BuildConfig, parts: str, page_rules, written=None, subjects=False):
    """One Spark task: convert its units (order, Unit, the bytes Spark read or None), write
    their page graphs to one gzip N-Quads part and their page facts to one Parquet file, and
    yield ("r", (order, task, FileResult without graphs or facts)) for each unit; with
    `subjects`, also ("s", hash) for each subject of the page graphs (a node count without a store)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from .build import PageConverter

    converter = PageConverter(config, page_rules)
    schema = _facts_schema()
    folder = Path(parts)
    seen: set[int] = set()
    rows: dict[str, list] = {"unit": [], "page": [], "facts": []}
    with (
        gzip.open(folder / f"part-{index:05d}.nq.gz", "wb", compresslevel=PART_COMPRESSION) as part,
        pq.ParquetWriter(folder / f"facts-{index:05d}.parquet", schema, compression="zstd") as facts,
    ):
        for order, unit, data in items:
            run = unit.read_run() if data is None else None
            result = converter.convert_file(unit.source, data if data is not None else run, unit.sha256)
            for position, page in enumerate(result.pages):
                part.write(page.graph)
                if written is not None:
                    written.add(len(page.graph))
                if subjects:
                    seen.update(_subject_hash(line) for line in page.graph.splitlines())
                if page.facts:
                    rows["unit"].append(order)
                    rows["page"].append(position)
                    rows["facts"].append(page.facts)
                page.graph = page.facts = b""
            if len(rows["facts"]) >= FACTS_ROW_GROUP:
                facts.write_table(pa.table(rows, schema=schema))
                rows = {key: [] for key in rows}
            yield "r", (order, index, result)
        facts.write_table(pa.table(rows, schema=schema))
    for value in seen:
        yield "s", value


def _subject_hash(line: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(line.split(b" ", 1)[0], digest_size=8).digest(), "big")


def _facts_of(path: Path) -> dict[tuple[int, int], bytes]:
    import pyarrow.parquet as pq

    table = pq.read_table(path).to_pydict()
    return {(unit, page): facts for unit, page, facts in zip(table["unit"], table["page"], table["facts"], strict=True)}


def with_facts(found: list, parts: Path):
    """Each FileResult of `found` ((order, task, result), in corpus order) with its pages'
    facts read back from the tasks' Parquet files, one task's file held at a time (more only
    where Spark's file reader put one folder's files in several tasks)."""
    left: dict[int, int] = {}
    for _, task, _ in found:
        left[task] = left.get(task, 0) + 1
    held: dict[int, dict] = {}
    for order, task, result in found:
        if task not in held:
            held[task] = _facts_of(parts / f"facts-{task:05d}.parquet")
        facts = held[task]
        for position, page in enumerate(result.pages):
            page.facts = facts.pop((order, position), b"")
        left[task] -= 1
        if not left[task]:
            del held[task]
        yield result


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
    from .build import PROGRESS_FROM_FILES, _fill, derive_layer, write_exports
    from .facts import PageRules, corpus_rules_of
    from .factstore import FactStore, write_store_token
    from .folder import claim
    from .incremental import fingerprint, write_fingerprint
    from .link import load_rules, rules_digest
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


def _units(session, corpus, config: BuildConfig, urls: list[str], run_bytes: int) -> list[Unit]:
    """The corpus as task units: local files (large WARC files cut into runs of records by a
    first Spark job), then the files under the URL sources."""
    big = [
        (position, source)
        for position, source in enumerate(corpus.files)
        if is_warc(source) and _size(source.path) > run_bytes
    ]
    indexed = {}
    if big:
        context = session.sparkContext
        indexed = dict(
            context.parallelize(big, min(len(big), context.defaultParallelism * 4))
            .map(lambda item: (item[0], warc_runs(item[1], config, run_bytes)))
            .filter(lambda item: item[1] is not None)
            .collect()
        )
    units = units_of(corpus.files, indexed)
    if urls:
        units += list_urls(session, urls, corpus)
    return units


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _count_nodes(session, converted, store: ox.Store) -> int:
    """The build's node count without a store: the distinct subjects of the page graphs (hashes
    the tasks gave, counted by a Spark distinct) and of the layer."""
    from .namespaces import CONCEPTS_GRAPH, STATISTICS_GRAPH

    layer = {
        _subject_hash(str(quad.subject).encode())
        for graph in (CONCEPTS_GRAPH, STATISTICS_GRAPH)
        for quad in store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
    }
    context = session.sparkContext
    pages = converted.filter(lambda item: item[0] == "s").map(lambda item: item[1]) if converted else None
    everything = context.parallelize(sorted(layer), 1)
    if pages is not None:
        everything = pages.union(everything)
    return everything.distinct().count()


def _run(
    session,
    units: list,
    config: BuildConfig,
    page_rules,
    parts: Path,
    announce,
    figures: dict,
    subjects: bool,
    run_bytes: int,
):
    """The map: every unit converted in Spark tasks; returns the collected (key, task,
    FileResult) items, key = unit * RUN_SLOTS + run, and the RDD (persisted when it also holds
    the subject hashes)."""
    if not units:
        return [], None
    context = session.sparkContext
    local = [(order * RUN_SLOTS, unit, None) for order, unit in enumerate(units) if unit.location is None]
    remote = [(order, unit) for order, unit in enumerate(units) if unit.location is not None]
    pieces = []
    if local:
        count = _partitions(len(local), context.defaultParallelism)
        pieces.append(context.parallelize(local, count))
    if remote:
        pieces.append(_read_remote(context, remote, config, run_bytes, figures))
    tasks = pieces[0] if len(pieces) == 1 else context.union(pieces)
    figures["tasks"] = tasks.getNumPartitions()
    if announce:
        announce(f"converting {len(units)} files or runs of records in {figures['tasks']} Spark tasks")
    target = str(parts)
    written = context.accumulator(0)  # the parts' N-Quads bytes, for the benchmark
    converted = tasks.mapPartitionsWithIndex(
        lambda index, chunk: _convert_partition(index, chunk, config, target, page_rules, written, subjects)
    )
    if subjects:
        converted = converted.persist()
    try:
        found = converted.filter(lambda item: item[0] == "r").map(lambda item: item[1]).collect()
    except Exception as exc:  # a task that failed four times: Py4JJavaError carries the worker's trace
        last = [line for line in str(exc).splitlines() if line.strip()][-1:]
        raise BuildError(f"a Spark task converting pages failed; nothing was committed ({' '.join(last)})") from None
    figures["nquads_bytes"] = written.value
    # A file whose input pattern also matched another corpus file (see hadoop_glob_escape)
    # came twice: keep one result a unit (its graph twice in the parts is one set of quads).
    once: dict[int, tuple] = {}
    for item in found:
        once.setdefault(item[0], item)
    found = list(once.values())
    missing = set(range(len(units))) - {key // RUN_SLOTS for key, _, _ in found}
    if missing:  # Hadoop's input format passes over names starting with _ or .; say so, never drop silently
        names = ", ".join(units[order].source.name for order in sorted(missing)[:5])
        raise BuildError(f"Spark read no bytes of {len(missing)} source files ({names}); nothing was committed")
    return found, converted if subjects else None


def _read_remote(context, remote: list, config: BuildConfig, run_bytes: int, figures: dict):
    """The URL sources' bytes through Spark's Hadoop file systems (binaryFiles), each tagged
    with its key and unit; one binaryFiles input per FILES_PER_PARTITION files, so a task's
    files lie close together in corpus order. A WARC file over `run_bytes` is cut into runs
    of records where it is read, and the runs are spread over tasks by a sort on their keys
    (a shuffle of the archives' bytes)."""
    lookup = context.broadcast({unit.location: order for order, unit in remote})
    by_order = context.broadcast(dict(remote))
    inputs = []
    for start in range(0, len(remote), FILES_PER_PARTITION):
        group = remote[start : start + FILES_PER_PARTITION]
        paths = ",".join(hadoop_glob_escape(unit.location) for _, unit in group)
        inputs.append(context.binaryFiles(paths, minPartitions=1))
    files = inputs[0] if len(inputs) == 1 else context.union(inputs)
    # Large archives, with how many runs each can have at most.
    big = {
        order: unit.size // run_bytes + 1 for order, unit in remote if is_warc(unit.source) and unit.size > run_bytes
    }
    runs = context.accumulator(0)

    def cut(item):
        order = lookup.value[item[0]]
        unit, data = by_order.value[order], item[1]
        found = warc_runs_in(data, config, run_bytes) if is_warc(unit.source) and len(data) > run_bytes else None
        if found is None:
            yield order * RUN_SLOTS, unit, data
            return
        sha, starts = found
        runs.add(len(starts))
        for index, (begin, end) in enumerate(zip(starts, [*starts[1:], len(data)], strict=True)):
            yield order * RUN_SLOTS + index, replace(unit, start=begin, end=end, sha256=sha), data[begin:end]

    tagged = files.filter(lambda item: item[0] in lookup.value).flatMap(cut)
    figures["remote_warc_runs"] = runs
    if not big:
        return tagged
    # Each large archive gets a task per run it can have (its size over the run size), the
    # other files FILES_PER_PARTITION to a task, in corpus order: every task holds a stretch
    # of corpus order, as the driver reads the facts back.
    first: dict[int, int] = {}
    tasks, small = 0, 0
    for order, _ in remote:
        if order in big:
            first[order], tasks, small = tasks, tasks + big[order], 0
            continue
        if small == 0:
            tasks += 1
        first[order] = tasks - 1
        small = (small + 1) % FILES_PER_PARTITION
    place = context.broadcast((first, big))

    def task_of(key: int) -> int:
        starts, slots = place.value
        order, index = divmod(key, RUN_SLOTS)
        return starts[order] + min(index, slots.get(order, 1) - 1)

    return tagged.map(lambda item: (item[0], item)).partitionBy(tasks, task_of).values()


def _shuffle_bytes(context) -> int:
    """Bytes written to shuffle by this application's stages so far (Spark's status store)."""
    try:
        status, gateway = context._jsc.sc().statusStore(), context._gateway
        try:  # Spark 4: (statuses, details, summaries, quantiles, task statuses)
            stages = status.stageList(None, False, False, gateway.new_array(gateway.jvm.double, 0), None)
        except Exception:  # noqa: BLE001 (Spark 3.5: stageList(statuses))
            stages = status.stageList(None)
        return sum(stages.apply(i).shuffleWriteBytes() for i in range(stages.size()))
    except Exception:  # noqa: BLE001 (an internal API: a figure for the benchmark, never a failure)
        return -1
