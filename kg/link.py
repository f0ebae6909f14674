"""The link stage: run the SPARQL rules of queries/rules/ to derive the concept layer from the page graphs.

The rules are SPARQL Update files run in file-name order against the whole store. They
read the reconciled schema.org data in the page graphs and write a SKOS view into one
named graph, CONCEPTS_GRAPH; this module only finds them, runs them, and counts the
result. `kg build` calls `derive` on a fresh store, `kg link` (`relink`) on an existing one.
"""

from __future__ import annotations

import fcntl
import re
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

import pyoxigraph as ox

from .errors import RuleError, StoreError
from .namespaces import CONCEPTS_GRAPH, KG, PROVENANCE_GRAPH, SKOS
from .query import QUERY_PREFIXES, parse_header, syntax_error

# The rules' shared scratch graph: the settings (00-settings.ru) and helper triples; dropped after the run.
SCRATCH_GRAPH = "urn:kg:graph:link-scratch"
RULE_SUFFIX = ".ru"
RULE_HEADER_KEYS = ("title", "derives", "why")
_NUMBER_PREFIX = re.compile(r"^\d+-")


@dataclass(frozen=True)
class Rule:
    """One rule file: `name` is its file name without the number and suffix (label-containment)."""

    filename: str
    text: str
    origin: str  # where it was read from, for messages

    @property
    def name(self) -> str:
        return _NUMBER_PREFIX.sub("", self.filename.removesuffix(RULE_SUFFIX))

    @property
    def header(self) -> dict[str, list[str]]:
        return parse_header(self.text)

    @property
    def title(self) -> str:
        return " ".join(self.header.get("title", [self.name]))


@dataclass
class LinkReport:
    """What one run of the rules made: concepts per kind, links per relation, and timings."""

    counts: dict[str, int] = field(default_factory=dict)
    timings: list[tuple[str, float]] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        kinds = ", ".join(f"{n} {kind}{'' if n == 1 else 's'}" for kind, n in self.counts.items() if ":" not in kind)
        links = ", ".join(f"{n} {name.split(':', 1)[1]}" for name, n in self.counts.items() if name.startswith("skos:"))
        return f"concept layer: {kinds or 'no concepts'}; links: {links or 'none'} in {self.seconds:.2f}s"


def shipped_rules_folder():
    """The rules folder inside the installed package (queries/rules in a checkout)."""
    return files("kg.queries").joinpath("rules")


def load_rules(rules_dir: Path | None = None, *, skip: Iterable[str] = ()) -> list[Rule]:
    """The shipped rules, with the files of `rules_dir` replacing those of the same name and
    adding the rest; in file-name order. An empty file switches the shipped rule of its name off."""
    found: dict[str, Rule] = {}
    for entry in shipped_rules_folder().iterdir():
        if entry.name.endswith(RULE_SUFFIX):
            found[entry.name] = Rule(entry.name, entry.read_text(encoding="utf-8"), f"queries/rules/{entry.name}")
    if rules_dir is not None:
        folder = Path(rules_dir)
        if not folder.is_dir():
            raise RuleError(f"no rules folder at {folder}")
        for path in sorted(folder.glob("*" + RULE_SUFFIX)):
            found[path.name] = Rule(path.name, path.read_text(encoding="utf-8"), str(path))
    rules = [found[name] for name in sorted(found)]
    skipped = set(skip)
    unknown = skipped - {rule.name for rule in rules} - {rule.filename.removesuffix(RULE_SUFFIX) for rule in rules}
    if unknown:
        names = ", ".join(rule.name for rule in rules)
        raise RuleError(f"no rule named {', '.join(sorted(unknown))}; the rules are: {names}")
    return [
        rule
        for rule in rules
        if rule.name not in skipped and rule.filename.removesuffix(RULE_SUFFIX) not in skipped and rule.text.strip()
    ]


def derive(store: ox.Store, *, rules_dir: Path | None = None, skip: Iterable[str] = ()) -> dict[str, int]:
    """Clear the concept graph, run the rules in order, and return what they made (see `count`)."""
    return run_rules(store, load_rules(rules_dir, skip=skip)).counts


