"""The query library: the .rq files of queries/ (and a folder of one's own) with their titles and parameters."""

from __future__ import annotations

import difflib
import re
import textwrap
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from .errors import QueryError
from .sparql import parse_header

QUERY_SUFFIX = ".rq"


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
