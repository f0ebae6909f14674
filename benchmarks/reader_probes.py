"""Probes of the readers with hostile or unlucky inputs: time, peak memory and exit code of `kg build`.

    .venv/bin/python benchmarks/reader_probes.py [--workdir /tmp/kg-probes] [--baseline-path OLD_CHECKOUT]

Each case is a corpus written here, built by `kg build` in a child process; the peak RSS is the
child's (wait4), the time its wall time. With --baseline-path the same cases are also built by the
kg found there (a checkout of an older version, put first on PYTHONPATH), side by side in this run.
Cases: a crawler dump of 40,000 JSON fences; the same blocks as one HTML page; a 45 MB HTML page of
millions of tiny elements; a symlink to /dev/zero, a FIFO and a symlink loop beside a good page.
Figures are printed, never asserted; a case over --timeout is stopped and says so.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

FENCES = 40_000
TINY_ELEMENTS = 5_000_000


def _block(i: int) -> str:
    return json.dumps({"@context": "https://schema.org", "@type": "DefinedTerm", "@id": f"#t{i}", "name": f"term {i}"})


def case_dump_fences(folder: Path) -> None:
    body = "".join(f"Term {i}.\n\n```json\n{_block(i)}\n```\n\n" for i in range(FENCES))
    (folder / "fences.txt").write_text(f"# Many\n\n**Original URL:** https://probe.example/many\n\n{body}")


def case_html_scripts(folder: Path) -> None:
    scripts = "".join(
        f'<p>Term {i}.</p><script type="application/ld+json">{_block(i)}</script>\n' for i in range(FENCES)
    )
    (folder / "scripts.html").write_text(
        f'<!doctype html><html><head><link rel="canonical" href="https://probe.example/many"></head><body>{scripts}</body></html>'
    )


def case_tiny_elements(folder: Path) -> None:
    ld = _block(0)
    with (folder / "tiny.html").open("w") as fh:
        fh.write('<!doctype html><html><head><link rel="canonical" href="https://probe.example/tiny">')
        fh.write(f'<script type="application/ld+json">{ld}</script></head><body>')
        piece = "<i>a</i>" * 1000
        for _ in range(TINY_ELEMENTS // 1000):
            fh.write(piece)
        fh.write("</body></html>")


def _good_page(folder: Path) -> None:
    (folder / "good.html").write_text(
        '<link rel="canonical" href="https://probe.example/good">'
        f'<script type="application/ld+json">{_block(1)}</script>'
    )


def case_dev_zero(folder: Path) -> None:
    _good_page(folder)
    (folder / "zero.html").symlink_to("/dev/zero")


def case_fifo(folder: Path) -> None:
    _good_page(folder)
    os.mkfifo(folder / "fifo.html")


def case_symlink_loop(folder: Path) -> None:
    _good_page(folder)
    (folder / "a.html").symlink_to("b.html")
    (folder / "b.html").symlink_to("a.html")


CASES = {
    "dump, 40,000 fences": case_dump_fences,
    "HTML, 40,000 scripts": case_html_scripts,
    "HTML, 45 MB of tiny elements": case_tiny_elements,
    "symlink to /dev/zero": case_dev_zero,
    "FIFO": case_fifo,
    "symlink loop": case_symlink_loop,
}


MEMORY_CAP = 8 << 30  # address space per build: a runaway read ends in MemoryError, not in the machine's swap


def _cap_memory() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def run_build(corpus: Path, output: Path, pythonpath: str | None, timeout: float) -> tuple[float, float, str, str]:
    """(seconds, peak MB, exit code or 'timeout', last line of stderr) of one `kg build`."""
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    shutil.rmtree(output, ignore_errors=True)
    log = output.with_suffix(".log")
    started = time.perf_counter()
    with log.open("w") as err:
        child = subprocess.Popen(
            [sys.executable, "-m", "kg", "build", str(corpus), "-o", str(output), "--page-timeout", "0"],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=env,
            start_new_session=True,
            preexec_fn=_cap_memory,
        )
        deadline = started + timeout
        status = None
        while status is None:
            pid, raw, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                status = raw
                break
            if time.perf_counter() > deadline:
                os.killpg(child.pid, signal.SIGKILL)
                _, raw, usage = os.wait4(child.pid, 0)
                status = "timeout"
                break
            time.sleep(0.05)
    seconds = time.perf_counter() - started
    code = status if status == "timeout" else str(os.waitstatus_to_exitcode(status))
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    summary = next(
        (line for line in lines if " pages (" in line or line.startswith("1 page (")), lines[-1] if lines else ""
    )
    return seconds, usage.ru_maxrss / 1024, code, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/kg-probes"))
    parser.add_argument("--baseline-path", help="a kg checkout to run beside this one (put first on PYTHONPATH)")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--case", action="append", choices=list(CASES), help="run only these cases")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} at start", flush=True)
    for name in args.case or list(CASES):
        corpus = args.workdir / name.replace(" ", "_").replace(",", "").replace("/", "")
        shutil.rmtree(corpus, ignore_errors=True)
        corpus.mkdir(parents=True)
        CASES[name](corpus)
        runs = [("baseline", args.baseline_path)] if args.baseline_path else []
        runs.append(("this", None))
        for label, path in runs:
            seconds, peak, code, summary = run_build(
                corpus, corpus.with_name(corpus.name + f"-{label}"), path, args.timeout
            )
            print(f"{name:30} {label:8} {seconds:8.1f} s {peak:8.0f} MB  exit {code:7}  {summary[:110]}", flush=True)


if __name__ == "__main__":
    main()
