"""Incremental builds: what the live store was built from, and what has changed since.

A source file whose sha256 is what the provenance graph recorded is not read again:
its pages' graphs are kept as they are. Changed files replace their pages' graphs,
files that are gone take their graphs with them, and any change to what shapes the
conversion (kg's version, context mappings, --base-url) makes the build a full one.

Each page's facts (kg.factstore) are kept beside the store with a token the store records:
an incremental build trusts them only when the two agree; otherwise (an update changed
pages, a kill came between the two commits) it derives them again from the store's pages.

The build also records what it derived and wrote (the digest of the rules, the node
count, the sha256 of each export it left). When no file changed, the rules are those
and the exports are still those files, the store and exports are already what the
build would make, and it keeps them without touching them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .config import BuildConfig
from .namespaces import KG, PROVENANCE_GRAPH
from .readers import SourceFile
from .report import BuildReport, PageOutcome

_PROV = ox.NamedNode(PROVENANCE_GRAPH)
BUILD_NODE = ox.NamedNode("urn:kg:build")
_FINGERPRINT = ox.NamedNode(str(KG.fingerprint))
_OUTPUTS = ox.NamedNode(str(KG.outputs))


@dataclass
class PreviousPage:
    """A page of the live store, as its provenance record describes it."""

    url: str
    source: str = ""
    source_sha256: str = ""
    record: str | None = None
    merged_into: str | None = None  # a file whose page went into another file's page graph
    blocks: int = 0
    triples: int = 0
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def outcome(self) -> PageOutcome:
        """The outcome a full build would report for this unchanged page."""
        label = f"{self.source}#{self.record}" if self.record else self.source
        return PageOutcome(
            label,
            self.url,
            blocks=self.blocks,
            triples=self.triples,
            warnings=list(self.warnings),
            errors=list(self.errors),
            reused=True,
            merged=self.merged_into is not None,
        )


def fingerprint(config: BuildConfig) -> str:
    """What, besides the files, decides how pages convert; a change forces a full build."""
    from . import __version__  # at call time: kg has finished loading by then

    contexts = {}
    for url, path in sorted(config.context_files.items()):
        try:
            contexts[url] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else str(path)
        except OSError:
            contexts[url] = "unreadable"
    settings = {
        "kg": __version__,
        "contexts": contexts,
        "base_url": config.base_url,
        "remote": config.allow_remote_contexts,
    }
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()


def _recorded(store: ox.Store, field: ox.NamedNode) -> str | None:
    """The value the build node has for `field` in the provenance graph (None: none)."""
    for quad in store.quads_for_pattern(BUILD_NODE, field, None, _PROV):
        return quad.object.value
    return None


def _record(store: ox.Store, field: ox.NamedNode, value: str) -> None:
    """Give the build node `value` for `field`, in place of what was recorded."""
    for quad in list(store.quads_for_pattern(BUILD_NODE, field, None, _PROV)):
        store.remove(quad)
    store.add(ox.Quad(BUILD_NODE, field, ox.Literal(value), _PROV))


def stored_fingerprint(store: ox.Store) -> str | None:
    return _recorded(store, _FINGERPRINT)


def write_fingerprint(store: ox.Store, value: str) -> None:
    _record(store, _FINGERPRINT, value)


@dataclass(frozen=True)
class Outputs:
    """What a build derived and wrote from its pages: kept in the provenance graph, so the
    next build can tell that nothing would change. `kg link` records its own rules; an
    update (`kg query --update`) records that no rules made the store as it is."""

    rules: str  # digest of the rules that made the concept layer
    nodes: int
    exports: dict[str, str]  # file name -> sha256 of the bytes written

    def to_json(self) -> str:
        return json.dumps({"rules": self.rules, "nodes": self.nodes, "exports": self.exports}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Outputs | None:
        try:
            data = json.loads(text)
            return cls(str(data["rules"]), int(data["nodes"]), {str(k): str(v) for k, v in data["exports"].items()})
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


def stored_outputs(store: ox.Store) -> Outputs | None:
    text = _recorded(store, _OUTPUTS)
    return None if text is None else Outputs.from_json(text)


def write_outputs(store: ox.Store, outputs: Outputs) -> None:
    _record(store, _OUTPUTS, outputs.to_json())


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes, read in pieces (OSError when it cannot be read)."""
    hasher = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(1 << 20):
            hasher.update(chunk)
    return hasher.hexdigest()


