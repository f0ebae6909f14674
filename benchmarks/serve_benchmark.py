"""`kg serve` on a real build: start-up, concept page and search latency, and a bounded load (not a test).

    .venv/bin/python benchmarks/serve_benchmark.py /work/bench/build-10k
    .venv/bin/python benchmarks/serve_benchmark.py /work/bench/build-100k --load 150 --clients 50
    .venv/bin/python benchmarks/serve_benchmark.py /tmp/synthetic-450k --synthetic 450000

The build folder is not written: the server runs on a hard-link copy of it (cp -al; the
store's files are never written in place, and the server's snapshots are made beside them
in the copy). Figures, each beside the baseline measured in the same run:

- start: from launching `kg serve` until a concept page answers, and until search answers
  (the concept index loaded); floor: a Python process that imports kg and opens the store;
- concept page, its neighbourhood drawing, search: median and 95th percentile over
  sampled concepts; baseline: the same concept's statements through /sparql (a child
  process per query), and the library's `search` query through /queries (a scan);
- --load SECONDS: CLIENTS threads, each with its own keep-alive connection, asking in turn
  for a concept page, a search, a SPARQL query and the home page; every status counted,
  latencies, and the server's memory (with its query processes) each 5 s: the figure to
  watch is the growth after the first minute.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from serve_helpers import fetch, free_port  # noqa: E402

SPARQL_MIX = "SELECT ?c ?label WHERE { GRAPH kgg:concepts { ?c kg:kind 'area' ; skos:prefLabel ?label } } LIMIT 20"


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB (from /proc)."""
    total = 0
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):  # children started from any thread
        try:
            pids += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    for one in pids:
        try:
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"median {statistics.median(ordered) * 1000:7.1f} ms, p95 {p95 * 1000:7.1f} ms (n={len(ordered)})"


def timed(url: str, accept: str) -> tuple[float, int, bytes]:
    started = time.perf_counter()
    status, _, body = fetch(url, accept=accept)
    return time.perf_counter() - started, status, body


def wait_for(url: str, accept: str, started: float, process) -> float:
    while True:
        if process.poll() is not None:
            raise SystemExit(f"kg serve exited with {process.returncode}")
        try:
            status, _, _ = fetch(url, accept=accept)
            if status == 200:
                return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.02)


