"""The query stage: the queries/ library, parameters, running a query with a time limit, Python access.

Every query runs with the union of all graphs as its default graph (so a plain
`?s ?p ?o` sees every page), with kg's prefixes predeclared. `kg query` runs each query in
a child process (kg/query_worker.py) that it can stop at the time limit; Python code can
also use `open_graph(output).query(...)`, an rdflib-compatible entry point.
"""

from __future__ import annotations

import difflib
import re
import textwrap
import time
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import pyoxigraph as ox

from .errors import QueryError, QuerySyntaxError
from .offline import FetchRefused, refuse_fetching
from .results import QUERY_PREFIXES, RESULT_FORMATS, Answer, format_answer, render_table

QUERY_SUFFIX = ".rq"
_HEADER_LINE = re.compile(r"^#\s?([a-z]+)(?:\s+([A-Za-z_][\w-]*))?:\s*(.*)$")
_CONTINUATION = re.compile(r"^#\s{2,}(\S.*)$")
_SYNTAX_POSITION = re.compile(r"^error at (\d+):(\d+): (.*)$", re.DOTALL)
_ABSOLUTE_IRI = re.compile(r"^(?:https?|urn|file|mailto|tag|did):\S+$", re.IGNORECASE)
_PREFIXED_NAME = re.compile(r"^([A-Za-z][\w.-]*)?:([\w.-]*)$")
_UNPROJECTED = re.compile(r"does not contains? variable \?(\S+) in its SELECT projection")


# ---------------------------------------------------------------------------- the library


def parse_header(text: str) -> dict[str, list[str]]:
    """The `# key: value` lines a query or rule file starts with; a line indented two more
    spaces after `#` continues the value above it. Keys may repeat (`param`, `example`)."""
    header: dict[str, list[str]] = {}
    last: tuple[str, int] | None = None
    for line in text.splitlines():
        if not line.startswith("#"):
            if line.strip():
                break
            continue
        if (match := _HEADER_LINE.match(line)) is not None:
            key, argument, value = match.groups()
            value = f"{argument}: {value}" if argument else value  # "# param area: ..." -> "area: ..."
            header.setdefault(key, []).append(value.strip())
            last = (key, len(header[key]) - 1)
        elif (match := _CONTINUATION.match(line)) is not None and last is not None:
            key, index = last
            header[key][index] = f"{header[key][index]} {match.group(1).strip()}".strip()
    return header


@dataclass(frozen=True)
class Parameter:
    name: str
    description: str


@dataclass(frozen=True)
class LibraryQuery:
    """One query file: its name (the file name without .rq), text, and header."""

    name: str
    text: str
    origin: str
    title: str
    description: str
    parameters: tuple[Parameter, ...] = ()
    examples: tuple[tuple[str, str], ...] = ()  # (parameter, value) pairs that give a result

    @classmethod
    def from_text(cls, name: str, text: str, origin: str) -> LibraryQuery:
        header = parse_header(text)
        parameters = []
        for entry in header.get("param", []):
            pname, _, description = entry.partition(":")
            parameters.append(Parameter(pname.strip().lstrip("?$"), description.strip()))
        examples = []
        for entry in header.get("example", []):
            pname, _, value = entry.partition("=")
            examples.append((pname.strip(), value.strip()))
        return cls(
            name=name,
            text=text,
            origin=origin,
            title=" ".join(header.get("title", [name])),
            description=" ".join(header.get("description", [])),
            parameters=tuple(parameters),
            examples=tuple(examples),
        )


def shipped_queries_folder():
    """The queries folder inside the installed package (queries/ in a checkout)."""
    return files("kg.queries")


def library(queries_dir: Path | None = None) -> dict[str, LibraryQuery]:
    """The shipped queries, plus (replacing those of the same name) the .rq files of `queries_dir`."""
    found: dict[str, LibraryQuery] = {}
    for entry in shipped_queries_folder().iterdir():
        if entry.name.endswith(QUERY_SUFFIX):
            name = entry.name.removesuffix(QUERY_SUFFIX)
            found[name] = LibraryQuery.from_text(name, entry.read_text(encoding="utf-8"), f"queries/{entry.name}")
    if queries_dir is not None:
        folder = Path(queries_dir)
        if not folder.is_dir():
            raise QueryError(f"no queries folder at {folder}")
        for path in folder.glob("*" + QUERY_SUFFIX):
            name = path.stem
            found[name] = LibraryQuery.from_text(name, path.read_text(encoding="utf-8"), str(path))
    return dict(sorted(found.items()))


