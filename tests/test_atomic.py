"""A build killed half-way leaves the previous store and exports as they were."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from kg.sources import example_corpus
from kg.store import open_store


def write_corpus(folder: Path, copies: int) -> Path:
    """`copies` variants of every example page, each under its own URL."""
    folder.mkdir(parents=True)
    for page in sorted(example_corpus().glob("*.txt")):
        text = page.read_text("utf-8")
        for n in range(copies):
            variant = text.replace("https://glossary.example.org/", f"https://copy{n}.glossary.example.org/")
            (folder / f"{page.stem}-{n}.txt").write_text(variant, "utf-8")
    return folder


def build(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "kg", "build", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )


def children(pid: int) -> list[int]:
    """The processes `pid` started, but multiprocessing's resource tracker (it ends by itself)."""
    found = subprocess.run(["ps", "-o", "pid=,args=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(line.split()[0]) for line in found.stdout.splitlines() if "resource_tracker" not in line]


def running(pid: int) -> str | None:
    """The state and command line of a process that has not exited, else None. An exited
    process stays a zombie until its new parent (init, here) reaps it, which can take a
    while on a loaded machine; it holds no memory and runs nothing."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")[:120].decode(errors="replace")
    except (OSError, IndexError):
        return None
    return None if state == "Z" else f"{pid} {state} {command}"


def wait_for(condition, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return False


def test_killed_build_keeps_previous_store_and_exports(tmp_path: Path):
    out = tmp_path / "out"
    small = write_corpus(tmp_path / "small", 1)
    assert build(str(small), "-o", str(out)).wait() == 0
    before_ttl = (out / "graph.ttl").read_bytes()
    before_quads = len(open_store(out))

    large = write_corpus(tmp_path / "large", 60)
    staged = lambda: list(out.glob(".staging-*"))  # noqa: E731
    exporting = lambda: list(out.glob(".staging-*/.graph.ttl.*.partial"))  # noqa: E731
    kill_points = {
        "reading pages": lambda: wait_for(staged),
        "writing the store": lambda: wait_for(staged) and time.sleep(1.0) is None,
        "exporting": lambda: wait_for(exporting),
    }
    survived = []
    for point, reached in kill_points.items():
        process = build(str(large), "-o", str(out), "--full")
        assert reached(), f"the build never reached {point}"
        assert process.poll() is None, f"the build ended before the kill point {point}"
        workers = children(process.pid)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        # Its worker processes do not outlive it.
        assert wait_for(lambda: not any(running(pid) for pid in workers), 10), (point, [running(p) for p in workers])  # noqa: B023
        assert (out / "graph.ttl").read_bytes() == before_ttl, point
        assert len(open_store(out)) == before_quads, point
        survived.append(point)
    assert survived == list(kill_points)

    # The next build succeeds and sweeps what the killed ones left behind.
    assert build(str(small), "-o", str(out)).wait() == 0
    assert (out / "graph.ttl").read_bytes() == before_ttl
    assert not list(out.glob(".staging-*"))


def facts_token(out: Path) -> str | None:
    from kg.factstore import FactStore

    facts = FactStore.reader(out)
    try:
        return facts.token if facts is not None else None
    finally:
        if facts is not None:
            facts.close()


def corpus_token(out: Path) -> str | None:
    from kg.corpusdb import CORPUS_FILE, CorpusDB

    db = CorpusDB(out / ".scratch", 1, path=out / CORPUS_FILE)
    try:
        return db.get("token")
    finally:
        db.close()


def test_a_killed_incremental_build_keeps_the_build_and_facts_and_the_next_is_right(tmp_path: Path):
    from kg.factstore import store_token

    out = tmp_path / "out"
    corpus = write_corpus(tmp_path / "corpus", 60)
    # The corpus tables are kept in the build folder (corpus.duckdb), as for a large corpus.
    kept = {"KG_CORPUS_ON_DISK_FROM_PAGES": "0"}
    assert build(str(corpus), "-o", str(out), env=kept).wait() == 0
    assert corpus_token(out) == facts_token(out)
    before_ttl = (out / "graph.ttl").read_bytes()
    before_quads = len(open_store(out))
    before_token = facts_token(out)
    assert before_token and store_token(open_store(out)) == before_token
    for path in sorted(corpus.glob("area-state-channels-*.txt"))[:20]:
        path.write_text(path.read_text("utf-8").replace("Mechanism ⎊", "Mechanism (revised) ⎊", 1), "utf-8")

    staged = lambda: list(out.glob(".staging-*"))  # noqa: E731
    kill_points = {
        # The facts store is written in place, in one transaction, from the start.
        "updating the facts": lambda: wait_for(staged, 300) and time.sleep(0.3) is None,
        # The kept corpus tables take the changed pages (their token cleared first).
        "changing the corpus tables": lambda: wait_for(lambda: (out / "corpus.duckdb.wal").exists(), 300),
        "applying the layer delta": lambda: wait_for(lambda: list(out.glob(".staging-*/kg-layer-*")), 300),
        "exporting": lambda: wait_for(lambda: list(out.glob(".staging-*/.graph.ttl*.partial")), 300),
    }
    for point, reached in kill_points.items():
        process = build(str(corpus), "-o", str(out), env=kept)
        assert reached(), f"the build never reached {point}"
        assert process.poll() is None, f"the build ended before the kill point {point}"
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        assert (out / "graph.ttl").read_bytes() == before_ttl, point
        assert len(open_store(out)) == before_quads, point
        assert facts_token(out) == before_token == store_token(open_store(out)), point

    # The next build is incremental and right: what a full build of the same pages makes.
    done = build(str(corpus), "-o", str(out), env=kept)
    _, stderr = done.communicate(timeout=600)
    assert done.returncode == 0 and b"480 pages unchanged" not in stderr and b"unchanged" in stderr, stderr
    full = tmp_path / "full"
    assert build(str(corpus), "-o", str(full)).wait() == 0
    assert (out / "graph.ttl").read_bytes() == (full / "graph.ttl").read_bytes()
    assert b"Mechanism (revised)" in (out / "graph.ttl").read_bytes()
    assert facts_token(out) == facts_token(full) == store_token(open_store(out)) == corpus_token(out)


def test_interrupt_gives_a_clean_message(tmp_path: Path):
    out = tmp_path / "out"
    large = write_corpus(tmp_path / "large", 60)
    process = build(str(large), "-o", str(out))
    deadline = time.monotonic() + 30
    while not list(out.glob(".staging-*")) and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.3)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert b"interrupted; the previous build is intact" in stderr
    assert b"Traceback" not in stderr
    assert not list(out.glob(".staging-*"))


def test_a_worker_killed_mid_build_gives_a_clean_message(tmp_path: Path):
    out = tmp_path / "out"
    large = write_corpus(tmp_path / "large", 60)  # 480 files: converted by worker processes
    process = build(str(large), "-o", str(out))

    assert wait_for(lambda: bool(children(process.pid)) and bool(list(out.glob(".staging-*")))), "no worker started"
    os.kill(children(process.pid)[0], signal.SIGKILL)
    _, stderr = process.communicate(timeout=60)
    if process.returncode == 0:  # the worker had finished its share before the kill landed
        return
    assert process.returncode == 1, stderr
    assert b"a worker process converting pages died" in stderr
    assert b"Traceback" not in stderr
    assert not (out / "store").exists()
    assert not list(out.glob(".staging-*"))