def run_rules(store: ox.Store, rules: list[Rule]) -> LinkReport:
    report = LinkReport()
    started = time.perf_counter()
    store.update(f"DROP SILENT GRAPH <{CONCEPTS_GRAPH}> ; DROP SILENT GRAPH <{SCRATCH_GRAPH}>")
    try:
        for rule in rules:
            began = time.perf_counter()
            text = with_settings(rule.text, single_settings(store))
            try:
                store.update(text, prefixes=QUERY_PREFIXES)
            except SyntaxError as exc:
                raise RuleError(f"{rule.origin}: {syntax_error(exc, text)}") from None
            except OSError as exc:
                raise RuleError(f"{rule.origin}: the rule failed: {exc}") from None
            report.timings.append((rule.filename, time.perf_counter() - began))
    finally:
        store.update(f"DROP SILENT GRAPH <{SCRATCH_GRAPH}>")
    report.counts = count(store)
    report.seconds = time.perf_counter() - started
    return report


def single_settings(store: ox.Store) -> dict[str, str]:
    """The settings with exactly one value, as {local name: the value in SPARQL syntax}."""
    rows = store.query(
        f"SELECT ?p (COUNT(?v) AS ?n) (SAMPLE(?v) AS ?value) "
        f"WHERE {{ GRAPH <{SCRATCH_GRAPH}> {{ <{KG.settings}> ?p ?v }} }} GROUP BY ?p"
    )
    return {
        row["p"].value.removeprefix(str(KG)): str(row["value"])
        for row in rows
        if row["p"].value.startswith(str(KG)) and int(row["n"].value) == 1
    }


def with_settings(text: str, settings: dict[str, str]) -> str:
    """`text` with each variable named like a setting (?facetPattern) replaced by the setting's value.

    The rules also join the settings graph, so this changes no result; it turns the
    patterns into constants, which Oxigraph compiles once instead of once per row.
    """
    for name, value in settings.items():
        text = re.sub(rf"\?{re.escape(name)}\b", lambda _match, value=value: value, text)
    return text


def count(store: ox.Store) -> dict[str, int]:
    """Concepts per kg:kind ("area": 2, ...), then "skos:broader", "skos:related", "kg:facet"... link counts."""
    graph = f"<{CONCEPTS_GRAPH}>"
    kinds = store.query(
        f"SELECT ?kind (COUNT(DISTINCT ?c) AS ?n) WHERE {{ GRAPH {graph} {{ ?c <{KG.kind}> ?kind }} }} "
        "GROUP BY ?kind ORDER BY ?kind"
    )
    counts = {row["kind"].value: int(row["n"].value) for row in kinds}
    for name, predicate in (("skos:broader", SKOS.broader), ("skos:related", SKOS.related), ("kg:facet", KG.facet)):
        rows = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {graph} {{ ?a <{predicate}> ?b }} }}")
        counts[name] = int(next(iter(rows))["n"].value)
    return counts


@contextmanager
def _writer_lock(output: Path) -> Iterator[None]:
    """The build folder's writer lock (the one a build holds), so `kg link` never races a build."""
    with open(output / ".lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise StoreError(f"another kg build is writing to {output}/; wait for it to finish") from None
        yield


def relink(output: Path | str, *, rules_dir: Path | None = None, skip: Iterable[str] = ()) -> LinkReport:
    """Derive the concept layer again on the store of a build folder and rewrite the build's exports.

    If a rule fails, the concept graph is removed rather than left half-derived.
    """
    from .build import BUILD_EXPORTS
    from .export import export, exporter
    from .store import open_store

    output = Path(output)
    rules = load_rules(rules_dir, skip=skip)  # bad names fail before the store is touched
    with _writer_lock(output):
        store = open_store(output, read_only=False)
        try:
            report = run_rules(store, rules)
        except RuleError:
            store.update(f"DROP SILENT GRAPH <{CONCEPTS_GRAPH}>")
            raise
        for name in BUILD_EXPORTS:
            export(store, name, output / exporter(name).filename)
        store.flush()
    return report


__all__ = ["CONCEPTS_GRAPH", "PROVENANCE_GRAPH", "LinkReport", "Rule", "derive", "load_rules", "relink", "run_rules"]
