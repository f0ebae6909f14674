"""Write docs/performance.md from the results.json of benchmarks/build_benchmark.py.

    .venv/bin/python benchmarks/performance_table.py W10K/results.json W100K/results.json --write docs/performance.md

The page holds one table, the current one: the runs it comes from (commit, machine, load)
and every row they measured, with its target. Earlier runs stay in git's history
of the page. Without --write the page goes to standard output.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

HEADER = ["pages", "measure", "time / value", "pages/s", "× rdflib", "target", "result"]


def seconds_or_value(row: dict) -> str:
    if row.get("value") is not None:
        return str(row["value"])
    if row.get("seconds") is not None:
        return f"{row['seconds']:,.2f} s"
    return ""


def number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}" if value >= 10 else f"{value:.2f}"


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table_rows(rows: list[dict]) -> list[list[str]]:
    lines = []
    for row in rows:
        targets = row.get("targets") or [{}]
        first, *more = targets
        lines.append(
            [
                f"{row['pages']:,}",
                row["measure"].strip(),
                seconds_or_value(row),
                number(row.get("pages_per_s")),
                number(row.get("vs_baseline")),
                first.get("text", ""),
                first.get("result", ""),
            ]
        )
        lines += [["", "", "", "", "", target["text"], target["result"]] for target in more]
    return lines


def describe_run(results: dict, source: Path) -> list[str]:
    environment = results.get("environment", {})
    finished = results.get("finished") or datetime.fromtimestamp(source.stat().st_mtime, timezone.utc).strftime(
        "%Y-%m-%d %H:%M UTC"
    )
    versions = ", ".join(f"{name} {version}" for name, version in sorted(environment.get("versions", {}).items()))
    arguments = results.get("arguments", {})
    corpus = ", ".join(arguments.get("corpus") or []) or ", ".join(f"{n:,} pages" for n in arguments.get("pages") or [])
    loads = []
    for name, run in results.get("runs", {}).items():
        load = run.get("load_average")
        if load:
            what = run.get("corpus") or f"{int(name):,} pages"
            loads.append(f"{what}: {load['before'][0]:.1f} before, {load['after'][0]:.1f} after")
    commit = environment.get("git_commit", "")[:7]
    dirty = " (with uncommitted changes to kg/)" if environment.get("kg_has_uncommitted_changes") else ""
    return [
        f"- run finished {finished}, kg at {commit}{dirty}, corpus {corpus or 'generated'}",
        f"- {environment.get('cpus', '?')} CPUs, Python {environment.get('python', '?')}, {versions}",
        f"- 1-minute load average: {'; '.join(loads) or 'not recorded'} (other work on the machine slows every row)",
    ]


def render(runs: list[tuple[dict, Path]]) -> str:
    """The page for one or more runs (a 10,000-page and a 100,000-page run, say): their rows in
    one table, in the order given."""
    every = [row for results, _ in runs for row in results["rows"]]
    rows = table_rows(every)
    notes = [f"- {row['pages']:,} {row['measure'].strip()}: {cell(row['note'])}" for row in every if row.get("note")]
    out = [
        "# Performance",
        "",
        "The current figures of `benchmarks/build_benchmark.py`, written by `benchmarks/performance_table.py`",
        "from the run's `results.json` (do not edit by hand; earlier runs are in this file's git history).",
        "A target is reported, never asserted by a test.",
        "",
        *(line for results, source in runs for line in describe_run(results, source)),
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "|".join("---:" if i in (0, 2, 3, 4) else "---" for i in range(len(HEADER))) + "|",
        *("| " + " | ".join(cell(c) for c in line) + " |" for line in rows),
        "",
        "× rdflib: the row's pages/s over rdflib's JSON-LD parser on a sample of the same pages.",
        "",
        "Notes:",
        "",
        *notes,
        "",
    ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "results", type=Path, nargs="+", help="results.json of benchmarks/build_benchmark.py (one or more runs)"
    )
    parser.add_argument("--write", type=Path, metavar="FILE", help="write the page here (docs/performance.md)")
    args = parser.parse_args(argv)
    page = render([(json.loads(path.read_text(encoding="utf-8")), path) for path in args.results])
    if args.write:
        args.write.write_text(page, encoding="utf-8")
    else:
        sys.stdout.write(page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
