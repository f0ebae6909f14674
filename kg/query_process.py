"""A query in a child process (kg/query_worker.py), its result read as the child writes it.

`kg query` runs each query in a child process so that a time limit or Ctrl-C can stop it
(pyoxigraph cannot interrupt a query). The child serializes the result row by row into
its pipe, and `stream_query` passes it on to the output as it comes: a result of a
hundred million rows takes the memory of a pipe's buffer, not of the result.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from .errors import QueryError, QuerySyntaxError, QueryTimeout, StoreError
from .results import QUERY_PREFIXES, result_format, table_lines
from .terminal import EscapingWriter, printable

CHUNK = 1 << 16


class QueryProcess:
    """One query running in a child process: `kind` once it started, `body` its result's
    bytes as they come; killed at `timeout` seconds (None or 0: no limit) and on leaving.

    `results` and `rdf` are the formats the child writes (file extensions: "srj", "tsv",
    "nt", "ttl" ...); by default SPARQL JSON and N-Triples. `default_graphs` / `named_graphs`
    set the dataset (the SPARQL Protocol's parameters); by default the union of all graphs.
    """

    def __init__(
        self,
        store_dir: Path,
        text: str,
        bindings: dict | None = None,
        timeout: float | None = None,
        *,
        results: str | None = None,
        rdf: str | None = None,
        rdf_prefixes: dict | None = None,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
    ) -> None:

        self.store_dir, self.text, self.timeout = store_dir, text, timeout
        self.started = time.perf_counter()
        self.timed_out = False
        request = {
            "store": str(store_dir),
            "query": text,
            "prefixes": QUERY_PREFIXES,
            "bindings": {name: str(term) for name, term in (bindings or {}).items()},
            "results": results,
            "rdf": rdf,
            "rdf_prefixes": rdf_prefixes,
            "default_graphs": default_graphs,
            "named_graphs": named_graphs,
        }
        self.child = subprocess.Popen(
            [sys.executable, "-c", _worker_source()],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.timer = threading.Timer(timeout, self._expire) if timeout else None
        if self.timer is not None:
            self.timer.daemon = True
            self.timer.start()
        try:
            self.child.stdin.write(json.dumps(request).encode())
            self.child.stdin.close()
            self.kind = self._header()
        except BaseException:
            self.close()
            raise
        self.body: BinaryIO = self.child.stdout

    def _expire(self) -> None:
        self.timed_out = True
        self.child.kill()

    def _header(self) -> str:
        line = self.child.stdout.readline()
        try:
            header = json.loads(line)
        except ValueError:
            self.child.wait()
            self._check_time()
            lines = self.child.stderr.read().decode(errors="replace").strip().splitlines()
            detail = lines[-1] if lines else f"exit code {self.child.returncode}"
            raise QueryError(f"the query process failed: {detail}") from None
        if header.get("error") == "syntax":
            from .sparql import syntax_error

            raise QuerySyntaxError(syntax_error(SyntaxError(header["message"]), self.text))
        if header.get("error") == "store":
            raise StoreError(f"cannot open the store in {self.store_dir}: {header['message']}")
        if "error" in header:
            raise _failure(header["message"])
        return header["kind"]

    def _check_time(self) -> None:
        if self.timed_out:
            raise QueryTimeout(
                f"the query ran past the time limit of {self.timeout:g}s and was stopped "
                "(allow more with --timeout SECONDS, or --timeout 0 for no limit)"
            )

    def finish(self) -> float:
        """Wait for the child's end; raise what stopped it early. Returns the seconds taken."""
        self.child.stdout.read()  # what the caller left unread (nothing, normally)
        self.child.wait()
        self._check_time()
        if self.child.returncode != 0:
            lines = self.child.stderr.read().decode(errors="replace").strip().splitlines()
            try:
                detail = json.loads(lines[-1])["message"]
            except (IndexError, ValueError, KeyError, TypeError):
                detail = lines[-1] if lines else f"exit code {self.child.returncode}"

            raise _failure(detail)
        return time.perf_counter() - self.started

    def close(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        if self.child.poll() is None:
            self.child.kill()
        self.child.wait()
        for pipe in (self.child.stdin, self.child.stdout, self.child.stderr):
            if pipe is not None and not pipe.closed:
                pipe.close()

    def __enter__(self) -> QueryProcess:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def stream_query(
    store_dir: Path,
    text: str,
    bindings: dict | None,
    out: BinaryIO,
    *,
    format_name: str | None = None,
    timeout: float | None = None,
    width: int | None = None,
    terminal: bool = False,
) -> str:
    """Run a query in a child process and write its result to `out` in `format_name` as it
    comes (see results.RESULT_FORMATS); `terminal`: escape what would steer a terminal.
    Returns the result's kind ("select", "ask" or "graph")."""
    from .offline import refuse_fetching
    from .sparql import bind_with_values

    refuse_fetching(text)
    text, bindings = bind_with_values(text, bindings)
    if format_name not in (None, "table"):  # the child writes the format itself
        chosen = result_format(format_name, "graph" if format_name not in ("csv", "tsv", "json", "xml") else "select")
        formats = {"rdf": chosen.rdf.file_extension} if chosen.rdf else {"results": chosen.results.file_extension}
    else:
        chosen, formats = None, {"results": "tsv", "rdf": "ttl"}
    prefixes = QUERY_PREFIXES if formats.get("rdf") in ("ttl", "trig") else None
    with QueryProcess(store_dir, text, bindings, timeout, rdf_prefixes=prefixes, **formats) as process:
        result_format(format_name, process.kind)  # -f csv for a CONSTRUCT: refused before any output
        if process.kind == "select" and chosen is None:  # the table, from the TSV the child writes
            solutions = ox.parse_query_results(process.body, ox.QueryResultsFormat.TSV)
            try:
                for line in table_lines(solutions, width=width):
                    out.write(printable(line).encode("utf-8"))
            except (SyntaxError, ValueError):  # a row cut short: the child was stopped mid-write
                process.finish()  # says why: the time limit, or the child's failure
                raise QueryError("the query's result ended in the middle of a row") from None
        elif process.kind == "ask" and chosen is None:
            answer = bool(ox.parse_query_results(process.body.read(), ox.QueryResultsFormat.TSV))
            out.write(b"true\n" if answer else b"false\n")
        else:
            writer = EscapingWriter(out) if terminal else out
            while chunk := process.body.read1(CHUNK):
                writer.write(chunk)
            writer.flush()
        process.finish()
        return process.kind


_UNPROJECTED = re.compile(r"does not contains? variable \?(\S+) in its SELECT projection")


def _failure(message: str) -> QueryError:
    unprojected = _UNPROJECTED.search(message)
    if unprojected:
        name = unprojected.group(1)
        return QueryError(
            f"--bind {name}=... needs ?{name} in the query's SELECT clause: SPARQL pre-binding "
            "(SEP-0007, which Oxigraph follows) only binds variables the query returns"
        )
    return QueryError(f"the query failed: {message}")


def _worker_source() -> str:
    return Path(__file__).with_name("query_worker.py").read_text(encoding="utf-8")
