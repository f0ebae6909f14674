"""Run a SPARQL query on a build: in this process, or in a child stopped at a time limit; Python access.

The query library is kg.library, the SPARQL text helpers kg.sparql.

Every query runs with the union of all graphs as its default graph (so a plain
`?s ?p ?o` sees every page), with kg's prefixes predeclared. `kg query` runs each query in
a child process (kg/query_worker.py) that it can stop at the time limit; Python code can
also use `open_graph(output).query(...)`, an rdflib-compatible entry point.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pyoxigraph as ox

from .errors import QueryError, QuerySyntaxError
from .library import check_bindings, find_query
from .offline import refuse_fetching
from .query_process import _failure
from .results import QUERY_PREFIXES, Answer
from .sparql import bind_with_values, syntax_error, term_from_text

# ---------------------------------------------------------------------------- the library


# ---------------------------------------------------------------------------- parameters


# ---------------------------------------------------------------------------- running


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


def store_dir(output: Path | str) -> Path:
    """The store folder of a build folder, for a child process to open; StoreError if there is none."""
    from .store import open_store, store_path

    path = store_path(Path(output))
    if not path.is_dir():
        open_store(output)  # finishes an interrupted swap, or raises StoreError with a hint
    return path


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
