"""Benchmark `kg build` against rdflib's JSON-LD parser (baseline), pyld and orjson (ceiling) on one corpus.

    .venv/bin/python benchmarks/build_benchmark.py --pages 10000 [--pages 100000]

Everything runs on the same synthetic pages (benchmarks/corpus.py, cached in the workdir by
size and seed): the in-process rows that are too slow for the whole corpus use an evenly
spread sample of it and say so. The table goes to standard output and, with every raw
number, to WORKDIR/results.json. Targets are reported as PASS or MISS, never asserted.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus  # noqa: E402  (a sibling script, not an installed module)
import page_facts  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
RSS_SAMPLE_SECONDS = 0.05
CEILING_CHUNK = 2_000  # pages held in memory at once by the parse-only ceiling
MB = 1_000_000

ORIGINAL_URL = b"\n**Original URL:** "


@dataclass
class Target:
    text: str
    met: bool | None  # None: not measurable here
    applies: bool = True  # False: the target is stated for another corpus size
    why_not: str = ""

    @property
    def result(self) -> str:
        if not self.applies:
            return f"n/a ({self.why_not})"
        if self.met is None:
            return "n/a"
        return "PASS" if self.met else "MISS"


@dataclass
class Row:
    pages: int
    measure: str
    sample: int | None = None  # pages this row measured
    seconds: float | None = None
    value: str | None = None  # shown instead of seconds (sizes, memory)
    pages_per_s: float | None = None
    vs_baseline: float | None = None  # pages/s over rdflib's pages/s
    vs_ceiling: float | None = None  # orjson parse-only pages/s over this row's: how many times slower
    vs_read_ceiling: float | None = None  # the same against orjson with reading and fence extraction
    targets: list[Target] = field(default_factory=list)
    note: str = ""
    raw: dict = field(default_factory=dict)


# ---------------------------------------------------------------- measuring a process tree


def _children(pid: int) -> list[int]:
    found = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found += [int(child) for child in handle.read().split()]
        except OSError:
            pass
    return found


def _rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_rss(pid: int) -> int:
    """Resident memory of a process and all its descendants, summed (shared pages count twice)."""
    total, pending, seen = 0, [pid], set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        total += _rss_bytes(current)
        pending += _children(current)
    return total


@dataclass
class Run:
    command: list[str]
    seconds: float
    returncode: int
    max_single_rss: int  # bytes: ru_maxrss from wait4, the largest single process of the tree
    max_tree_rss: int  # bytes: the largest sum of VmRSS over the tree, sampled every 50 ms
    samples: int
    log: str
    last_lines: list[str]


TIMEOUT = {"seconds": 0.0}  # set from --timeout: a limit for every kg command; 0 for none


def run_measured(command: list[str], log: Path, *, keep_stdout: bool = True) -> Run:
    """Run a command to completion, timing it and sampling the memory of its process tree.

    With --timeout, a command still running at the limit is killed with its whole process
    group (exit -9); its row then says so. Without keep_stdout, standard output (query
    results, which can be gigabytes) goes to /dev/null and only standard error is logged.
    """
    peak = {"tree": 0, "samples": 0, "killed": False}
    limit = TIMEOUT["seconds"]
    with open(log, "wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(
            command,
            stdout=out if keep_stdout else subprocess.DEVNULL,
            stderr=subprocess.STDOUT if keep_stdout else out,
            cwd=REPO,
            start_new_session=True,
        )
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak["tree"] = max(peak["tree"], tree_rss(process.pid))
                peak["samples"] += 1
                if limit and time.perf_counter() - started > limit and not peak["killed"]:
                    peak["killed"] = True
                    os.killpg(process.pid, signal.SIGKILL)  # the group this Popen started, nothing else
                done.wait(RSS_SAMPLE_SECONDS)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)  # wait4 reaped it; tell Popen
    lines = log.read_text("utf-8", errors="replace").replace("\r", "\n").splitlines()
    if peak["killed"]:
        lines.append(f"killed by the benchmark after the --timeout of {limit:.0f} s")
    return Run(
        command=command,
        seconds=seconds,
        returncode=process.returncode,
        max_single_rss=usage.ru_maxrss * 1024,  # kilobytes on Linux
        max_tree_rss=peak["tree"],
        samples=peak["samples"],
        log=str(log),
        last_lines=[line for line in lines if line.strip()][-4:],
    )


def kg_command() -> list[str]:
    script = Path(sys.executable).parent / "kg"
    return [str(script)] if script.exists() else [sys.executable, "-m", "kg"]


def kg_has_command(name: str) -> bool:
    done = subprocess.run([*kg_command(), name, "--help"], capture_output=True, cwd=REPO)
    return done.returncode == 0


def disk_usage(*paths: Path) -> tuple[int, int]:
    """(bytes allocated on disk, as du counts them; apparent bytes) of everything under the
    paths, each file once however many hard links it has among them."""
    allocated = apparent = 0
    seen: set[tuple[int, int]] = set()
    for directory, _, names in (entry for path in paths for entry in os.walk(path)):
        for name in names:
            stat = os.lstat(os.path.join(directory, name))
            if (stat.st_dev, stat.st_ino) in seen:
                continue
            seen.add((stat.st_dev, stat.st_ino))
            allocated += stat.st_blocks * 512
            apparent += stat.st_size
    return allocated, apparent


# ---------------------------------------------------------------- in-process rows


def page_blocks(data: bytes) -> tuple[str, list[bytes]]:
    """The page URL and its ```json blocks, found with bytes.find: the generator writes every
    fence the same way, so this is as fast as extraction gets (kg's reader follows CommonMark)."""
    marker = data.rfind(ORIGINAL_URL)
    url = data[marker + len(ORIGINAL_URL) :].split(None, 1)[0].decode() if marker >= 0 else ""
    blocks = []
    position = 0
    while (opener := data.find(b"```json\n", position)) >= 0:
        body = opener + 8
        closer = data.find(b"\n```", body)
        closer = len(data) if closer < 0 else closer
        blocks.append(data[body:closer])
        position = closer + 4
    return url, blocks