def exports_unchanged(output: Path, exports: dict[str, str]) -> bool:
    """Whether every export recorded is still in the build folder, byte for byte."""
    try:
        return bool(exports) and all(file_sha256(output / name) == sha for name, sha in exports.items())
    except OSError:
        return False


_FIELDS = {
    str(KG.sourcePath): "source",
    str(KG.sourceSha256): "source_sha256",
    str(KG.record): "record",
    str(KG.mergedInto): "merged_into",
    str(KG.blockCount): "blocks",
    str(KG.tripleCount): "triples",
}


def previous_pages(store: ox.Store) -> dict[str, list[PreviousPage]]:
    """The live store's pages, grouped by the source file they came from."""
    pages: dict[str, PreviousPage] = {}
    for quad in store.quads_for_pattern(None, None, None, _PROV):
        if quad.subject == BUILD_NODE:
            continue
        page = pages.setdefault(quad.subject.value, PreviousPage(quad.subject.value))
        predicate, value = quad.predicate.value, quad.object.value
        if predicate in _FIELDS:
            name = _FIELDS[predicate]
            setattr(page, name, int(value) if name in ("blocks", "triples") else value)
        elif predicate == str(KG.warning):
            page.warnings.append(value)
        elif predicate == str(KG.error):
            page.errors.append(value)
    by_source: dict[str, list[PreviousPage]] = {}
    for page in sorted(pages.values(), key=lambda p: p.url):
        by_source.setdefault(page.source, []).append(page)
    return by_source


def drop_pages(store: ox.Store, pages: list[PreviousPage]) -> None:
    """Remove the graphs and provenance records of pages about to be rebuilt or gone."""
    for page in pages:
        node = ox.NamedNode(page.url)
        if store.contains_named_graph(node):
            store.remove_graph(node)
        for quad in list(store.quads_for_pattern(node, None, None, _PROV)):
            store.remove(quad)


def _unchanged(
    files: list[SourceFile], previous: dict[str, list[PreviousPage]], report: BuildReport
) -> tuple[list[SourceFile], list[PreviousPage], dict[str, str]]:
    """Split the corpus for an incremental build: keep unchanged files' pages, read the rest.

    Returns the files to read, the pages to drop (of changed files and of files no longer
    in the corpus) and the page URLs already owned by kept pages.
    """
    to_read: list[SourceFile] = []
    to_drop: list[PreviousPage] = []
    owners: dict[str, str] = {}
    shas: dict[str, str | None] = {}
    for source in files:
        try:
            shas[source.name] = file_sha256(source.path)
        except OSError:
            shas[source.name] = None
    forced = _sharing_a_graph(previous, shas)
    for source in files:
        before = previous.pop(source.name, None)
        current = shas[source.name]
        # Files whose pages failed are read again: the cause may lie outside the file
        # (a context mapping, a remote host, the time budget).
        if _still_stands(before, current) and source.name not in forced:
            for page in before:
                outcome = page.outcome()
                report.pages.append(outcome)
                report.triples += outcome.triples
                if page.merged_into is None:
                    owners[page.url] = outcome.label
            continue
        to_drop += before or []
        to_read.append(source)
    for gone in previous.values():  # sources no longer in the corpus
        to_drop += gone
        report.removed += len(gone)
    return to_read, to_drop, owners


def _still_stands(before: list[PreviousPage] | None, current: str | None) -> bool:
    """Whether a file's pages from the last build are what reading it again would give."""
    return bool(before and current and all(page.source_sha256 == current and not page.errors for page in before))


def _sharing_a_graph(previous: dict[str, list[PreviousPage]], shas: dict[str, str | None]) -> set[str]:
    """Unchanged files to read again because they share a page graph (one was merged into
    the other's page) with a file that changed or is gone: the graph goes with either."""
    stale = {name for name, before in previous.items() if name not in shas or not _still_stands(before, shas[name])}
    sharers: dict[str, set[str]] = {}
    for name, pages in previous.items():
        for page in pages:
            sharers.setdefault(page.merged_into or page.url, set()).add(name)
    shared = [names for names in sharers.values() if len(names) > 1]
    forced: set[str] = set()
    grew = True
    while grew:
        grew = False
        for names in shared:
            if names & (stale | forced) and not names <= stale | forced:
                forced |= names - stale
                grew = True
    return forced