def library_listing(queries: dict[str, LibraryQuery], *, width: int = 88) -> str:
    """The library as `kg query --list` prints it: name and parameters, then title and description."""
    blocks = []
    for query in queries.values():
        usage = " ".join([query.name] + [f"--bind {p.name}=…" for p in query.parameters])
        text = f"{query.title}: {query.description}" if query.description else query.title
        lines = [usage, *textwrap.wrap(text, width, initial_indent="    ", subsequent_indent="    ")]
        lines += [f"    {p.name}: {p.description}" for p in query.parameters]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + f"\n\n{len(queries)} queries; run one with `kg query NAME`."


def find_query(spec: str, queries_dir: Path | None = None) -> LibraryQuery:
    """A library query by name, or a .rq file by path."""
    if spec.endswith(QUERY_SUFFIX) or "/" in spec:
        path = Path(spec)
        if not path.is_file():
            raise QueryError(f"no query file at {spec}")
        return LibraryQuery.from_text(path.stem, path.read_text(encoding="utf-8"), str(path))
    queries = library(queries_dir)
    if spec in queries:
        return queries[spec]
    close = difflib.get_close_matches(spec, list(queries), n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise QueryError(f"no query named {spec!r} in the library; {hint}`kg query --list` shows them")


# ---------------------------------------------------------------------------- parameters


def term_from_text(value: str) -> ox.NamedNode | ox.Literal:
    """A --bind value as an RDF term: <IRI>, an absolute IRI, a known prefixed name (skos:Concept),
    a quoted Turtle literal ("5"^^xsd:integer, "x"@en), or else a plain string."""
    text = value.strip()
    try:
        if text.startswith("<") and text.endswith(">"):
            return ox.NamedNode(text[1:-1])
        if text.startswith('"'):
            prologue = "".join(f"@prefix {p}: <{iri}> .\n" for p, iri in QUERY_PREFIXES.items())
            document = f"{prologue}<urn:kg:s> <urn:kg:p> {text} ."
            return next(iter(ox.parse(document.encode(), ox.RdfFormat.TURTLE))).object
        match = _PREFIXED_NAME.match(text)
        if match and match.group(1) in QUERY_PREFIXES:
            return ox.NamedNode(QUERY_PREFIXES[match.group(1)] + match.group(2))
        if _ABSOLUTE_IRI.match(text):
            return ox.NamedNode(text)
    except (ValueError, SyntaxError, StopIteration) as exc:
        raise QueryError(f"cannot read {value!r} as an RDF term: {exc}") from None
    return ox.Literal(value)


def parse_bindings(pairs: list[str] | tuple[str, ...]) -> dict[str, ox.NamedNode | ox.Literal]:
    """["area=Peer to Peer", ...] -> {"area": Literal("Peer to Peer")}."""
    bindings = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip().lstrip("?$")
        if not sep or not name:
            raise QueryError(f"--bind takes NAME=VALUE, not {pair!r}")
        bindings[name] = term_from_text(value)
    return bindings


def check_bindings(query: LibraryQuery, bindings: dict) -> None:
    """Every declared parameter is bound, and every binding names a variable of the query."""
    for parameter in query.parameters:
        if parameter.name not in bindings:
            example = dict(query.examples).get(parameter.name, "VALUE")
            raise QueryError(
                f"{query.name} needs --bind {parameter.name}=VALUE ({parameter.description}), "
                f"e.g. --bind '{parameter.name}={example}'"
            )
    for name in bindings:
        if not re.search(rf"[?$]{re.escape(name)}\b", query.text):
            declared = ", ".join(p.name for p in query.parameters) or "none"
            raise QueryError(f"{query.name} has no variable ?{name} to bind (its parameters: {declared})")


# ---------------------------------------------------------------------------- running


_IRI_REF = re.compile(r'<[^\s<>"{}|^`\\]*>')


def _where_brace(text: str) -> int | None:
    """The index just after the `{` that opens the query's own WHERE clause, or None.

    A small scanner: it skips comments, strings and IRIs, tracks braces, and takes the
    first WHERE keyword outside any braces (a CONSTRUCT template or a subquery is inside).
    """
    depth, i, n = 0, 0, len(text)
    while i < n:
        char = text[i]
        if char == "#":
            i = text.find("\n", i)
            if i < 0:
                return None
        elif char in "\"'":
            quote = char * 3 if text.startswith(char * 3, i) else char
            i += len(quote)
            while i < n and not text.startswith(quote, i):
                i += 2 if text[i] == "\\" else 1
            i += len(quote) - 1
        elif char == "<" and (iri := _IRI_REF.match(text, i)):
            i = iri.end() - 1
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif depth == 0 and char in "wW" and text[i : i + 5].upper() == "WHERE" and not _is_name_char(text, i - 1):
            j = i + 5
            while j < n and text[j].isspace():
                j += 1
            if j < n and text[j] == "{" and not _is_name_char(text, i + 5):
                return j + 1
        i += 1
    return None


def _is_name_char(text: str, index: int) -> bool:
    return 0 <= index < len(text) and (text[index].isalnum() or text[index] in "_-:?$")


def bind_with_values(text: str, bindings: dict | None) -> tuple[str, dict]:
    """Bind parameters by opening the WHERE clause with `VALUES (?a ?b) { (t1 t2) }`.

    Bound this way, a parameter is known before the rest of the pattern runs, so Oxigraph
    looks its value up in an index; bound with `substitutions` (SEP-0007 pre-binding) it is
    only compared with every row. Returns the query and the bindings still to substitute:
    none, unless the query has no WHERE clause to open (then all of them). The VALUES block
    goes on the line of the `{`, so line numbers in syntax errors stay right.
    """
    if not bindings:
        return text, {}
    at = _where_brace(text)
    if at is None:
        return text, dict(bindings)
    names = " ".join(f"?{name}" for name in bindings)
    terms = " ".join(str(term) for term in bindings.values())
    return f"{text[:at]} VALUES ({names}) {{ ({terms}) }} {text[at:]}", {}


def syntax_error(exc: SyntaxError, text: str) -> str:
    """pyoxigraph's "error at 4:18: expected ..." as a message with the line, column and a caret."""
    match = _SYNTAX_POSITION.match(str(exc))
    if match is None:
        return f"syntax error: {exc}"
    line, column, detail = int(match.group(1)), int(match.group(2)), " ".join(match.group(3).split())
    lines = text.splitlines()
    source = lines[line - 1] if 0 < line <= len(lines) else ""
    if "Prefix not found" in detail:
        used = re.search(r"([A-Za-z][\w.-]*)?:[\w.%-]*$", source[: max(column - 1, 0)])
        name = used.group(1) or "" if used else ""
        known = ", ".join(f"{p}:" for p in QUERY_PREFIXES)
        detail = f"unknown prefix '{name}:' (declare it with PREFIX, or use one kg knows: {known})"
    elif len(detail) > 200:
        detail = detail[:200] + "…"
    caret = " " * (max(column, 1) - 1) + "^"
    return f"syntax error at line {line}, column {column}: {detail}\n  {source}\n  {caret}"


def _answer(result, started: float) -> Answer:
    if isinstance(result, ox.QueryTriples):
        data = ox.serialize(result, format=ox.RdfFormat.N_TRIPLES) or b""
        return Answer("graph", data, time.perf_counter() - started)
    kind = "ask" if isinstance(result, ox.QueryBoolean) else "select"
    return Answer(kind, result.serialize(format=ox.QueryResultsFormat.JSON), time.perf_counter() - started)


def run_in_process(store: ox.Store, text: str, bindings: dict | None = None) -> Answer:
    """Run a query on an open store, here. It cannot be stopped: use `run_in_child` for a time limit."""
    started = time.perf_counter()
    refuse_fetching(text)
    text, bindings = bind_with_values(text, bindings)
    try:
        result = store.query(
            text,
            use_default_graph_as_union=True,
            prefixes=QUERY_PREFIXES,
            substitutions={ox.Variable(name): term for name, term in (bindings or {}).items()} or None,
        )
        return _answer(result, started)
    except SyntaxError as exc:
        raise QuerySyntaxError(syntax_error(exc, text)) from None
    except (OSError, ValueError, TypeError, RuntimeError) as exc:
        raise _failure(str(exc)) from None


def _failure(message: str) -> QueryError:
    unprojected = _UNPROJECTED.search(message)
    if unprojected:
        name = unprojected.group(1)
        return QueryError(
            f"--bind {name}=... needs ?{name} in the query's SELECT clause: SPARQL pre-binding "
            "(SEP-0007, which Oxigraph follows) only binds variables the query returns"
        )
    return QueryError(f"the query failed: {message}")


def store_dir(output: Path | str) -> Path:
    """The store folder of a build folder, for a child process to open; StoreError if there is none."""
    from .store import open_store, store_path

    path = store_path(Path(output))
    if not path.is_dir():
        open_store(output)  # finishes an interrupted swap, or raises StoreError with a hint
    return path


def _worker_source() -> str:
    return Path(__file__).with_name("query_worker.py").read_text(encoding="utf-8")


def run_in_child(
    store_dir: Path,
    text: str,
    bindings: dict | None = None,
    timeout: float | None = None,
    *,
    default_graphs: list[str] | None = None,
    named_graphs: list[str] | None = None,
) -> Answer:
    """Run a query in a child process on the store at `store_dir` (opened read-only there), and
    kill it if it runs past `timeout` seconds (None or 0: no limit). Ctrl-C stops it too.
    `default_graphs` / `named_graphs` (IRIs) set the dataset as the SPARQL Protocol's
    default-graph-uri / named-graph-uri do; without them the default graph is the union.
    The Answer holds the whole result; `kg query` streams it instead (query_process.stream_query)."""
    from .query_process import QueryProcess

    refuse_fetching(text)
    text, bindings = bind_with_values(text, bindings)
    dataset = {"default_graphs": default_graphs, "named_graphs": named_graphs}
    with QueryProcess(store_dir, text, bindings, timeout, **dataset) as process:
        body = process.body.read()
        seconds = process.finish()
    return Answer(process.kind, body, seconds)


# ---------------------------------------------------------------------------- Python access


class KnowledgeGraph:
    """A build folder's store for Python: `query` is rdflib's (returns an rdflib Result), `run`
    runs a library query by name, and `store` is the pyoxigraph store itself.

        >>> graph = open_graph("output")
        >>> for row in graph.query("SELECT ?label WHERE { ?c kg:kind 'area' ; skos:prefLabel ?label }"):
        ...     print(row.label)
    """

    def __init__(self, store: ox.Store, store_dir: Path | None = None) -> None:
        self.store = store
        self.store_dir = store_dir
        self._dataset = None

    @property
    def dataset(self):
        """The store as an rdflib Dataset (oxrdflib), whose default graph is the union of all graphs."""
        if self._dataset is None:
            from oxrdflib import OxigraphStore
            from rdflib import Dataset

            dataset = Dataset(store=OxigraphStore(store=self.store), default_union=True)
            for prefix, iri in QUERY_PREFIXES.items():
                dataset.bind(prefix, iri, override=True, replace=True)  # schema: is http://, not rdflib's https
            self._dataset = dataset
        return self._dataset

    def query(self, sparql: str, initBindings=None, initNs=None, **kwargs):  # noqa: N803 (rdflib's names)
        """rdflib's Graph.query, answered by Oxigraph."""
        refuse_fetching(sparql)
        return self.dataset.query(sparql, initBindings=initBindings, initNs=initNs, **kwargs)

    def run(self, query: str, *, timeout: float | None = None, queries_dir: Path | None = None, **bindings) -> Answer:
        """Run a library query by name (or SPARQL text), with parameters as keyword arguments.
        A timeout needs a store opened from a folder (it runs in a child process)."""
        if re.fullmatch(r"[\w.-]+", query):
            found = find_query(query, queries_dir)
            terms = {
                name: value if isinstance(value, ox.NamedNode | ox.Literal) else term_from_text(str(value))
                for name, value in bindings.items()
            }
            check_bindings(found, terms)
            text = found.text
        else:
            text, terms = query, {name: term_from_text(str(value)) for name, value in bindings.items()}
        if timeout:
            if self.store_dir is None:
                raise QueryError("a timeout needs a store opened from a build folder (open_graph)")
            return run_in_child(self.store_dir, text, terms, timeout)
        return run_in_process(self.store, text, terms)


def open_graph(output: Path | str = "output") -> KnowledgeGraph:
    """The store of a build folder, read-only, as a KnowledgeGraph."""
    from .store import open_store, store_path

    return KnowledgeGraph(open_store(output), store_path(Path(output)))


__all__ = [
    "QUERY_PREFIXES",
    "FetchRefused",
    "RESULT_FORMATS",
    "Answer",
    "KnowledgeGraph",
    "LibraryQuery",
    "check_bindings",
    "find_query",
    "format_answer",
    "library",
    "open_graph",
    "parse_bindings",
    "refuse_fetching",
    "render_table",
    "run_in_child",
    "run_in_process",
]
