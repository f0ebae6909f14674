"""`kg push`: every named graph of a build to a SPARQL 1.1 Graph Store Protocol server, resumably.

Each graph goes in batches of at most `batch_bytes` of N-Triples (one request each, to
URL?graph=IRI): POSTed (added), or with `replace` the graph's first batch PUT (which
replaces the graph) and the rest POSTed. Every batch the server acknowledges is written to
a journal in the build folder (.push/), keyed by graph, position and the batch's digest; a
push started again after an interruption skips what was acknowledged and sends the rest,
and a push that finishes removes its journal. A batch whose answer was lost is sent again:
kg's graphs hold no blank nodes (reconcile names them), so the server, which keeps a set
of triples per graph, ends with each triple once.
"""

from __future__ import annotations

import hashlib
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from .sparql_client import Client, EndpointError, RetryPolicy, check_url
from .store import open_store

# Per request: large enough that the requests' own cost stays small beside the data, small
# enough that a server's parser (Virtuoso buffers a whole request) and a retry stay cheap.
BATCH_BYTES = 4_000_000
JOURNAL_DIR = ".push"
# Turtle's media type: N-Triples is Turtle, and every Graph Store server reads Turtle.
_CONTENT_TYPE = "text/turtle; charset=utf-8"

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class PushSettings:
    to: str  # the Graph Store Protocol URL (Oxigraph: http://host:7878/store)
    replace: bool = False
    batch_bytes: int = BATCH_BYTES
    policy: RetryPolicy = RetryPolicy()


@dataclass
class PushReport:
    graphs: int = 0
    batches: int = 0  # sent now
    acknowledged_before: int = 0  # skipped: acknowledged by an earlier, interrupted push
    triples: int = 0  # sent now
    bytes: int = 0  # sent now
    seconds: float = 0.0
    journal: Path | None = None

    def summary(self, to: str) -> str:
        resumed = (
            f"; {self.acknowledged_before} batches acknowledged by an earlier push were skipped"
            if self.acknowledged_before
            else ""
        )
        return (
            f"pushed {self.graphs} graphs to {to}: {self.triples} triples in {self.batches} requests "
            f"({self.bytes / 1e6:.1f} MB) in {self.seconds:.1f}s{resumed}"
        )


def graph_batches(store: ox.Store, graph: ox.NamedNode, batch_bytes: int) -> Iterator[tuple[bytes, int]]:
    """The graph's triples as N-Triples, in pieces of at most `batch_bytes` (a longer triple alone),
    each with its triple count. An empty graph gives nothing."""
    lines: list[str] = []
    size = 0
    for quad in store.quads_for_pattern(None, None, None, graph):
        line = f"{quad.subject} {quad.predicate} {quad.object} .\n"
        length = len(line.encode())
        if lines and size + length > batch_bytes:
            yield "".join(lines).encode(), len(lines)
            lines, size = [], 0
        lines.append(line)
        size += length
    if lines:
        yield "".join(lines).encode(), len(lines)


class Journal:
    """The batches a server acknowledged, one line each (graph, position, digest), appended as
    they are; another run of the same push to the same URL finds them."""

    def __init__(self, output: Path, settings: PushSettings) -> None:
        key = hashlib.sha256(f"{'replace' if settings.replace else 'add'} {settings.to}".encode()).hexdigest()[:16]
        self.path = Path(output) / JOURNAL_DIR / f"{key}.tsv"
        self.done: set[tuple[str, int, str]] = set()
        if self.path.is_file():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                parts = line.split("\t")
                if len(parts) == 3 and parts[1].isdigit():  # a line cut short by a kill is not one
                    self.done.add((parts[0], int(parts[1]), parts[2]))
        self.path.parent.mkdir(exist_ok=True)
        self._file = open(self.path, "a", encoding="utf-8")

    def acknowledged(self, graph: str, index: int, digest: str) -> bool:
        return (graph, index, digest) in self.done

    def record(self, graph: str, index: int, digest: str) -> None:
        self._file.write(f"{graph}\t{index}\t{digest}\n")
        self._file.flush()

    def close(self, *, finished: bool) -> None:
        self._file.close()
        if finished:
            self.path.unlink(missing_ok=True)
            try:
                self.path.parent.rmdir()
            except OSError:
                pass  # another URL's journal is still there


def graph_url(to: str, graph: str) -> str:
    separator = "&" if urllib.parse.urlsplit(to).query else "?"
    return f"{to}{separator}{urllib.parse.urlencode({'graph': graph})}"


def push(output: Path | str, settings: PushSettings, *, progress: Progress | None = None) -> PushReport:
    """Send every named graph of the build folder's store to `settings.to`; EndpointError naming
    the graph when the server keeps failing (what was acknowledged stays in the journal)."""
    check_url(settings.to)
    output = Path(output)
    store = open_store(output)  # read-only: a push changes nothing in the build folder but its journal
    client = Client(settings.to, settings.policy)
    graphs = sorted(name.value for name in store.named_graphs() if isinstance(name, ox.NamedNode))
    report = PushReport(graphs=len(graphs))
    journal = Journal(output, settings)
    report.journal = journal.path
    started = time.perf_counter()
    finished = False
    try:
        for done, graph in enumerate(graphs, 1):
            _push_graph(client, store, graph, settings, journal, report)
            if progress:
                progress(done, len(graphs))
        finished = True
    except EndpointError as exc:
        acknowledged = report.batches + report.acknowledged_before
        raise EndpointError(
            f"{exc}. The build folder is unchanged; the {acknowledged} requests the server acknowledged "
            f"are recorded in {journal.path}: run the same kg push again to send the rest"
        ) from None
    finally:
        journal.close(finished=finished)
        report.seconds = time.perf_counter() - started
    return report


def _push_graph(
    client: Client, store: ox.Store, graph: str, settings: PushSettings, journal: Journal, report: PushReport
) -> None:
    url = graph_url(settings.to, graph)
    for index, (batch, triples) in enumerate(graph_batches(store, ox.NamedNode(graph), settings.batch_bytes)):
        digest = hashlib.sha256(batch).hexdigest()[:32]
        if journal.acknowledged(graph, index, digest):
            report.acknowledged_before += 1
            continue
        method = "PUT" if settings.replace and index == 0 else "POST"
        client.send(
            method,
            url,
            f"pushing graph <{graph}> (batch {index + 1}, {triples} triples)",
            body=batch,
            headers={"Content-Type": _CONTENT_TYPE},
        )
        journal.record(graph, index, digest)
        report.batches += 1
        report.triples += triples
        report.bytes += len(batch)
