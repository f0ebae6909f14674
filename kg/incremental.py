"""Incremental builds: what the live store was built from, and what has changed since.

A source file whose sha256 is what the provenance graph recorded is not read again:
its pages' graphs are kept as they are. Changed files replace their pages' graphs,
files that are gone take their graphs with them, and any change to what shapes the
conversion (kg's version, context mappings, --base-url) makes the build a full one.

Before the rules run, the build checkpoints its store (store.PAGES_DIR): the page graphs
and provenance without the concept layer. The next incremental build starts from that
checkpoint instead of the live store, whose concept layer it would have to remove first
(Oxigraph removes some 40,000 quads a second: 40 s for the layer of 10,000 pages). Both
record that the checkpoint was made (kg:pagesSnapshot, with the settings' fingerprint);
`kg link` changes no page and keeps the record; `kg query --update` may change pages and
changes the live store's record, so the checkpoint is not used after an update.

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
from .report import PageOutcome

_PROV = ox.NamedNode(PROVENANCE_GRAPH)
BUILD_NODE = ox.NamedNode("urn:kg:build")
_FINGERPRINT = ox.NamedNode(str(KG.fingerprint))
_OUTPUTS = ox.NamedNode(str(KG.outputs))
_PAGES_SNAPSHOT = ox.NamedNode(str(KG.pagesSnapshot))


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


def pages_token(store: ox.Store) -> str | None:
    """What ties a store to the pages checkpoint made with it (None: nothing does)."""
    return _recorded(store, _PAGES_SNAPSHOT)


def write_pages_token(store: ox.Store, token: str) -> None:
    _record(store, _PAGES_SNAPSHOT, token)


def snapshot_matches(token: str | None, pages: Path) -> bool:
    """Whether the checkpoint at `pages` holds the pages of the live store whose record is
    `token` (both carry the same record)."""
    if token is None or not pages.is_dir():
        return False
    try:
        snapshot = ox.Store.read_only(str(pages))
    except OSError:
        return False
    return pages_token(snapshot) == token


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
