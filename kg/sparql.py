"""SPARQL text: query headers, parameter values, VALUES binding, and syntax errors with line and column."""

from __future__ import annotations

import re

import pyoxigraph as ox

from .errors import QueryError
from .results import QUERY_PREFIXES

_HEADER_LINE = re.compile(r"^#\s?([a-z]+)(?:\s+([A-Za-z_][\w-]*))?:\s*(.*)$")


_CONTINUATION = re.compile(r"^#\s{2,}(\S.*)$")


_SYNTAX_POSITION = re.compile(r"^error at (\d+):(\d+): (.*)$", re.DOTALL)


_ABSOLUTE_IRI = re.compile(r"^(?:https?|urn|file|mailto|tag|did):\S+$", re.IGNORECASE)


_PREFIXED_NAME = re.compile(r"^([A-Za-z][\w.-]*)?:([\w.-]*)$")


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
