"""The Spark build beside the local build of the same corpus, in the same run: wall time, peak memory, data moved.

    python benchmarks/spark_benchmark.py /work/bench/corpus-10k --master 'local[2]' --work /tmp/kg-spark-bench
    nice -n 5 python benchmarks/spark_benchmark.py /work/bench/corpus-100k --spark-only --no-store

Each build runs in a child process whose process tree is sampled from /proc twice a second.
Local build: the peak of the whole tree (the build process and its workers). Spark build:
the driver's Python process, the JVM (in local mode the driver and the executor are one
JVM) and the executor's Python workers (their sum at each sample), each at its peak. The
Spark build reports the bytes collected to the driver (page outcomes), of the page facts
(Parquet) and of the part files, and the bytes its stages wrote to shuffle. With both builds
the two graph.ttl files are compared; `--spark-only` leaves the local build out (a figure
from another run goes beside it), `--no-store` builds the part files and the layer only.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path


def _processes() -> dict[int, tuple[int, str, int]]:
    """pid -> (parent pid, command name, resident bytes) of every process now."""
    found = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
            status = Path(entry.path, "status").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        parent = int(stat[stat.rindex(")") + 2 :].split()[1])
        rss = next((int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmRSS:")), 0)
        found[int(entry.name)] = (parent, name, rss)
    return found


class Sampler(threading.Thread):
    """Peak resident memory of a process tree, split into driver / JVM / workers for Spark."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root, self.stop = root, threading.Event()
        self.peaks = {"tree": 0, "driver python": 0, "jvm": 0, "executor python workers": 0}

    def run(self) -> None:
        while not self.stop.is_set():
            table = _processes()
            children: dict[int, list[int]] = {}
            for pid, (parent, _, _) in table.items():
                children.setdefault(parent, []).append(pid)
            tree, jvm, workers = 0, 0, 0
            stack, under_jvm = [(self.root, False)], set()
            while stack:
                pid, inside = stack.pop()
                if pid not in table:
                    continue
                _, name, rss = table[pid]
                tree += rss
                if name == "java":
                    jvm += rss
                    inside = True
                elif inside:
                    workers += rss
                    under_jvm.add(pid)
                stack += [(child, inside) for child in children.get(pid, [])]
            driver = table.get(self.root, (0, "", 0))[2]
            for key, value in (("tree", tree), ("driver python", driver), ("jvm", jvm)):
                self.peaks[key] = max(self.peaks[key], value)
            self.peaks["executor python workers"] = max(self.peaks["executor python workers"], workers)
            time.sleep(0.5)


def _measure(command: list[str]) -> tuple[float, dict, str]:
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = Sampler(child.pid)
    sampler.start()
    out, err = child.communicate()
    sampler.stop.set()
    sampler.join()
    if child.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed ({child.returncode}):\n{err[-3000:]}")
    return time.perf_counter() - started, sampler.peaks, out