def ceiling_parse_only(files: list[Path]) -> tuple[float, int]:
    """orjson.loads of every block, the blocks already in memory (read and extracted untimed, in chunks)."""
    seconds, blocks = 0.0, 0
    for start in range(0, len(files), CEILING_CHUNK):
        chunk = [block for path in files[start : start + CEILING_CHUNK] for block in page_blocks(path.read_bytes())[1]]
        loads = orjson.loads
        began = time.perf_counter()
        for block in chunk:
            loads(block)
        seconds += time.perf_counter() - began
        blocks += len(chunk)
    return seconds, blocks


def ceiling_read_and_parse(files: list[Path]) -> tuple[float, int]:
    """Read every file, find its fences, orjson.loads every block: all timed."""
    loads = orjson.loads
    blocks = 0
    began = time.perf_counter()
    for path in files:
        for block in page_blocks(path.read_bytes())[1]:
            loads(block)
            blocks += 1
    return time.perf_counter() - began, blocks


def rdflib_baseline(sample: list[Path]) -> tuple[float, int]:
    """rdflib's JSON-LD parser, one Graph per page, schema.org's context inlined from kg's vendored copy.

    Preparing the text (replacing the "@context" URL by the context object) is not timed;
    rdflib then parses that text, context included, as a user with a local context would.
    """
    import rdflib

    from kg.contexts import schemaorg_context

    context = schemaorg_context()
    prepared = []
    for path in sample:
        url, blocks = page_blocks(path.read_bytes())
        texts = []
        for block in blocks:
            document = orjson.loads(block)
            document["@context"] = context
            texts.append(orjson.dumps(document).decode("utf-8"))
        prepared.append((url, texts))
    triples = 0
    began = time.perf_counter()
    for url, texts in prepared:
        graph = rdflib.Graph()
        for text in texts:
            graph.parse(data=text, format="json-ld", publicID=url)
        triples += len(graph)
    return time.perf_counter() - began, triples


def _untagged_loader(url: str, options: dict | None = None) -> dict:
    """What a user writes to serve schema.org's context locally: no "tag", so pyld processes it every time."""
    from kg.contexts import is_schemaorg_context, schemaorg_context

    if not is_schemaorg_context(url):
        raise ValueError(f"no local copy of {url}")
    document = schemaorg_context()
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url, "document": document}


def pyld_to_rdf(sample: list[Path], loader) -> tuple[float, int]:
    """pyld's to_rdf on every block (orjson parsing included, reading and fence extraction not)."""
    from pyld import jsonld

    pages = [page_blocks(path.read_bytes()) for path in sample]
    quads = 0
    # pyld keeps processed contexts for the whole process: without this, the rows of a second
    # corpus size would reuse what the first one's rows processed (untagged: 6.3 s -> 0.6 s).
    jsonld._resolved_context_cache.clear()
    began = time.perf_counter()
    for url, blocks in pages:
        for block in blocks:
            dataset = jsonld.to_rdf(orjson.loads(block), {"documentLoader": loader, "base": url})
            quads += sum(len(triples) for triples in dataset.values())
    return time.perf_counter() - began, quads


# ---------------------------------------------------------------- queries and the view


def query_files() -> list[Path]:
    return sorted((REPO / "queries").glob("*.rq"))


_PARAM = re.compile(r"^#\s?param\s+\??([A-Za-z_][\w-]*)\s*:", re.MULTILINE)
_EXAMPLE = re.compile(r"^#\s?example:\s*([A-Za-z_][\w-]*)=(.*)$", re.MULTILINE)


def _kg_query_module():
    """kg.query when it exists and imports (it is being written as this script is), else None."""
    if importlib.util.find_spec("kg.query") is None:
        return None
    try:
        return importlib.import_module("kg.query")
    except Exception:  # a module mid-edit may not import; fall back to plain pyoxigraph
        return None


def query_bindings(text: str, corpus_info: dict) -> tuple[dict[str, str], list[str]]:
    """A value for every `# param` of a query: one that exists in the synthetic corpus when the
    parameter is one we know (the library's examples name pages of the real example corpus),
    else the query's own example; parameters with neither stay unbound (and are listed)."""
    known = {
        "area": corpus_info.get("largest_area"),
        "definition": corpus_info.get("most_listed_definition"),
        "term": corpus_info.get("most_listed_definition"),
        "concept": corpus_info.get("most_listed_definition"),
        "text": "liquidity pool",
    }
    examples = {name: value.strip() for name, value in _EXAMPLE.findall(text)}
    values, unbound = {}, []
    for name in _PARAM.findall(text):
        value = known.get(name) or examples.get(name)
        if value:
            values[name] = value
        else:
            unbound.append(name)
    return values, unbound


