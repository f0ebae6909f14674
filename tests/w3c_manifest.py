"""Run the W3C JSON-LD 1.1 toRdf manifest through kg and through plain pyld.

Used by tests/test_conformance.py. Everything stays offline: the suite's URL
prefix (https://w3c.github.io/json-ld-api/tests/) is mapped onto the local
checkout, for kg through its ContextLoader and for pyld through `FileLoader`.

Comparison is exact dataset isomorphism: both datasets are parsed by pyoxigraph
(strict N-Quads, so escapes such as \\u00E9 and the ones pyoxigraph writes end up
as the same terms), turned into pyld's dataset form term by term, and
canonicalised with URDNA2015 (pyld.canon); the canonical N-Quads strings are
compared. Blank-node labels, including blank-node graph names, do not matter;
literal lexical forms, datatypes and language tags do. pyld's own N-Quads
parser is not used because it does not unescape \\uXXXX.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from pyld import jsonld
from pyld.canon import URDNA2015

SUITE_BASE = "https://w3c.github.io/json-ld-api/tests/"
MANIFEST = "toRdf-manifest.jsonld"
CASE_BUDGET_S = 10.0

_RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
# Options that only make sense against a real HTTP server (remote-doc tests).
_REMOTE_OPTIONS = ("contentType", "redirectTo", "httpLink", "httpStatus", "httpAccept")
# Manifest options handed to the JSON-LD API as they are.
_API_OPTIONS = ("processingMode", "rdfDirection")

PASS, FAIL, SKIP = "pass", "fail", "skip"


class CaseTimeout(BaseException):
    """Raised by the per-case alarm; a BaseException so `except Exception` in kg or pyld cannot eat it."""


@dataclass(frozen=True)
class Case:
    id: str
    name: str
    kind: str  # "positive", "negative" or "syntax"
    input: str  # path relative to the tests folder
    expect: str | None  # .nq path (positive) or None
    error_code: str | None
    option: dict[str, Any]

    @property
    def base(self) -> str:
        return self.option.get("base") or SUITE_BASE + self.input


@dataclass
class Outcome:
    status: str  # PASS, FAIL, SKIP
    reason: str = ""
    seconds: float = 0.0
    # Negative tests only: whether the error raised names the expected error code.
    code_matched: bool | None = None


@dataclass
class Tally:
    outcomes: dict[str, Outcome] = field(default_factory=dict)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes.values() if o.status == status)

    def ids(self, status: str) -> list[str]:
        return [cid for cid, o in self.outcomes.items() if o.status == status]

    def code_matches(self) -> tuple[int, int]:
        """(negative passes whose error names the expected code, negative passes)."""
        checked = [o.code_matched for o in self.outcomes.values() if o.code_matched is not None]
        return sum(checked), len(checked)

    def skip_reasons(self) -> Counter:
        return Counter(o.reason for o in self.outcomes.values() if o.status == SKIP)


# -- manifest ---------------------------------------------------------------


def load_cases(tests_dir: Path) -> list[Case]:
    manifest = json.loads((tests_dir / MANIFEST).read_text("utf-8"))
    cases = []
    for entry in manifest["sequence"]:
        types = entry["@type"] if isinstance(entry["@type"], list) else [entry["@type"]]
        if "jld:NegativeEvaluationTest" in types:
            kind = "negative"
        elif "jld:PositiveEvaluationTest" in types:
            kind = "positive"
        else:
            kind = "syntax"  # jld:PositiveSyntaxTest: must convert without error
        cases.append(
            Case(
                id=entry["@id"],
                name=entry.get("name", ""),
                kind=kind,
                input=entry["input"],
                expect=entry.get("expect"),
                error_code=entry.get("expectErrorCode"),
                option=dict(entry.get("option", {})),
            )
        )
    return cases


def static_skip_reason(case: Case) -> str | None:
    """Why a case cannot run here at all (the same for kg and pyld), or None."""
    option = case.option
    if option.get("specVersion") == "json-ld-1.0":
        return "json-ld-1.0 only (specVersion json-ld-1.0)"
    if option.get("produceGeneralizedRdf"):
        return "generalized RDF cannot be stored"
    remote = [name for name in _REMOTE_OPTIONS if name in option]
    if remote:
        return f"needs a real remote fetch ({', '.join(remote)})"
    if not case.input.endswith((".jsonld", ".json")):
        return "HTML (or other non-JSON) input"
    if case.kind == "positive" and not case.expect:
        return "positive test without an expected result"
    return None


def api_options(case: Case, tests_dir: Path) -> dict[str, Any]:
    """The manifest options that matter, in JSON-LD API form (base is passed separately)."""
    options = {name: case.option[name] for name in _API_OPTIONS if name in case.option}
    if "expandContext" in case.option:
        # The reference is relative to the manifest; pass the parsed document
        # (pyld takes its "@context" member when there is one).
        options["expandContext"] = json.loads((tests_dir / case.option["expandContext"]).read_text("utf-8"))
    return options


# -- offline document loader for plain pyld --------------------------------


class FileLoader:
    """A pyld documentLoader mapping SUITE_BASE onto the local tests folder; nothing else loads."""

    def __init__(self, tests_dir: Path) -> None:
        self.tests_dir = tests_dir

    def __call__(self, url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        if not url.startswith(SUITE_BASE):
            raise jsonld.JsonLdError(
                f"{url} is outside the local suite", "jsonld.LoadDocumentError", code="loading document failed"
            )
        path = self.tests_dir / url[len(SUITE_BASE) :]
        try:
            document = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise jsonld.JsonLdError(
                f"cannot load {url}: {exc}", "jsonld.LoadDocumentError", code="loading document failed"
            ) from None
        return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url, "document": document}


# -- exact dataset comparison -------------------------------------------------


def _pyld_term(term: Any) -> dict[str, str]:
    if isinstance(term, ox.NamedNode):
        return {"type": "IRI", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "blank node", "value": "_:" + term.value}
    if isinstance(term, ox.Literal):
        if getattr(term, "direction", None):
            raise ValueError(f"directional literal {term} is outside RDF 1.1")
        if term.language:
            return {"type": "literal", "value": term.value, "datatype": _RDF_LANGSTRING, "language": term.language}
        return {"type": "literal", "value": term.value, "datatype": term.datatype.value}
    raise ValueError(f"unsupported RDF term {term!r}")


def canonical_nquads(quads: Iterable[ox.Quad]) -> str:
    """URDNA2015 canonical N-Quads of a dataset given as pyoxigraph quads (duplicates collapse)."""
    dataset: dict[str, list[dict[str, Any]]] = {}
    for quad in set(quads):
        graph = quad.graph_name
        if isinstance(graph, ox.DefaultGraph):
            name = "@default"
        elif isinstance(graph, ox.BlankNode):
            name = "_:" + graph.value
        else:
            name = graph.value
        dataset.setdefault(name, []).append(
            {
                "subject": _pyld_term(quad.subject),
                "predicate": _pyld_term(quad.predicate),
                "object": _pyld_term(quad.object),
            }
        )
    return URDNA2015().main(dataset, {"format": "application/n-quads"})


def parse_nquads(text: str | bytes) -> list[ox.Quad]:
    """Strict N-Quads parse (raises SyntaxError on anything that is not valid RDF 1.1 N-Quads)."""
    return list(ox.parse(text, ox.RdfFormat.N_QUADS))


def compare(actual_nquads: str | bytes, expected_path: Path) -> Outcome:
    try:
        actual = parse_nquads(actual_nquads)
    except SyntaxError as exc:
        return Outcome(FAIL, f"output is not valid N-Quads: {exc}")
    expected = parse_nquads(expected_path.read_bytes())
    got, want = canonical_nquads(actual), canonical_nquads(expected)
    if got == want:
        return Outcome(PASS)
    got_lines, want_lines = set(got.splitlines()), set(want.splitlines())
    extra = sorted(got_lines - want_lines)[:3]
    missing = sorted(want_lines - got_lines)[:3]
    return Outcome(FAIL, f"dataset differs ({len(actual)} vs {len(expected)} quads); extra {extra}; missing {missing}")


def _error_text(exc: BaseException) -> str:
    """The messages and JSON-LD error codes along an exception's cause/context chain."""
    parts, seen = [], set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts.append(str(current))
        parts.append(str(getattr(current, "code", "") or ""))
        current = current.__cause__ or current.__context__
    return "\n".join(parts)