def _child(engine: str, corpus: str, output: str, master: str, store: str = "store") -> None:
    from kg import BuildConfig, build

    if engine == "local":
        report = build([corpus], BuildConfig(output=Path(output)))
        figures: dict = {}
    else:
        from kg.spark import spark_build

        figures = {}
        report = spark_build(
            [corpus], BuildConfig(output=Path(output)), master=master, figures=figures, store=store == "store"
        )
    figures.update(pages=len(report.pages), built=report.built, triples=report.triples, seconds=report.seconds)
    figures.update(nodes=report.nodes, timings=report.timings, layer=report.layer)
    print(json.dumps(figures))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path, nargs="?")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--work", type=Path, default=Path("/tmp/kg-spark-bench"))
    parser.add_argument("--spark-only", action="store_true", help="leave the local build out")
    parser.add_argument("--no-store", action="store_true", help="the Spark build writes parts and layer only")
    parser.add_argument("--keep", action="store_true", help="keep the builds in --work (default: deleted)")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(*args.child)
        return 0
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    load = os.getloadavg()[0]
    rows = {}
    engines = ("spark",) if args.spark_only else ("local", "spark")
    store = "no-store" if args.no_store else "store"
    for engine in engines:
        output = args.work / engine
        wall, peaks, out = _measure(
            [sys.executable, __file__, "--child", engine, str(args.corpus), str(output), args.master, store]
        )
        rows[engine] = (wall, peaks, json.loads(out.strip().splitlines()[-1]))
    same = None
    if len(engines) == 2 and not args.no_store:
        same = filecmp.cmp(args.work / "local" / "graph.ttl", args.work / "spark" / "graph.ttl", shallow=False)
    mb = 1024 * 1024
    spark_wall, spark_peaks, spark_figures = rows["spark"]
    local_wall, local_peaks, local_figures = rows.get("local", (None, {}, {}))
    pages = spark_figures["pages"]

    def local(value, spec):
        return f"{value:{spec}}" if value is not None else f"{'':14}"

    print(
        f"corpus {args.corpus}: {pages} pages; load average {load:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end; {os.cpu_count()} cores; spark build "
        + ("--no-store" if args.no_store else "with its store")
    )
    print(f"{'':38} {'local build':>14} {'spark ' + args.master:>18}")
    print(f"{'wall time (s)':38} {local(local_wall, '14.1f')} {spark_wall:18.1f}")
    tree = local_peaks.get("tree")
    tree = tree and tree / mb
    print(f"{'peak RSS, whole process tree (MB)':38} {local(tree, '14.0f')} {spark_peaks['tree'] / mb:18.0f}")
    print(f"{'peak RSS, driver python (MB)':38} {'':14} {spark_peaks['driver python'] / mb:18.0f}")
    print(f"{'peak RSS, JVM driver+executor (MB)':38} {'':14} {spark_peaks['jvm'] / mb:18.0f}")
    print(f"{'peak RSS, executor python workers (MB)':38} {'':14} {spark_peaks['executor python workers'] / mb:18.0f}")
    figures = (
        ("shuffle written (bytes)", "shuffle_bytes"),
        ("collected to driver: outcomes (bytes)", "collected_bytes"),
        ("page facts, Parquet (bytes)", "facts_parquet_bytes"),
        ("part files, gzip (bytes)", "part_bytes"),
        ("part files, N-Quads (bytes)", "nquads_bytes"),
    )
    for label, key in figures:
        print(f"{label:38} {'':14} {spark_figures[key]:18d}")
    for stage in ("convert_seconds", "facts_seconds", "load_seconds", "corpus_pass_seconds"):
        print(f"{'spark ' + stage.replace('_', ' '):38} {'':14} {spark_figures[stage]:18.1f}")
    for stage, seconds in spark_figures["timings"].items():
        print(f"{'  ' + stage:38} {'':14} {seconds:18.1f}")
    for stage in ("layer_file_seconds", "count_nodes_seconds"):
        if stage in spark_figures:
            print(f"{'  ' + stage.replace('_', ' '):38} {'':14} {spark_figures[stage]:18.1f}")
    print(f"{'tasks':38} {'':14} {spark_figures['tasks']:18d}")
    print(
        f"page triples: {local_figures.get('triples')} local, {spark_figures['triples']} spark; nodes "
        f"{local_figures.get('nodes')} local, {spark_figures['nodes']} spark; graph.ttl identical: {same}"
    )
    print(f"layer: {json.dumps(spark_figures['layer'])}")
    per_page = {
        "collected bytes/page": spark_figures["collected_bytes"] / pages,
        "facts Parquet bytes/page": spark_figures["facts_parquet_bytes"] / pages,
        "shuffle bytes/page": max(spark_figures["shuffle_bytes"], 0) / pages,
        "part gzip bytes/page": spark_figures["part_bytes"] / pages,
        "N-Quads bytes/page": spark_figures["nquads_bytes"] / pages,
        "page triples/page": spark_figures["triples"] / pages,
        "convert s/page (2 cores)": spark_figures["convert_seconds"] / pages,
    }
    print("per page: " + ", ".join(f"{name} {value:.4g}" for name, value in per_page.items()))
    if not args.keep:
        shutil.rmtree(args.work, ignore_errors=True)
    return 0 if same in (True, None) else 1


if __name__ == "__main__":
    sys.exit(main())