def time_query_in_process(
    output: Path, text: str, bindings: dict[str, str], repeats: int
) -> tuple[list[float], int | None, str, str]:
    """Run one query on the store here, results fully serialized; (times, bytes, kind, problem).

    Uses kg.query.run_in_process (kg's prefixes, every graph as the default graph, bound
    parameters) when present, else the same settings on pyoxigraph directly.
    """
    import pyoxigraph as ox

    from kg.store import open_store

    module = _kg_query_module()
    store = open_store(output)
    times: list[float] = []
    size, kind = None, ""
    try:
        if module is not None and hasattr(module, "run_in_process") and hasattr(module, "term_from_text"):
            terms = {name: module.term_from_text(value) for name, value in bindings.items()}
            for _ in range(repeats):
                began = time.perf_counter()
                answer = module.run_in_process(store, text, terms)
                times.append(time.perf_counter() - began)
                size, kind = len(answer.data), answer.kind
        else:
            from kg.namespaces import PREFIXES

            terms = {ox.Variable(name): ox.Literal(value) for name, value in bindings.items()}
            for _ in range(repeats):
                began = time.perf_counter()
                results = store.query(
                    text, use_default_graph_as_union=True, prefixes=PREFIXES, substitutions=terms or None
                )
                if isinstance(results, ox.QueryTriples):
                    body, kind = ox.serialize(results, format=ox.RdfFormat.N_TRIPLES) or b"", "graph"
                elif isinstance(results, ox.QuerySolutions):
                    body, kind = results.serialize(format=ox.QueryResultsFormat.JSON), "select"
                else:
                    body, kind = str(bool(results)).encode(), "ask"
                times.append(time.perf_counter() - began)
                size = len(body)
    except Exception as exc:  # report it in the table; the other rows still run
        return times, size, kind, f"failed in process: {type(exc).__name__}: {str(exc)[:200]}"
    finally:
        del store
    return times, size, kind, ""


