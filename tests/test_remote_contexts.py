"""Remote contexts: refused by default, fetched only when allowed, and then only from the named host.

A real HTTP server on 127.0.0.1 stands in for the remote host and counts every connection.
"""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import main

CONTEXT = {"@context": {"@vocab": "http://schema.org/", "title": "http://schema.org/name"}}


class TrapServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), TrapHandler)
        self.requests: list[str] = []

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


def test_allowed_fetch_reaches_only_the_named_host(trap: TrapServer, tmp_path: Path):
    page(tmp_path, "remote.txt", f"{trap.base}/context.jsonld")
    out = tmp_path / "out"
    result = build(tmp_path, out, "--allow-remote-contexts")
    assert result.exit_code == 0, result.output
    assert trap.requests == ["/context.jsonld"]
    assert '"Hash Time Lock"' in (out / "graph.ttl").read_text("utf-8")


def test_allowed_fetch_is_bounded_in_size_and_host(trap: TrapServer, tmp_path: Path):
    page(tmp_path, "huge.txt", f"{trap.base}/huge.jsonld")
    page(tmp_path, "moved.txt", f"{trap.base}/elsewhere.jsonld")
    page(tmp_path, "good.txt", "https://schema.org")
    result = build(tmp_path, tmp_path / "out", "--allow-remote-contexts")
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
