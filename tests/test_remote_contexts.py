"""Remote contexts: refused by default, fetched only when allowed, then only from the named host,
from public addresses (or a host the user names), within one deadline, and once per build.

A real HTTP server on 127.0.0.1 stands in for the remote host and counts every connection;
the tests name it with --allow-context-host 127.0.0.1, as a user would for a host of theirs.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli.common import main

CONTEXT = {"@context": {"@vocab": "http://schema.org/", "title": "http://schema.org/name"}}


class TrapServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), TrapHandler)
        self.requests: list[str] = []
        self.cut_off: list[str] = []

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request, client_address) -> None:
        # kg stops reading /huge.jsonld at its size limit and closes the connection, as it
        # should; the server's write then fails, and socketserver would print that traceback
        # into the output the test checks (now and then: when the write was still going).
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


class TrapHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.server.requests.append(self.path)
        if self.path == "/context.jsonld":
            body, status = json.dumps(CONTEXT).encode(), 200
        elif self.path == "/huge.jsonld":
            body, status = b'{"@context": {"x": "' + b"y" * 3_000_000 + b'"}}', 200
        elif self.path == "/slow.jsonld":  # the headers, then one byte a second, for a minute
            self.send_response(200)
            self.send_header("Content-Type", "application/ld+json")
            self.send_header("Content-Length", "60")
            self.end_headers()
            try:
                for _ in range(60):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(1)
            except OSError:
                self.server.cut_off.append(self.path)
            return
        elif self.path == "/moved.jsonld":
            self.send_response(302)
            self.send_header("Location", "/context.jsonld")
            self.end_headers()
            return
        elif self.path == "/elsewhere.jsonld":
            self.send_response(302)
            self.send_header("Location", "http://localhost:1/context.jsonld")
            self.end_headers()
            return
        else:
            body, status = b"{}", 404
        self.send_response(status)
        self.send_header("Content-Type", "application/ld+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def trap():
    server = TrapServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def page(folder: Path, name: str, context_url: str) -> Path:
    block = json.dumps({"@context": context_url, "@type": "DefinedTerm", "title": "Hash Time Lock"})
    (folder / name).write_text(
        f"# {name}\n\n```json\n{block}\n```\n\n**Original URL:** https://glossary.example.org/{name}/\n", "utf-8"
    )
    return folder / name


def build(folder: Path, out: Path, *extra: str):
    result = CliRunner().invoke(main, ["build", str(folder), "-o", str(out), *extra])
    assert "Traceback" not in result.output
    return result


def test_refused_without_permission_and_no_connection_made(trap: TrapServer, tmp_path: Path):
    page(tmp_path, "remote.txt", f"{trap.base}/context.jsonld")
    result = build(tmp_path, tmp_path / "out")
    assert result.exit_code == 2
    assert f"error: remote.txt: block 1 (line 3): remote context {trap.base}/context.jsonld refused" in result.output
    assert trap.requests == []


HERE = ("--allow-remote-contexts", "--allow-context-host", "127.0.0.1")


def test_allowed_fetch_reaches_only_the_named_host(trap: TrapServer, tmp_path: Path):
    page(tmp_path, "remote.txt", f"{trap.base}/context.jsonld")
    out = tmp_path / "out"
    result = build(tmp_path, out, *HERE)
    assert result.exit_code == 0, result.output
    assert trap.requests == ["/context.jsonld"]
    assert '"Hash Time Lock"' in (out / "graph.ttl").read_text("utf-8")


def test_allowed_fetch_is_bounded_in_size_and_host(trap: TrapServer, tmp_path: Path):
    page(tmp_path, "huge.txt", f"{trap.base}/huge.jsonld")
    page(tmp_path, "moved.txt", f"{trap.base}/elsewhere.jsonld")
    page(tmp_path, "good.txt", "https://schema.org")
    result = build(tmp_path, tmp_path / "out", *HERE)
    assert result.exit_code == 1
    assert f"remote context {trap.base}/huge.jsonld is larger than 2000000 bytes" in result.output
    assert "redirect to another host (http://localhost:1/context.jsonld) refused" in result.output
    assert sorted(trap.requests) == ["/elsewhere.jsonld", "/huge.jsonld"]


def test_mapped_context_needs_no_network(trap: TrapServer, tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    page(corpus, "remote.txt", f"{trap.base}/context.jsonld")
    local = tmp_path / "context.jsonld"
    local.write_text(json.dumps(CONTEXT), "utf-8")
    result = build(corpus, tmp_path / "out", "--context", f"{trap.base}/context.jsonld={local}")
    assert result.exit_code == 0, result.output
    assert trap.requests == []


def test_loopback_private_and_link_local_addresses_are_refused(trap: TrapServer, tmp_path: Path):
    port = trap.server_address[1]
    named = {
        "loopback.txt": (f"{trap.base}/context.jsonld", "127.0.0.1 is a loopback address"),
        "localhost.txt": (f"http://localhost:{port}/context.jsonld", "is a loopback address"),
        "ipv6.txt": (f"http://[::1]:{port}/context.jsonld", "::1 is a loopback address"),
        "metadata.txt": ("http://169.254.169.254/latest/meta-data/ctx", "169.254.169.254 is a link-local address"),
        "lan.txt": ("http://192.168.1.10/ctx.jsonld", "192.168.1.10 is a private address"),
        "multicast.txt": ("http://224.0.0.1/ctx.jsonld", "224.0.0.1 is a multicast address"),
    }
    for name, (url, _) in named.items():
        page(tmp_path, name, url)
    result = build(tmp_path, tmp_path / "out", "--allow-remote-contexts")
    assert result.exit_code == 2
    for name, (url, reason) in named.items():
        assert f"{name}: block 1 (line 3): remote context {url} refused: " in result.output, name
        assert reason in result.output, name
    assert "kg fetches contexts only from public ones (allow this host with --allow-context-host 127.0.0.1)" in (
        result.output
    )
    assert trap.requests == []


def test_a_redirect_within_the_allowed_host_is_followed_and_checked(trap: TrapServer, tmp_path: Path):
    page(tmp_path, "moved.txt", f"{trap.base}/moved.jsonld")
    result = build(tmp_path, tmp_path / "out", *HERE)
    assert result.exit_code == 0, result.output
    assert trap.requests == ["/moved.jsonld", "/context.jsonld"]


def test_a_slow_server_is_cut_off_at_one_deadline_and_asked_once(trap: TrapServer, tmp_path: Path):
    from kg import BuildConfig
    from kg import build as run_build

    for name in ("one.txt", "two.txt", "three.txt"):
        page(tmp_path, name, f"{trap.base}/slow.jsonld")
    config = BuildConfig(
        output=tmp_path / "out", allow_remote_contexts=True, context_hosts=frozenset({"127.0.0.1"}), remote_timeout=3
    )
    report = run_build([str(tmp_path)], config)
    errors = [message for level, message in report.messages() if level == "error"]
    assert (
        errors[0]
        == f"one.txt: block 1 (line 3): remote context {trap.base}/slow.jsonld took longer than 3 s to fetch; stopped"
    )
    assert errors[1:] == [
        f"{name}: block 1 (line 3): remote context {trap.base}/slow.jsonld took longer than 3 s to fetch; stopped "
        "(failed before in this build; not asked again)"
        for name in ("three.txt", "two.txt")
    ]
    assert trap.requests == ["/slow.jsonld"]  # one fetch for the three pages
    deadline = time.monotonic() + 10
    while not trap.cut_off and time.monotonic() < deadline:  # the server notices at its next byte
        time.sleep(0.1)
    assert trap.cut_off == ["/slow.jsonld"]  # kg hung up long before the server's minute was over