def time_query(
    output: Path, path: Path, bindings: dict[str, str], repeats: int
) -> tuple[list[float], int | None, str, str]:
    """time_query_in_process in a child process of this script, so that --timeout can stop a
    runaway query; the times are measured inside the child, around the query alone."""
    request = json.dumps({"output": str(output), "query": str(path), "bindings": bindings, "repeats": repeats})
    limit = TIMEOUT["seconds"] or None
    try:
        done = subprocess.run(
            [sys.executable, __file__, "--time-query", request], capture_output=True, timeout=limit, cwd=REPO
        )
    except subprocess.TimeoutExpired:
        return [limit or 0.0], None, "", f"killed after the --timeout of {limit:.0f} s"
    try:
        answer = json.loads(done.stdout.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        detail = done.stderr.decode(errors="replace").strip().splitlines()
        return [], None, "", f"the timing process failed: {detail[-1] if detail else done.returncode}"
    return answer["times"], answer["size"], answer["kind"], answer["problem"]


def _time_query_child(request: str) -> int:
    asked = json.loads(request)
    text = Path(asked["query"]).read_text("utf-8")
    times, size, kind, problem = time_query_in_process(Path(asked["output"]), text, asked["bindings"], asked["repeats"])
    print(json.dumps({"times": times, "size": size, "kind": kind, "problem": problem}))
    return 0


# ---------------------------------------------------------------- one corpus size


def _fmt_bytes(count: int) -> str:
    return f"{count / MB:,.0f} MB" if count >= 10 * MB else f"{count / MB:,.1f} MB"


def prepare_corpus(workdir: Path, pages: int, seed: int) -> tuple[Path, float | None]:
    folder = workdir / f"corpus-{pages}-s{seed}"
    corpus.restore(folder)  # a run killed during the incremental step left pages changed
    if corpus.is_generated(folder, pages, seed):
        return folder, None
    print(f"generating {pages} pages into {folder} ...", file=sys.stderr, flush=True)
    began = time.perf_counter()
    corpus.generate(folder, pages, seed)
    return folder, time.perf_counter() - began


def sample_of(files: list[Path], size: int) -> list[Path]:
    """An evenly spread sample (the corpus order is already shuffled by the generator)."""
    if size >= len(files):
        return list(files)
    step = len(files) / size
    return [files[int(i * step)] for i in range(size)]


def _outcome(run: Run) -> str:
    """kg build's summary line, with the exit code and the last lines of output when it failed."""
    summary = next((line for line in reversed(run.last_lines) if " pages (" in line), "")
    if run.returncode == 0:
        return summary
    return f"exit {run.returncode}: {summary or ' | '.join(run.last_lines)}"


def _rate(pages: int, seconds: float) -> float:
    return pages / seconds if seconds > 0 else float("inf")


def measure_queries(pages: int, output: Path, info: dict, args: argparse.Namespace, log) -> list[Row]:
    """Every queries/*.rq on the full build's store: in process (timed) and through `kg query` (wall)."""
    rows: list[Row] = []
    workdir: Path = args.workdir
    at_100k = pages >= 100_000
    queries = query_files()
    if not queries:
        rows.append(Row(pages, "queries/*.rq", note="skipped: no .rq files in queries/ yet"))
    cli_query = bool(queries) and kg_has_command("query")
    for path in queries:
        log(f"[{pages}] query {path.name}")
        text = path.read_text("utf-8")
        bindings, unbound = query_bindings(text, info)
        times, size, kind, problem = time_query(output, path, bindings, args.query_repeats)
        shown = ", ".join(f"{k}={v!r}" for k, v in bindings.items())
        note = problem or f"{size:,} bytes of {kind} results; runs {', '.join(f'{t:.3f}' for t in times)} s"
        note += f"; bound {shown}" if bindings else ""
        note += f"; UNBOUND {', '.join(unbound)}" if unbound else ""
        raw: dict = {
            "in_process_seconds": times,
            "result_bytes": size,
            "kind": kind,
            "bindings": bindings,
            "unbound": unbound,
            "problem": problem,
        }
        if cli_query:
            name = path.stem
            result_format = "ntriples" if kind == "graph" else "csv"
            binds = [arg for k, v in bindings.items() for arg in ("--bind", f"{k}={v}")]
            run = run_measured(
                [*kg_command(), "query", name, "-o", str(output), "-f", result_format, *binds],
                workdir / f"query-{pages}-{name}.log",
                keep_stdout=False,
            )
            raw["cli"] = asdict(run)
            failed = f" (exit {run.returncode}: {' | '.join(run.last_lines)[:160]})" if run.returncode else ""
            note += f"; CLI `kg query {name} -f {result_format}` {run.seconds:.2f} s wall{failed}"
        else:
            note += "; no `kg query` command, CLI not timed"
        slowest = max(times) if times else None
        rows.append(
            Row(
                pages,
                f"query {path.name} (in process, slowest of {len(times)})",
                seconds=slowest,
                targets=[Target("<1 s", None if slowest is None else slowest < 1, at_100k, "at 100,000")],
                note=note,
                raw=raw,
            )
        )

    return rows


def measure_view(pages: int, output: Path, workdir: Path, log) -> list[Row]:
    """`kg view` on the full build's store, when the command exists."""
    rows: list[Row] = []
    if kg_has_command("view"):
        log(f"[{pages}] kg view")
        view = run_measured(
            [*kg_command(), "view", "-o", str(output), "--to", str(output / "bench.html")],
            workdir / f"view-{pages}.log",
        )
        rows.append(
            Row(
                pages,
                "kg view (subprocess)",
                seconds=view.seconds,
                note=f"exit {view.returncode}: {' | '.join(view.last_lines)}"
                if view.returncode
                else f"peak RSS {_fmt_bytes(max(view.max_single_rss, view.max_tree_rss))}",
                raw=asdict(view),
            )
        )
    else:
        rows.append(Row(pages, "kg view", note="skipped: no `kg view` command yet"))

    return rows


def measure_rebuild(pages: int, folder: Path, output: Path, full: Run, args: argparse.Namespace, log) -> list[Row]:
    """Change a share of the pages, run the same `kg build` on the same output folder, put the pages back."""
    rows: list[Row] = []
    workdir: Path = args.workdir
    at_10k = pages >= 10_000
    log(f"[{pages}] kg build again, nothing changed")
    same = run_measured([*kg_command(), "build", str(folder), "-o", str(output)], workdir / f"unchanged-{pages}.log")
    kept = "(up to date)" in Path(same.log).read_text("utf-8", errors="replace")
    rows.append(
        Row(
            pages,
            "kg build again, nothing changed",
            0,
            same.seconds,
            note=f"{_outcome(same)}; {'store and exports kept' if kept else 'NOT kept: derived and exported again'}",
            raw=asdict(same) | {"share_of_full": same.seconds / full.seconds, "kept": kept},
        )
    )
    changed = corpus.mutate(folder, args.changed, seed=args.seed + 1)
    try:
        descriptions = [
            (
                page_blocks(path.read_bytes())[0],
                corpus.page_description((folder / corpus.ORIGINALS / path.name).read_text("utf-8")),
                corpus.page_description(path.read_text("utf-8")),
            )
            for path in changed
        ]
        log(f"[{pages}] kg build after changing {len(changed)} pages")
        again = run_measured([*kg_command(), "build", str(folder), "-o", str(output)], workdir / f"rebuild-{pages}.log")
    finally:
        corpus.restore(folder)
    # A rebuild that missed the changes would be fast for the wrong reason: check the store.
    updated, stale = rebuilt_descriptions(output, descriptions)
    correct = again.returncode == 0 and updated == len(changed) and stale == 0
    share = again.seconds / full.seconds
    check = f"store has {updated}/{len(changed)} new descriptions, {stale} old ones left"
    rows.append(
        Row(
            pages,
            f"kg build again, {len(changed)} pages ({args.changed:.0%}) changed",
            len(changed),
            again.seconds,
            targets=[
                Target(f"≤15% of full build: {share:.0%}", share <= 0.15 if correct else None, at_10k, "at 10,000")
            ],
            note=f"{_outcome(again)}; {check}",
            raw=asdict(again) | {"share_of_full": share, "updated": updated, "stale": stale},
        )
    )
    return rows


def rebuilt_descriptions(output: Path, descriptions: list[tuple[str, str, str]]) -> tuple[int, int]:
    """In the changed pages' graphs: how many new descriptions the store holds, and how many old ones."""
    import pyoxigraph as ox

    from kg.store import open_store

    try:
        store = open_store(output)
    except Exception:
        return 0, 0

    def holds(page: str, text: str) -> bool:
        return any(True for _ in store.quads_for_pattern(None, None, ox.Literal(text), ox.NamedNode(page)))

    updated = sum(holds(page, new) for page, _, new in descriptions)
    stale = sum(holds(page, old) for page, old, _ in descriptions)
    return updated, stale


def measure_size(pages: int, args: argparse.Namespace, log) -> tuple[list[Row], dict]:
    workdir: Path = args.workdir
    folder, generated_in = prepare_corpus(workdir, pages, args.seed)
    files = sorted(folder.glob("*.txt"))
    info = json.loads((folder / corpus.MARKER).read_text())
    info["generated_seconds"] = generated_in
    sample = sample_of(files, args.baseline_sample)
    rows: list[Row] = []
    at_100k = pages >= 100_000

    # The ceilings first. The parse-only pass reads every page untimed, so every row after it
    # (the timed read of the second ceiling row included) finds the corpus in the page cache.
    log(f"[{pages}] orjson ceilings")
    seconds, blocks = ceiling_parse_only(files)
    parse_only = Row(
        pages, "orjson: parse only, blocks in memory (ceiling)", len(files), seconds, raw={"blocks": blocks}
    )
    seconds, blocks = ceiling_read_and_parse(files)
    read_parse = Row(pages, "orjson: read files + find fences + parse", len(files), seconds, raw={"blocks": blocks})

    log(f"[{pages}] rdflib baseline on {len(sample)} pages")
    seconds, triples = rdflib_baseline(sample)
    baseline = Row(
        pages,
        "rdflib JSON-LD parser, local context (baseline)",
        len(sample),
        seconds,
        note=f"{triples:,} triples",
        raw={"triples": triples},
    )

    from kg.contexts import ContextLoader

    log(f"[{pages}] pyld to_rdf on {len(sample)} pages")
    seconds, quads = pyld_to_rdf(sample, _untagged_loader)
    pyld_plain = Row(
        pages,
        "pyld to_rdf, local loader, untagged",
        len(sample),
        seconds,
        note=f"{quads:,} quads",
        raw={"quads": quads},
    )
    seconds, quads = pyld_to_rdf(sample, ContextLoader())
    pyld_kg = Row(
        pages,
        "pyld to_rdf, kg ContextLoader (tagged)",
        len(sample),
        seconds,
        note=f"{quads:,} quads",
        raw={"quads": quads},
    )

    output = workdir / f"out-{pages}-s{args.seed}"
    shutil.rmtree(output, ignore_errors=True)
    log(f"[{pages}] kg build (full) into {output}")
    full = run_measured([*kg_command(), "build", str(folder), "-o", str(output)], workdir / f"build-{pages}.log")
    summary = next((line for line in reversed(full.last_lines) if " pages (" in line), "")
    built = re.search(r"\((\d+) built", summary)
    build_note = _outcome(full)
    if built and int(built.group(1)) != pages:
        build_note = f"only {built.group(1)} of {pages} pages built; {build_note}"
    build_row = Row(
        pages, "kg build, full, end to end (subprocess)", pages, full.seconds, note=build_note, raw=asdict(full)
    )

    store_allocated, store_apparent = disk_usage(output / "store")
    # The pages checkpoint of incremental builds shares files with the store (hard links):
    # what it adds is what the two take together beyond the store.
    checkpoint_allocated = disk_usage(output / "store", output / "pages")[0] - store_allocated
    for row in (read_parse, parse_only, baseline, pyld_plain, pyld_kg, build_row):
        row.pages_per_s = _rate(row.sample or 0, row.seconds or 0)
    base = baseline.pages_per_s
    for row in (read_parse, parse_only, baseline, pyld_plain, pyld_kg, build_row):
        row.vs_baseline = row.pages_per_s / base
        row.vs_ceiling = parse_only.pages_per_s / row.pages_per_s
        row.vs_read_ceiling = read_parse.pages_per_s / row.pages_per_s
    parse_only.note = f"{parse_only.raw['blocks']:,} blocks; reading and fence extraction not timed"
    read_parse.note = "the same blocks; reading the files and finding the fences (bytes.find) timed"
    # A build that stopped early is fast for the wrong reason: no verdict on its speed.
    succeeded = full.returncode == 0 and built is not None and int(built.group(1)) == pages
    build_row.targets = [
        Target("≥2,000 pages/s", build_row.pages_per_s >= 2_000 if succeeded else None),
        Target("≥150× rdflib", build_row.vs_baseline >= 150 if succeeded else None),
        Target("≤7× orjson ceiling", build_row.vs_ceiling <= 7 if succeeded else None),
        Target("≤90 s wall", full.seconds <= 90 if succeeded else None, at_100k, "at 100,000"),
    ]
    rows += [parse_only, read_parse, baseline, pyld_plain, pyld_kg, build_row]
    rows.append(
        Row(
            pages,
            "  peak RSS, largest single process (wait4)",
            value=_fmt_bytes(full.max_single_rss),
            targets=[Target("<2 GB", full.max_single_rss < 2e9, at_100k, "at 100,000")],
            raw={"bytes": full.max_single_rss},
        )
    )
    rows.append(
        Row(
            pages,
            "  peak RSS, process tree summed (50 ms samples)",
            value=_fmt_bytes(full.max_tree_rss),
            targets=[Target("<2 GB", full.max_tree_rss < 2e9, at_100k, "at 100,000")],
            note=f"{full.samples} samples",
            raw={"bytes": full.max_tree_rss},
        )
    )
    rows.append(
        Row(
            pages,
            "  store size on disk (du of OUT/store)",
            value=_fmt_bytes(store_allocated),
            note=f"apparent size {_fmt_bytes(store_apparent)}",
            raw={"allocated": store_allocated, "apparent": store_apparent},
        )
    )
    rows.append(
        Row(
            pages,
            "  pages checkpoint on disk, beyond the store (OUT/pages)",
            value=_fmt_bytes(checkpoint_allocated),
            note="for incremental builds; files shared with the store counted once",
            raw={"allocated": checkpoint_allocated},
        )
    )

    # Queries, the view and the rebuild need the store of the full build.
    if (output / "store").is_dir():
        rows += measure_queries(pages, output, info, args, log)
        rows += measure_view(pages, output, workdir, log)
        if args.rebuild_up_to and pages > args.rebuild_up_to:
            rows.append(
                Row(pages, "kg build again (incremental)", note=f"skipped: --rebuild-up-to {args.rebuild_up_to}")
            )
        else:
            rows += measure_rebuild(pages, folder, output, full, args, log)
    else:
        rows.append(Row(pages, "queries, kg view, rebuild", note=f"skipped: the full build left no store ({full.log})"))
    return rows, {
        "corpus": info,
        "corpus_folder": str(folder),
        "output": str(output),
        "sample": len(sample),
        "full_build": {
            "seconds": full.seconds,
            "max_single_rss": full.max_single_rss,
            "max_tree_rss": full.max_tree_rss,
        },
    }


def flatness_rows(runs: dict[int, dict]) -> list[Row]:
    """Peak memory at the largest size over the smallest: 'flat in corpus size' read as at most 1.5x."""
    if len(runs) < 2:
        return []
    small, large = min(runs), max(runs)
    rows = []
    for key, label in (("max_single_rss", "largest process"), ("max_tree_rss", "process tree")):
        growth = runs[large]["full_build"][key] / max(runs[small]["full_build"][key], 1)
        rows.append(
            Row(
                large,
                f"peak RSS growth {small:,} → {large:,} pages ({label})",
                value=f"{growth:.2f}×",
                targets=[Target("flat: ≤1.5×", growth <= 1.5)],
                raw={"growth": growth},
            )
        )
    return rows


# ---------------------------------------------------------------- the table


def _num(value: float | None, digits: int = 1) -> str:
    if value is None:
        return ""
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def _ratio(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def table(rows: list[Row]) -> str:
    header = [
        "pages",
        "measure",
        "sample",
        "time / value",
        "pages/s",
        "× rdflib",
        "÷ orjson",
        "÷ read+orjson",
        "target",
        "result",
    ]
    lines = []
    for row in rows:
        value = row.value if row.value is not None else (f"{row.seconds:.2f} s" if row.seconds is not None else "")
        cells = [
            f"{row.pages:,}",
            row.measure,
            "" if row.sample is None else f"{row.sample:,}",
            value,
            _num(row.pages_per_s),
            _ratio(row.vs_baseline),
            _ratio(row.vs_ceiling),
            _ratio(row.vs_read_ceiling),
            row.targets[0].text if row.targets else "",
            row.targets[0].result if row.targets else "",
        ]
        lines.append(cells)
        for target in row.targets[1:]:
            lines.append(["", "", "", "", "", "", "", "", target.text, target.result])
    widths = [max(len(str(line[i])) for line in [header, *lines]) for i in range(len(header))]
    right = {0, 2, 3, 4, 5, 6, 7}

    def render(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    out = [render(header), render(["-" * w for w in widths])]
    out += [render(cells) for cells in lines]
    notes = [f"- {row.pages:,} {row.measure.strip()}: {row.note}" for row in rows if row.note]
    return "\n".join(out + ["", "notes:", *notes])


def environment() -> dict:
    versions = {}
    for name in ("rdflib", "pyld", "pyoxigraph", "orjson"):
        try:
            module = importlib.import_module(name)
            versions[name] = getattr(module, "__version__", None) or _dist_version(name)
        except ImportError:
            versions[name] = None
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=REPO).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "kg"], capture_output=True, text=True, cwd=REPO).stdout
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "versions": versions,
        "git_commit": commit,
        "kg_has_uncommitted_changes": bool(dirty.strip()),
    }


