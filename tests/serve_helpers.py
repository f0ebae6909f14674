"""A real `kg serve` process on 127.0.0.1 for the tests, and small HTTP helpers (standard library only)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    def __init__(self, process: subprocess.Popen, port: int, log: Path) -> None:
        self.process, self.port, self.log = process, port, log
        self.url = f"http://127.0.0.1:{port}/"

    def get(self, path: str, accept: str | None = None, **params) -> tuple[int, dict, bytes]:
        url = self.url + path.lstrip("/")
        if params:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
        return fetch(url, accept=accept)

    def post(self, path: str, body: bytes, content_type: str, accept: str | None = None) -> tuple[int, dict, bytes]:
        return fetch(self.url + path.lstrip("/"), data=body, content_type=content_type, accept=accept)

    def sparql(self, query: str, accept: str = "application/sparql-results+json", **params):
        return self.get("sparql", accept=accept, query=query, **params)

    def logged(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def fetch(url: str, *, data: bytes | None = None, content_type: str | None = None, accept: str | None = None):
    headers = {}
    if accept:
        headers["Accept"] = accept
    if content_type:
        headers["Content-Type"] = content_type
    request = urllib.request.Request(url, data=data, headers=headers, method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@contextmanager
def running_server(output: Path, *args: str, ready_path: str = "search?q=a"):
    """`kg serve -o OUTPUT ARGS` on a free loopback port, answering; stopped (SIGINT) on leaving."""
    port = free_port()
    log = Path(output).parent / f"serve-{port}.log"
    with open(log, "wb") as stream:
        process = subprocess.Popen(
            [sys.executable, "-m", "kg", "serve", "-o", str(output), "--port", str(port), *args],
            stdout=stream,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    server = Server(process, port, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise AssertionError(f"kg serve exited with {process.returncode}:\n{server.logged()}")
            try:
                status, _, _ = server.get(ready_path, accept="application/json")
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"kg serve did not answer in 60 s:\n{server.logged()}")
            time.sleep(0.1)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
