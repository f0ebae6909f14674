"""The Spark jobs of a build: the corpus cut into task units, the conversion job, remote reads, the node count."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pyoxigraph as ox

from .config import BuildConfig
from .errors import BuildError
from .spark_inputs import Unit, hadoop_glob_escape, is_warc, list_urls, units_of, warc_runs, warc_runs_in
from .spark_tasks import _convert_partition, _subject_hash

# Files per Spark task: enough that a task's start-up (a converter, a part file) is small
# beside its work, few enough that a task retried after a lost executor redoes little.
FILES_PER_PARTITION = 500


# A result's key is its unit's place in the corpus times this, plus its run of WARC records.
RUN_SLOTS = 1 << 20


def _partitions(files: int, parallelism: int) -> int:
    return max(1, min(files, max(parallelism, -(-files // FILES_PER_PARTITION))))


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
