"""Query results: the Answer a query gives, and the formats `kg query -f` writes it in.

SELECT and ASK answers go out in the W3C SPARQL 1.1 result formats (CSV, TSV, JSON, XML)
or as a terminal table; CONSTRUCT and DESCRIBE answers in an RDF format. Every format
is one entry of RESULT_FORMATS, and all the serializing is Oxigraph's.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import pyoxigraph as ox

from .errors import QueryError
from .namespaces import PREFIXES

# kg's prefixes plus kgg: for its own graphs (kgg:concepts, kgg:provenance).
QUERY_PREFIXES: dict[str, str] = {**PREFIXES, "kgg": "urn:kg:graph:"}


@dataclass
class Answer:
    """A query's result, fully computed: SPARQL JSON results (select, ask) or N-Triples (graph)."""

    kind: str  # "select", "ask" or "graph"
    data: bytes
    seconds: float = 0.0

    def solutions(self) -> ox.QuerySolutions:
        return ox.parse_query_results(self.data, ox.QueryResultsFormat.JSON)

    def boolean(self) -> bool:
        return bool(ox.parse_query_results(self.data, ox.QueryResultsFormat.JSON))

    def triples(self) -> list[ox.Triple]:
        return [quad.triple for quad in ox.parse(self.data, ox.RdfFormat.N_TRIPLES)]

    def rows(self) -> list[dict[str, str]]:
        """SELECT rows as {variable: lexical value}, for tests and scripts."""
        solutions = self.solutions()
        names = [variable.value for variable in solutions.variables]
        return [
            {name: term.value for name, term in zip(names, row, strict=True) if term is not None} for row in solutions
        ]

    def __len__(self) -> int:
        if self.kind == "select":
            return len(json.loads(self.data)["results"]["bindings"])
        if self.kind == "graph":
            return self.data.count(b"\n")
        return int(self.boolean())


@dataclass(frozen=True)
class ResultFormat:
    name: str
    kinds: tuple[str, ...]
    description: str
    results: ox.QueryResultsFormat | None = None  # a W3C SPARQL results format
    rdf: ox.RdfFormat | None = None  # an RDF format, for CONSTRUCT and DESCRIBE


_TABULAR = ("select", "ask")
RESULT_FORMATS: dict[str, ResultFormat] = {
    fmt.name: fmt
    for fmt in (
        ResultFormat("table", _TABULAR, "a readable terminal table"),
        ResultFormat("csv", _TABULAR, "SPARQL 1.1 CSV results", results=ox.QueryResultsFormat.CSV),
        ResultFormat("tsv", _TABULAR, "SPARQL 1.1 TSV results", results=ox.QueryResultsFormat.TSV),
        ResultFormat("json", _TABULAR, "SPARQL 1.1 JSON results", results=ox.QueryResultsFormat.JSON),
        ResultFormat("xml", _TABULAR, "SPARQL XML results", results=ox.QueryResultsFormat.XML),
        ResultFormat("turtle", ("graph",), "Turtle", rdf=ox.RdfFormat.TURTLE),
        ResultFormat("ntriples", ("graph",), "N-Triples", rdf=ox.RdfFormat.N_TRIPLES),
        ResultFormat("nquads", ("graph",), "N-Quads", rdf=ox.RdfFormat.N_QUADS),
        ResultFormat("trig", ("graph",), "TriG", rdf=ox.RdfFormat.TRIG),
        ResultFormat("jsonld", ("graph",), "JSON-LD", rdf=ox.RdfFormat.JSON_LD),
        ResultFormat("rdfxml", ("graph",), "RDF/XML", rdf=ox.RdfFormat.RDF_XML),
    )
}


def result_format(name: str | None, kind: str) -> ResultFormat:
    """The format to write a result of `kind` in: `name`, or table / turtle by default."""
    if name is None:
        return RESULT_FORMATS["turtle" if kind == "graph" else "table"]
    try:
        chosen = RESULT_FORMATS[name]
    except KeyError:
        raise QueryError(f"unknown result format {name!r}; choose from {', '.join(RESULT_FORMATS)}") from None
    if kind not in chosen.kinds:
        fitting = ", ".join(n for n, f in RESULT_FORMATS.items() if kind in f.kinds)
        what = {"graph": "a CONSTRUCT or DESCRIBE query gives a graph", "ask": "an ASK query gives a boolean"}.get(
            kind, "a SELECT query gives a table"
        )
        raise QueryError(f"-f {name} does not fit: {what}; choose from {fitting}")
    return chosen


def format_answer(answer: Answer, name: str | None = None, *, width: int | None = None) -> bytes:
    """The answer in format `name` (see RESULT_FORMATS); `width` limits a table's width."""
    chosen = result_format(name, answer.kind)
    if chosen.rdf is not None:
        prefixes = QUERY_PREFIXES if chosen.rdf in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG) else None
        return ox.serialize(answer.triples(), format=chosen.rdf, prefixes=prefixes) or b""
    if chosen.results is ox.QueryResultsFormat.JSON:
        return answer.data
    parsed = ox.parse_query_results(answer.data, ox.QueryResultsFormat.JSON)
    if chosen.results is not None:
        return parsed.serialize(format=chosen.results)
    if answer.kind == "ask":
        return b"true\n" if bool(parsed) else b"false\n"
    return render_table(parsed, width=width).encode()


def _cell(term) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        for prefix, iri in QUERY_PREFIXES.items():
            local = term.value[len(iri) :]
            if term.value.startswith(iri) and re.fullmatch(r"[A-Za-z][\w-]*", local):
                return f"{prefix}:{local}"
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return " ".join(str(term.value).split())


def render_table(solutions: ox.QuerySolutions, *, width: int | None = None) -> str:
    """Columns padded to their widest cell, shrunk (with …) to fit `width` if given; a row count last."""
    return "".join(table_lines(solutions, width=width))


# A table's column widths come from its first this many rows; the rows after them are
# written as they come, with those widths (a longer cell is cut with …), so a table of any
# length takes the memory of this many rows.
TABLE_SAMPLE = 1000


def table_lines(
    solutions: Iterable[list], names: list[str] | None = None, *, width: int | None = None, sample: int = TABLE_SAMPLE
) -> Iterator[str]:
    """The lines of `render_table`, each ending with a newline, as the rows come."""
    names = [variable.value for variable in solutions.variables] if names is None else names
    rows_iter = iter(solutions)
    rows = [[_cell(term) for term in row] for row in itertools.islice(rows_iter, sample)]
    widths = [max([len(name)] + [len(row[i]) for row in rows]) for i, name in enumerate(names)]
    if width is not None and names:
        budget = max(width - 2 * (len(names) - 1), 8 * len(names))
        while sum(widths) > budget:
            widest = widths.index(max(widths))
            widths[widest] = max(8, widths[widest] - max(1, (sum(widths) - budget) // len(widths)))
            if all(w == 8 for w in widths):
                break

    def fit(text: str, size: int) -> str:
        return text.ljust(size) if len(text) <= size else text[: size - 1] + "…"

    def line(cells: list[str]) -> str:
        return "  ".join(fit(cell, w) for cell, w in zip(cells, widths, strict=True)).rstrip() + "\n"

    yield line(names)
    yield "  ".join("-" * w for w in widths) + "\n"
    count = len(rows)
    yield from (line(row) for row in rows)
    del rows
    for row in rows_iter:
        count += 1
        yield line([_cell(term) for term in row])
    yield f"({count} row{'' if count == 1 else 's'})\n"