# -- per-case time budget ------------------------------------------------------


@contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Raise CaseTimeout in the running code after `seconds` (SIGALRM; main thread only, else unguarded)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def _alarm(signum: int, frame: Any) -> None:
        raise CaseTimeout()

    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# -- running one case through one processor -----------------------------------

# A processor takes (document, base, options) and returns N-Quads text; it
# raises `error_types` for invalid JSON-LD.
Processor = Callable[[Any, str, dict[str, Any]], str]


def run_case(
    case: Case,
    tests_dir: Path,
    process: Processor,
    error_types: tuple[type[BaseException], ...],
    budget: float = CASE_BUDGET_S,
) -> Outcome:
    reason = static_skip_reason(case)
    if reason:
        return Outcome(SKIP, reason)
    missing = [path for path in (case.input, case.expect) if path and not (tests_dir / path).is_file()]
    if missing:
        return Outcome(SKIP, "file missing from the local suite copy (" + ", ".join(missing) + ")")
    document = json.loads((tests_dir / case.input).read_text("utf-8"))
    options = api_options(case, tests_dir)
    started = time.perf_counter()
    try:
        with time_budget(budget):
            try:
                nquads = process(document, case.base, options)
                error: BaseException | None = None
            except CaseTimeout:
                raise
            except error_types as exc:
                error = exc
            except Exception as exc:  # anything else escaping is a processor bug
                return Outcome(FAIL, f"unexpected {type(exc).__name__}: {exc}", time.perf_counter() - started)
            if case.kind == "negative":
                if error is not None:
                    outcome = Outcome(PASS, f"raised ({case.error_code}): {error}")
                    outcome.code_matched = bool(case.error_code) and case.error_code in _error_text(error)
                else:
                    outcome = Outcome(FAIL, f"expected error {case.error_code!r}, got a dataset")
            elif error is not None:
                outcome = Outcome(FAIL, f"raised {type(error).__name__}: {error}")
            elif case.kind == "syntax":
                try:
                    parse_nquads(nquads)
                    outcome = Outcome(PASS)
                except SyntaxError as exc:
                    outcome = Outcome(FAIL, f"output is not valid N-Quads: {exc}")
            else:
                outcome = compare(nquads, tests_dir / case.expect)
    except CaseTimeout:
        return Outcome(SKIP, f"over the {budget:g} s per-case budget", time.perf_counter() - started)
    outcome.seconds = time.perf_counter() - started
    return outcome


def run_manifest(
    tests_dir: Path,
    processors: dict[str, tuple[Processor, tuple[type[BaseException], ...]]],
    budget: float = CASE_BUDGET_S,
) -> tuple[list[Case], dict[str, Tally]]:
    cases = load_cases(tests_dir)
    tallies = {name: Tally() for name in processors}
    for case in cases:
        for name, (process, errors) in processors.items():
            tallies[name].outcomes[case.id] = run_case(case, tests_dir, process, errors, budget)
    return cases, tallies
