"""Real SPARQL servers on 127.0.0.1 for the push and --endpoint tests: Oxigraph's and Virtuoso's.

Each runs in a folder of its own on free ports and is stopped (by its process id) at the end.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

VIRTUOSO = "virtuoso-t"
# Virtuoso's own account, which a fresh database has; the Graph Store's /sparql-graph-crud-auth
# asks for it by HTTP Digest.
VIRTUOSO_USER, VIRTUOSO_PASSWORD = "dba", "dba"


@dataclass
class Server:
    name: str
    query_url: str  # SPARQL query endpoint
    store_url: str  # Graph Store Protocol endpoint
    process: subprocess.Popen
    folder: Path
    credentials: tuple[str, str] | None = None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, process: subprocess.Popen, seconds: float, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited ({process.returncode}): {log.read_text(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise RuntimeError(f"no answer from {url} after {seconds:g} s: {log.read_text(errors='replace')[-2000:]}")


def oxigraph_command() -> str | None:
    found = Path(sys.executable).with_name("oxigraph")
    return str(found) if found.exists() else shutil.which("oxigraph")


def start_oxigraph(folder: Path) -> Server:
    """`oxigraph serve` on a new store, with the union of the graphs as the default graph (as kg's)."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = folder / "oxigraph.log"
    command = [oxigraph_command(), "serve", "--location", str(folder / "data"), "--bind", f"127.0.0.1:{port}"]
    process = subprocess.Popen([*command, "--union-default-graph"], stdout=open(log, "wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    _wait_for(f"{base}/query?query=ASK%7B%7D", process, 30, log)
    return Server("oxigraph", f"{base}/query", f"{base}/store", process, folder)


_VIRTUOSO_INI = """\
[Database]
DatabaseFile = {folder}/virtuoso.db
ErrorLogFile = {folder}/virtuoso.log
LockFile = {folder}/virtuoso.lck
TransactionFile = {folder}/virtuoso.trx
xa_persistent_file = {folder}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {folder}/virtuoso-temp.db
TransactionFile = {folder}/virtuoso-temp.trx

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
CheckpointInterval = 60
NumberOfBuffers = 20000
MaxDirtyBuffers = 15000
DirsAllowed = ., {folder}
CaseMode = 2
MaxQueryMem = 500M
ThreadsPerQuery = 2

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {folder}
ServerThreads = 10
MaxClientConnections = 10
Charset = UTF-8
EnabledDavVSP = 0

[SPARQL]
ResultSetMaxRows = 10000000
MaxQueryExecutionTime = 0
MaxQueryCostEstimationTime = 0
"""


def virtuoso_available() -> bool:
    return shutil.which(VIRTUOSO) is not None


def start_virtuoso(folder: Path) -> Server:
    """Virtuoso open source (Debian's virtuoso-t) on a new database, in the foreground."""
    folder.mkdir(parents=True, exist_ok=True)
    sql_port, http_port = free_port(), free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(_VIRTUOSO_INI.format(folder=folder, sql_port=sql_port, http_port=http_port))
    log = folder / "stdout.log"
    process = subprocess.Popen(
        [VIRTUOSO, "+foreground", "+configfile", str(ini)],
        cwd=folder,
        stdout=open(log, "wb"),
        stderr=subprocess.STDOUT,
        env={**os.environ, "LC_ALL": "C.UTF-8"},
    )
    base = f"http://127.0.0.1:{http_port}"
    _wait_for(f"{base}/sparql?query=ASK%7B%7D", process, 120, folder / "virtuoso.log")
    return Server(
        "virtuoso",
        f"{base}/sparql",
        f"{base}/sparql-graph-crud-auth",
        process,
        folder,
        (VIRTUOSO_USER, VIRTUOSO_PASSWORD),
    )