def kg_source_digest() -> str:
    """A digest of kg's code and rules, to tell whether it changed while the benchmark ran."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted([*(REPO / "kg").rglob("*.py"), *(REPO / "queries").rglob("*.r[qu]")]):
        digest.update(path.relative_to(REPO).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _dist_version(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


def measure_folder(folder: Path, args: argparse.Namespace, log) -> list[Row]:
    """Issue 22's targets on a folder of pages, beside the floor measured in the same run."""
    pages_folder = args.workdir / f"pages-{folder.name}"
    if not pages_folder.exists():
        log(f"copying {folder} to {pages_folder}")
        shutil.copytree(folder, pages_folder)
    page_facts.restore_pages(pages_folder)
    files = page_facts.page_files(pages_folder)
    pages = len(files)
    output = args.workdir / f"build-{folder.name}"
    shutil.rmtree(output, ignore_errors=True)
    rows: list[Row] = []
    log(f"[{folder.name}] kg build, full ({pages} files)")
    full = run_measured(
        [*kg_command(), "build", str(pages_folder), "-o", str(output), "-v"], args.workdir / f"build-{folder.name}.log"
    )
    if full.returncode:
        return [Row(pages, "kg build, full", seconds=full.seconds, note=_outcome(full))]
    log(f"[{folder.name}] floor: Oxigraph bulk_load of the build's N-Quads into an empty store")
    low = page_facts.floor(output, args.workdir)
    ratio = full.seconds / low["bulk_load"]
    rows.append(
        Row(
            pages,
            "floor: Oxigraph bulk_load of the build's own N-Quads (all graphs), empty on-disk store",
            seconds=low["bulk_load"],
            note=f"{low['quads']:,} quads, {_fmt_bytes(low['bytes'])}; Oxigraph's own dump of them {low['dump']:.1f} s",
            raw=low,
        )
    )
    stages = page_facts.stages(Path(full.log))
    rows.append(
        Row(
            pages,
            "kg build, full (graph.ttl included)",
            seconds=full.seconds,
            value=f"{full.seconds:.1f} s = {ratio:.2f}x floor",
            targets=[Target(f"<=1.5x floor: {ratio:.2f}x", ratio <= 1.5)],
            note="; ".join(f"{name} {seconds:.1f}" for name, seconds in stages.items()),
            raw=asdict(full) | {"stages": stages},
        )
    )
    peak = max(full.max_tree_rss, full.max_single_rss)
    rows.append(
        Row(
            pages,
            "peak RSS of the build's process tree",
            value=_fmt_bytes(peak),
            targets=[Target(f"<=1 GB at 100,000: {_fmt_bytes(peak)}", peak <= 1_000 * MB, pages >= 100_000, "at 100k")],
        )
    )
    changed = page_facts.change_pages(pages_folder, args.changed, args.seed + 1)
    try:
        log(f"[{folder.name}] kg build after changing {len(changed)} pages")
        again = run_measured(
            [*kg_command(), "build", str(pages_folder), "-o", str(output), "-v"],
            args.workdir / f"rebuild-{folder.name}.log",
        )
    finally:
        page_facts.restore_pages(pages_folder)
    share = again.seconds / full.seconds
    stages = page_facts.stages(Path(again.log))
    rows.append(
        Row(
            pages,
            f"kg build again, {len(changed)} pages ({args.changed:.0%}) changed",
            len(changed),
            again.seconds,
            targets=[Target(f"<=10% of full: {share:.0%}", share <= 0.10 if again.returncode == 0 else None)],
            note=f"{_outcome(again)}; " + "; ".join(f"{name} {seconds:.1f}" for name, seconds in stages.items()),
            raw=asdict(again) | {"stages": stages, "share_of_full": share},
        )
    )
    first, second, word = page_facts.concept_labels(output)
    for name, command in (
        ("kg view", ["view", "-o", str(output), "--to", str(args.workdir / "bench-view.html")]),
        ("kg path", ["path", "-o", str(output), first, second]),
        ("kg stats", ["stats", "-o", str(output)]),
    ):
        log(f"[{folder.name}] {name}")
        run = run_measured([*kg_command(), *command], args.workdir / f"{name.replace(' ', '-')}-{folder.name}.log")
        rows.append(
            Row(
                pages,
                f"{name} (subprocess)",
                seconds=run.seconds,
                targets=[Target(f"<=5 s at 100,000: {run.seconds:.1f} s", run.seconds <= 5, pages >= 100_000, "100k")],
                note=f"exit {run.returncode}, peak RSS {_fmt_bytes(max(run.max_single_rss, run.max_tree_rss))}",
            )
        )
    info = {"largest_area": first, "most_listed_definition": second}
    for name in ("definitions-of", "facets-of", "search"):
        path = REPO / "queries" / f"{name}.rq"
        text = path.read_text("utf-8")
        bindings, _ = query_bindings(text, info)
        if name == "search":
            bindings = {key: word for key in bindings}
        times, size, _, problem = time_query(output, path, bindings, args.query_repeats)
        slowest = max(times) if times else None
        rows.append(
            Row(
                pages,
                f"query {name} {bindings}",
                seconds=slowest,
                targets=[
                    Target(
                        f"<=0.1 s at 100,000: {slowest or 0:.2f} s",
                        None if slowest is None else slowest <= 0.1,
                        pages >= 100_000,
                        "100k",
                    )
                ],
                note=problem or f"{size} bytes",
            )
        )
    rows += indexed_search_rows(pages, output, word, args.query_repeats, first)
    return rows


