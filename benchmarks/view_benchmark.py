"""How long a big concept network's page takes to be drawn and idle in headless Chromium (not a test).

    .venv/bin/python benchmarks/view_benchmark.py              # 2,000 concepts, 3 page loads
    .venv/bin/python benchmarks/view_benchmark.py --nodes 5000 --runs 5 --screenshot /tmp/big.png

It writes a synthetic glossary store (tests/concept_fixtures.py: one area per 25
concepts, each concept in one to three areas), times the Python side (store -> table,
then selection, texts, layout and page), then opens the page from file:// and reports,
per load, the time from navigation start until the page says it is drawn (`kg.readyAt`, the
page's own clock) and the wall time from `goto` until then; it then watches for one
second to check the page is idle (no redraw). The target is under 3 s to drawn and idle.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from concept_fixtures import synthetic, write_store  # noqa: E402

from kg.network import add_details, load_concepts  # noqa: E402
from kg.store import open_store  # noqa: E402
from kg.view import render, select  # noqa: E402

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TARGET_SECONDS = 3.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--screenshot", type=Path, help="save a screenshot of the last load here")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "out"
        write_store(output, synthetic(args.nodes))
        started = time.perf_counter()
        network = load_concepts(output)
        loaded = time.perf_counter()
        shown, note, rank = select(network, max_nodes=None)
        add_details(open_store(output), shown, shown.nodes)
        page = render(shown, title=f"Benchmark: {args.nodes:,} concepts", note=note, rank=rank)
        rendered = time.perf_counter()
        html = output / "graph.html"
        html.write_text(page, encoding="utf-8")
        print(
            f"machine: {platform.machine()} ({os.cpu_count()} CPUs), {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}"
        )
        print(f"network: {len(network):,} concepts, {len(network.heads):,} relations")
        print(
            f"python: store -> table {loaded - started:.2f} s; the rest {rendered - loaded:.2f} s; "
            f"page {len(page.encode()) / 1e6:.1f} MB"
        )

        ready, wall, idle = [], [], []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
            print(f"browser: Chromium {browser.version}")
            for _ in range(args.runs):
                context = browser.new_context(viewport={"width": 1280, "height": 800})
                tab = context.new_page()
                requests: list[str] = []
                tab.on("request", lambda request, seen=requests: seen.append(request.url))
                begin = time.perf_counter()
                tab.goto(html.as_uri())
                tab.wait_for_function("() => window.kg && window.kg.ready === true", timeout=120_000)
                wall.append(time.perf_counter() - begin)
                ready.append(tab.evaluate("() => kg.readyAt") / 1000)
                draws = tab.evaluate("() => kg.draws")
                tab.wait_for_timeout(1000)
                idle.append(tab.evaluate("() => kg.draws") == draws)
                assert tab.evaluate("() => kg.network.body.data.nodes.length") == shown.number_of_nodes()
                assert requests == [html.as_uri()], requests
                if args.screenshot:
                    tab.screenshot(path=str(args.screenshot))
                context.close()
            browser.close()

    for run, (r, w, i) in enumerate(zip(ready, wall, idle, strict=True), 1):
        print(
            f"load {run}: drawn {r:.2f} s after navigation start (wall {w:.2f} s), idle after: {'yes' if i else 'NO'}"
        )
    median = statistics.median(ready)
    verdict = "met" if median < TARGET_SECONDS and all(idle) else "MISSED"
    print(f"median: drawn and idle {median:.2f} s after navigation start; target < {TARGET_SECONDS:.0f} s {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