def sample_concepts(store_folder: Path, count: int, seed: int = 0) -> list[str]:
    """`count` concepts, a quarter of each kind (areas, definitions, terms, facets), without reading all."""
    import pyoxigraph as ox

    from kg.namespaces import CONCEPTS_GRAPH, KG

    store = ox.Store.read_only(str(store_folder))
    rng, chosen = random.Random(seed), []
    predicate, graph = ox.NamedNode(str(KG.kind)), ox.NamedNode(CONCEPTS_GRAPH)
    for kind in ("area", "definition", "term", "facet"):
        found = store.quads_for_pattern(None, predicate, ox.Literal(kind), graph)
        iris = [q.subject.value for q in itertools.islice(found, 5000) if isinstance(q.subject, ox.NamedNode)]
        chosen += rng.sample(iris, min(len(iris), count // 4))
    rng.shuffle(chosen)
    return chosen


def load(base: str, pid: int, iris: list[str], words: list[str], seconds: float, clients: int) -> None:
    host, port = urllib.parse.urlsplit(base).hostname, urllib.parse.urlsplit(base).port
    statuses: dict[str, int] = {}
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    query = "/sparql?" + urllib.parse.urlencode({"query": SPARQL_MIX})

    def client(number: int) -> None:
        rng = random.Random(number)
        connection = http.client.HTTPConnection(host, port, timeout=120)
        turn = number
        while time.monotonic() < stop:
            turn += 1
            if turn % 4 == 0:
                path, accept = "/concept?" + urllib.parse.urlencode({"iri": rng.choice(iris)}), "text/html"
            elif turn % 4 == 1:
                word = rng.choice(words)
                path, accept = "/search?" + urllib.parse.urlencode({"q": word[: rng.randint(1, len(word))]}), "*/*"
            elif turn % 4 == 2:
                path, accept = query, "application/sparql-results+json"
            else:
                path, accept = "/", "text/html"
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers={"Accept": accept})
                response = connection.getresponse()
                response.read()
                key = str(response.status)
            except (OSError, http.client.HTTPException) as exc:
                key = type(exc).__name__
                connection.close()
                connection = http.client.HTTPConnection(host, port, timeout=120)
            with lock:
                statuses[key] = statuses.get(key, 0) + 1
                latencies.append(time.perf_counter() - started)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    memory = []
    while any(thread.is_alive() for thread in threads):
        memory.append((time.monotonic() - began, rss_mb(pid)))
        time.sleep(5)
    for thread in threads:
        thread.join()
    print(f"load: {clients} clients for {seconds:.0f} s: {sum(statuses.values()):,} requests, statuses {statuses}")
    print(f"  latency {percentiles(latencies)}, {sum(statuses.values()) / seconds:.0f} requests/s")
    shown = ", ".join(f"{t:.0f}s {m:.0f}" for t, m in memory)
    print(f"  server memory (MB, with query processes) by time: {shown}")
    after_minute = [m for t, m in memory if t >= 60]
    if after_minute:
        at_minute = after_minute[0]
        print(
            f"  after the first minute: {at_minute:.0f} MB -> peak {max(after_minute):.0f} MB, "
            f"last {after_minute[-1]:.0f} MB"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("build", type=Path, help="a build folder (not written: a hard-link copy is served)")
    parser.add_argument(
        "--synthetic",
        type=int,
        metavar="N",
        help="first write BUILD as a synthetic concept layer of N concepts (tests/concept_fixtures.py)",
    )
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--load", type=float, default=0, metavar="SECONDS", help="run the load test this long")
    parser.add_argument("--clients", type=int, default=50)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    if args.synthetic and not (args.build / "store").is_dir():
        import pyoxigraph as ox
        from concept_fixtures import synthetic

        started = time.perf_counter()
        quads = synthetic(args.synthetic)
        args.build.mkdir(parents=True, exist_ok=True)
        store = ox.Store(str(args.build / "store"))
        for begin in range(0, len(quads), 500_000):  # bulk: a transaction of millions of quads stalls
            store.bulk_extend(quads[begin : begin + 500_000])
        store.flush()
        del store, quads
        seconds = time.perf_counter() - started
        print(f"wrote a synthetic concept layer of {args.synthetic:,} concepts in {seconds:.0f} s")

    work = Path(tempfile.mkdtemp(prefix="kg-serve-bench-"))  # on the build's file system, for cp -al
    copy = work / args.build.name
    subprocess.run(["cp", "-al", str(args.build), str(copy)], check=True)
    try:
        iris = sample_concepts(copy / "store", args.samples)
        started = time.perf_counter()
        opening = f"import kg.serve, pyoxigraph; pyoxigraph.Store.read_only({str(copy / 'store')!r})"
        subprocess.run([sys.executable, "-c", opening], check=True)
        floor = time.perf_counter() - started

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "kg", "serve", "-o", str(copy), "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=open(work / "serve.log", "wb"),
        )
        try:
            first = base + "/concept?" + urllib.parse.urlencode({"iri": iris[0]})
            page_ready = wait_for(first, "text/html", started, process)
            search_ready = wait_for(base + "/search?q=a", "application/json", started, process)
            print(
                f"start: concept page answers after {page_ready:.2f} s, search after {search_ready:.2f} s "
                f"(floor: import kg and open the store in a new process, {floor:.2f} s)"
            )

            pages, graphs, sparql = [], [], []
            for iri in iris:
                encoded = urllib.parse.urlencode({"iri": iri})
                seconds, status, _ = timed(f"{base}/concept?{encoded}", "text/html")
                assert status == 200, (status, iri)
                pages.append(seconds)
                seconds, status, _ = timed(f"{base}/graph?{encoded}", "text/html")
                assert status == 200, (status, iri)
                graphs.append(seconds)
                query = f"SELECT ?p ?o WHERE {{ GRAPH kgg:concepts {{ <{iri}> ?p ?o }} }}"
                seconds, status, _ = timed(f"{base}/sparql?" + urllib.parse.urlencode({"query": query}), "text/csv")
                assert status == 200, status
                sparql.append(seconds)
            print(f"concept page:        {percentiles(pages)}")
            print(f"  its neighbourhood: {percentiles(graphs)}")
            print(f"  baseline, its statements through /sparql: {percentiles(sparql)}")

            status, _, body = fetch(base + "/search?q=a&limit=50", accept="application/json")
            words = sorted({w for hit in json.loads(body)["hits"] for w in hit["label"].split() if w.isalpha()})
            words = words or ["a"]
            searches, scans = [], []
            rng = random.Random(1)
            for i in range(args.samples):
                word = rng.choice(words)
                typed = word[: rng.randint(2, max(2, len(word)))]
                seconds, status, _ = timed(f"{base}/search?" + urllib.parse.urlencode({"q": typed}), "application/json")
                assert status == 200
                searches.append(seconds)
                if i < 5:
                    url = f"{base}/queries/search?" + urllib.parse.urlencode({"text": typed})
                    seconds, status, _ = timed(url, "text/csv")
                    scans.append(seconds)
            print(f"search:              {percentiles(searches)}")
            print(f"  baseline, the library's search query (a scan) through /queries: {percentiles(scans)}")
            if args.load:
                load(base, process.pid, iris, words, args.load, args.clients)
        finally:
            process.terminate()
            process.wait(timeout=30)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