def indexed_search_rows(pages: int, output: Path, word: str, repeats: int, area: str = "") -> list[Row]:
    """The look-up queries as `kg query` answers them: from the build's look-up index (kg.lookup)."""
    if importlib.util.find_spec("kg.lookup") is None:
        return []
    import pyoxigraph as ox

    from kg.library import find_query
    from kg.lookup import indexed_answer

    rows = []
    for name, bindings in (
        ("search", {"text": ox.Literal(word)}),
        ("definitions-of", {"area": ox.Literal(area)}),
        ("facets-of", {"area": ox.Literal(area)}),
    ):
        if name != "search" and not area:
            continue
        query = find_query(name)
        times, answer = [], None
        for _ in range(max(repeats, 1)):
            began = time.perf_counter()
            answer = indexed_answer(output, query.origin, query.text, bindings)
            times.append(time.perf_counter() - began)
        slowest = max(times)
        shown = {key: term.value for key, term in bindings.items()}
        rows.append(
            Row(
                pages,
                f"query {name} {shown} from the look-up index (what kg query runs)",
                seconds=slowest,
                targets=[Target(f"<=0.1 s at 100,000: {slowest:.2f} s", slowest <= 0.1, pages >= 100_000, "100k")],
                note="no usable index" if answer is None else f"{len(answer)} rows, {len(answer.data)} bytes",
            )
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--time-query"]:  # internal: one query, timed in a child (see time_query)
        return _time_query_child(argv[1])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, action="append", help="corpus size (repeatable; default 10000)")
    parser.add_argument(
        "--corpus",
        type=Path,
        action="append",
        help="a folder of pages: the build against the floor, its stages, a 1%% change, view/path/stats and "
        "the look-up queries (repeatable; instead of --pages)",
    )
    parser.add_argument("--baseline-sample", type=int, default=200, help="pages for the rdflib and pyld rows")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/kg-bench"), help="corpora, stores and results")
    parser.add_argument("--seed", type=int, default=0, help="corpus seed")
    parser.add_argument("--changed", type=float, default=0.01, help="share of pages changed before the rebuild")
    parser.add_argument("--query-repeats", type=int, default=3, help="runs of each query (the slowest is reported)")
    parser.add_argument(
        "--rebuild-up-to",
        type=int,
        default=0,
        help="time the incremental rebuild only for corpora up to this many pages (0: every size); "
        "its target is stated for 10,000",
    )
    parser.add_argument(
        "--timeout", type=float, default=0, help="kill any kg command running longer (seconds; 0: none)"
    )
    args = parser.parse_args(argv)
    TIMEOUT["seconds"] = args.timeout
    sizes = sorted(set(args.pages or [10_000]))
    args.workdir.mkdir(parents=True, exist_ok=True)

    def log(message: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)

    rows: list[Row] = []
    runs: dict[int, dict] = {}
    source_before = kg_source_digest()
    for folder in args.corpus or ():
        load_before = os.getloadavg()
        rows += measure_folder(folder.resolve(), args, log)
        runs[len(runs)] = {"corpus": str(folder), "load_average": {"before": load_before, "after": os.getloadavg()}}
    for pages in sizes if not args.corpus else ():
        load_before = os.getloadavg()
        size_rows, runs[pages] = measure_size(pages, args, log)
        # Other work on the machine skews every row; the load average says how much there was.
        runs[pages]["load_average"] = {"before": load_before, "after": os.getloadavg()}
        rows += size_rows
    if not args.corpus:
        rows += flatness_rows(runs)

    text = table(rows)
    loads = ", ".join(
        f"{pages:,} pages: {run['load_average']['before'][0]:.1f} before, {run['load_average']['after'][0]:.1f} after"
        for pages, run in runs.items()
    )
    text += f"\n\n{os.cpu_count()} CPUs; 1-minute load average {loads}"
    source_after = kg_source_digest()
    if source_after != source_before:
        text += f"\nWARNING: kg's code or rules changed during this run ({source_before} -> {source_after})"
    else:
        text += f"\nkg code and rules digest {source_after}, unchanged during the run"
    print(text)
    results = {
        "finished": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "environment": environment() | {"kg_source_digest": {"before": source_before, "after": source_after}},
        "arguments": {k: json.loads(json.dumps(v, default=str)) for k, v in vars(args).items()},
        "ratios": (
            "× rdflib: the row's pages/s over rdflib's; ÷ orjson: orjson parse-only pages/s over the row's; "
            "÷ read+orjson: the same with reading and fence extraction timed"
        ),
        "runs": runs,
        "rows": [asdict(row) | {"targets": [asdict(t) | {"result": t.result} for t in row.targets]} for row in rows],
        "table": text,
    }
    destination = args.workdir / "results.json"
    destination.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    log(f"wrote {destination}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
