"""kg push and --endpoint against real servers on 127.0.0.1: Oxigraph's and Virtuoso's.

Each server is started on a new database for this module; the example corpus is built
once, pushed, and read back with the query library. A tiny server that fails on purpose
(500s, or no answer) is started by the tests that need one.
"""

from __future__ import annotations

import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sparql_servers import oxigraph_command, start_oxigraph, start_virtuoso, virtuoso_available

from kg import BuildConfig, build
from kg.cli.common import main
from kg.library import library
from kg.query import run_in_child, store_dir
from kg.sparql import term_from_text
from kg.sparql_client import PASSWORD_VARIABLE, USER_VARIABLE, run_on_endpoint

# Virtuoso 7.2 evaluates an OPTIONAL whose join variable comes from a BIND before it as if
# the BIND were not there (checked by hand: without the OPTIONAL it finds the row), so these
# two library queries find nothing there. kg cannot change that; the test keeps them listed.
VIRTUOSO_DIFFERS = {"definitions-of", "facets-of"}


def _require(available: bool, what: str) -> None:
    if not available:
        if os.environ.get("CI"):
            pytest.fail(f"{what} is not installed (.ci/run installs it)")
        pytest.skip(f"{what} is not installed")


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Path:
    output = tmp_path_factory.mktemp("push") / "out"
    report = build(None, BuildConfig(output=output))
    assert report.committed and report.failed == 0
    return output


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def server(request, tmp_path_factory):
    if request.param == "oxigraph":
        _require(oxigraph_command() is not None, "the oxigraph server (pip install oxigraph)")
        started = start_oxigraph(tmp_path_factory.mktemp("oxigraph"))
    else:
        _require(virtuoso_available(), "Virtuoso (Debian virtuoso-opensource)")
        started = start_virtuoso(tmp_path_factory.mktemp("virtuoso"))
    yield started
    started.stop()


def _env(server) -> dict[str, str]:
    if server.credentials is None:
        return {}
    return {USER_VARIABLE: server.credentials[0], PASSWORD_VARIABLE: server.credentials[1]}


def _push(output: Path, server, *args: str):
    return CliRunner().invoke(main, ["push", "-o", str(output), "--to", server.store_url, *args], env=_env(server))


def _graph_counts(server) -> dict[str, int]:
    answer = run_on_endpoint(
        server.query_url,
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
        "FILTER(STRSTARTS(STR(?g), 'urn:kg:graph:') || STRSTARTS(STR(?g), 'https://glossary.example.org/')) } "
        "GROUP BY ?g",
    )
    return {row["g"]: int(row["n"]) for row in answer.rows()}


def _local_counts(output: Path) -> dict[str, int]:
    answer = run_in_child(store_dir(output), "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    return {row["g"]: int(row["n"]) for row in answer.rows()}


def _clear(server) -> None:
    """Drop what an earlier test pushed: each graph by the Graph Store's DELETE."""
    import urllib.parse

    from kg.sparql_client import Client

    os.environ.update(_env(server))
    try:
        client = Client(server.store_url)
        for graph in _graph_counts(server):
            url = f"{server.store_url}?{urllib.parse.urlencode({'graph': graph})}"
            client.send("DELETE", url, f"clearing {graph}")
    finally:
        for name in _env(server):
            os.environ.pop(name, None)
    assert _graph_counts(server) == {}


def _rows(answer) -> list[str]:
    if answer.kind == "select":
        return sorted(json.dumps(row, sort_keys=True) for row in answer.rows())
    if answer.kind == "graph":
        return sorted(answer.data.decode().splitlines())
    return [str(answer.boolean())]


def test_push_then_query_endpoint_gives_the_local_rows(example: Path, server):
    _clear(server)
    result = _push(example, server, "--batch-bytes", "20000")
    assert result.exit_code == 0, result.output
    local = _local_counts(example)
    assert f"pushed {len(local)} graphs" in result.output
    assert _graph_counts(server) == local  # every graph, every triple, once
    compared = []
    for name, query in library().items():
        bindings = {pname: term_from_text(value) for pname, value in query.examples}
        mine = run_in_child(store_dir(example), query.text, bindings)
        theirs = run_on_endpoint(server.query_url, query.text, bindings)
        if server.name == "virtuoso" and name in VIRTUOSO_DIFFERS:
            continue
        assert _rows(theirs) == _rows(mine), name
        compared.append((name, len(mine)))
    assert len(compared) >= 8 and sum(count for _, count in compared) > 700, compared
    # The CLI the same way: a library query, and -e, in CSV.
    for args in (["concept-layer", "-f", "ntriples"], ["-e", "SELECT ?c WHERE { ?c kg:kind 'area' }", "-f", "csv"]):
        here = CliRunner().invoke(main, ["query", "-o", str(example), *args])
        there = CliRunner().invoke(main, ["query", "--endpoint", server.query_url, *args])
        assert there.exit_code == 0, there.output
        assert sorted(there.output.splitlines()) == sorted(here.output.splitlines())
    here = CliRunner().invoke(main, ["stats", "-o", str(example)])
    there = CliRunner().invoke(main, ["stats", "--endpoint", server.query_url])
    assert there.exit_code == 0, there.output
    assert there.output == here.output


def test_replace_replaces_and_add_keeps(example: Path, server):
    _clear(server)
    assert _push(example, server).exit_code == 0
    stray = "<https://glossary.example.org/area/peer-to-peer/> <urn:kg:test:stray> 'x' ."
    import urllib.parse

    from kg.sparql_client import Client

    os.environ.update(_env(server))
    try:
        graph = urllib.parse.urlencode({"graph": "https://glossary.example.org/area/peer-to-peer/"})
        Client(server.store_url).send(
            "POST", f"{server.store_url}?{graph}", "stray", body=stray.encode(), headers={"Content-Type": "text/turtle"}
        )
    finally:
        for name in _env(server):
            os.environ.pop(name, None)
    local = _local_counts(example)
    page = "https://glossary.example.org/area/peer-to-peer/"
    assert _push(example, server).exit_code == 0  # adds: the stray triple stays, nothing doubles
    assert _graph_counts(server)[page] == local[page] + 1
    assert _push(example, server, "--replace", "--batch-bytes", "3000").exit_code == 0
    assert _graph_counts(server) == local


def test_a_killed_push_run_again_finishes_without_duplicates(example: Path, server):
    _clear(server)
    env = {**os.environ, **_env(server)}
    command = [
        sys.executable,
        "-m",
        "kg",
        "push",
        "-o",
        str(example),
        "--to",
        server.store_url,
        "--batch-bytes",
        "1000",
    ]
    journal_dir = example / ".push"
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    acknowledged = 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        journals = list(journal_dir.glob("*.tsv")) if journal_dir.is_dir() else []
        acknowledged = sum(1 for _ in open(journals[0])) if journals else 0
        if acknowledged >= 30:
            process.send_signal(signal.SIGKILL)
            break
        time.sleep(0.01)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the push ended before it could be killed"
    partial = _graph_counts(server)
    local = _local_counts(example)
    assert 0 < sum(partial.values()) < sum(local.values())
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert "batches acknowledged by an earlier push were skipped" in again.stderr
    skipped = int(again.stderr.split("; ")[-1].split()[0])
    assert skipped >= acknowledged
    assert _graph_counts(server) == local
    assert not list(journal_dir.glob("*.tsv"))  # a finished push leaves no journal


class _Failing(http.server.BaseHTTPRequestHandler):
    mode = "500"
    requests = 0

    def _answer(self):
        type(self).requests += 1
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        if self.mode == "hang":
            time.sleep(5)
            return
        self.send_response(500)
        self.send_header("Content-Length", "14")
        self.end_headers()
        self.wfile.write(b"disk is full\r\n")

    do_POST = do_PUT = do_GET = _answer

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("mode", ["500", "hang"])
def test_a_failing_server_gets_retries_then_a_clear_error(example: Path, mode: str):
    handler = type("Handler", (_Failing,), {"mode": mode, "requests": 0})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    before = (example / "graph.ttl").read_bytes(), _local_counts(example)
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/store"
        result = CliRunner().invoke(
            main, ["push", "-o", str(example), "--to", url, "--retries", "2", "--timeout", "0.5"]
        )
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert result.exit_code == 1
    first = sorted(_local_counts(example))[0]
    assert f"Error: pushing graph <{first}> (batch 1," in result.output
    reason = (
        "the server answered 500 Internal Server Error: disk is full" if mode == "500" else "no answer within 0.5 s"
    )
    assert f"{reason} (tried 3 times)" in result.output
    assert "The build folder is unchanged" in result.output and "run the same kg push again" in result.output
    assert "Traceback" not in result.output
    assert handler.requests == 3
    assert ((example / "graph.ttl").read_bytes(), _local_counts(example)) == before


def test_credentials_never_on_the_command_line(example: Path):
    result = CliRunner().invoke(main, ["push", "-o", str(example), "--to", "http://dba:secret@127.0.0.1:9/store"])
    assert result.exit_code == 1
    assert "credentials in a URL are not accepted" in result.output
    assert "secret" not in result.output


def test_virtuoso_takes_credentials_from_netrc_and_says_when_they_are_missing(example: Path, tmp_path: Path):
    _require(virtuoso_available(), "Virtuoso (Debian virtuoso-opensource)")
    server = start_virtuoso(tmp_path / "virtuoso")
    try:
        bare = CliRunner().invoke(main, ["push", "-o", str(example), "--to", server.store_url], env={"NETRC": "/none"})
        assert bare.exit_code == 1
        assert "the server asks for credentials, or refused the ones given" in bare.output
        netrc = tmp_path / "netrc"
        netrc.write_text(f"machine 127.0.0.1 login {server.credentials[0]} password {server.credentials[1]}\n")
        netrc.chmod(0o600)
        ok = CliRunner().invoke(main, ["push", "-o", str(example), "--to", server.store_url], env={"NETRC": str(netrc)})
        assert ok.exit_code == 0, ok.output
        assert _graph_counts(server) == _local_counts(example)
        assert "dba" not in ok.output
    finally:
        server.stop()
