"""IRIs RDF cannot hold, kept by percent-encoding what it forbids, before either JSON-LD path runs.

Pages write IRIs a browser takes but RDF does not: WordPress's search target
`https://site/?s={search_term_string}`, a `|` or a space in a path, a stray `}`. JSON-LD
drops the triple of such an IRI. A browser's URL parser percent-encodes what it cannot
carry (each UTF-8 byte as %XX) and keeps the rest; kg does the same with the characters
RFC 3987 forbids, so the value survives, and drops only what no encoding makes valid (a
broken scheme). Both paths (the fast one and pyld) read the repaired document, so they
agree, and each value gets one warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from .contexts import is_schemaorg_context, schemaorg_iri_terms

# What RFC 3987 never allows in an IRI, and a "%" that does not start a %XX escape.
_FORBIDDEN = re.compile(r'[\x00-\x20\x7f<>"{}|\\^`]|%(?![0-9A-Fa-f]{2})')
# A browser's URL parser drops leading and trailing spaces and controls, and tabs and
# newlines anywhere (a URL wrapped over two lines in the page's source).
_EDGES = re.compile(r"^[\x00-\x20]+|[\x00-\x20]+$")
_WRAPS = re.compile(r"[\t\n\r]")
# Where a relative reference is tried, to check its characters (never stored).
_PROBE_BASE = "http://kg.invalid/"


def iri_terms_of(document: Any) -> frozenset[str]:
    """The terms whose values are IRIs, besides @id: schema.org's (url, sameAs, target...)
    when that is the document's context; others are left to the JSON-LD processor."""
    context = document.get("@context") if isinstance(document, dict) else None
    return schemaorg_iri_terms() if isinstance(context, str) and is_schemaorg_context(context) else frozenset()


def has_forbidden(value: str) -> bool:
    """Whether `value` holds a character RDF forbids in an IRI (or a stray "%")."""
    return _FORBIDDEN.search(value) is not None


def _escape(match: re.Match[str]) -> str:
    return "".join(f"%{byte:02X}" for byte in match.group().encode("utf-8", "surrogatepass"))


def encode_iri(value: str) -> str | None:
    """`value` with what RDF forbids percent-encoded, or None when even that is not a valid IRI."""
    encoded = _FORBIDDEN.sub(_escape, _WRAPS.sub("", _EDGES.sub("", value)))
    if not encoded:
        return None
    # A ":" before the first "/", "?" or "#" makes a JSON-LD processor read a scheme: then
    # the value must be a valid IRI as it is, else it is a reference resolved against the page.
    absolute = ":" in re.split(r"[/?#]", encoded, maxsplit=1)[0]
    probe = encoded if absolute else _PROBE_BASE + encoded
    try:
        ox.NamedNode(probe)
    except ValueError:
        return None
    return encoded


@dataclass
class Repaired:
    """A document with its ill-formed IRIs percent-encoded, a note per value, and the values
    no encoding could save (the JSON-LD processor drops them; they are noted here already)."""

    document: Any
    notes: list[str] = field(default_factory=list)
    dropped: frozenset[str] = frozenset()


def repair_iris(document: Any, iri_terms: frozenset[str]) -> Repaired:
    """The document with each ill-formed IRI (an @id, or the value of a term in `iri_terms`)
    percent-encoded, and one note per value: kept, or dropped with its triple.

    The document given is not changed: a copy is made when something must be.
    """
    found: dict[tuple[str, str], str | None] = {}
    _walk(document, iri_terms, found)
    if not found:
        return Repaired(document)
    notes = []
    for (key, value), encoded in found.items():
        if encoded is None:
            notes.append(
                f"ill-formed IRI {value[:200]!r} in {key!r}: no encoding makes it valid; dropped with its triple"
            )
        else:
            notes.append(f"ill-formed IRI {value[:200]!r} in {key!r}: kept, percent-encoded as {encoded[:200]!r}")
    replacements = {value: encoded for (_, value), encoded in found.items() if encoded is not None}
    dropped = frozenset(value for (_, value), encoded in found.items() if encoded is None)
    if replacements:
        document = _copy_replacing(document, iri_terms, replacements)
    return Repaired(document, notes, dropped)


def _walk(document: Any, iri_terms: frozenset[str], found: dict[tuple[str, str], str | None]) -> None:
    """Each ill-formed IRI value with its encoding (None: none works); only containers go
    on the stack, as this runs on every block."""
    search = _FORBIDDEN.search
    stack: list[tuple[str | None, Any]] = [(None, document)]
    while stack:
        key, node = stack.pop()
        pairs = (
            ((name, value) for name, value in node.items() if name != "@context")
            if isinstance(node, dict)
            else ((key, item) for item in node)
        )
        children = []
        for name, value in pairs:
            if isinstance(value, (dict, list)):
                children.append((name, value))
            elif (
                type(value) is str
                and (name == "@id" or name in iri_terms)
                and search(value)
                and not value.startswith("_:")
                and (name, value) not in found
            ):
                found[(name, value)] = encode_iri(value)
        stack.extend(reversed(children))


def _copy_replacing(document: Any, iri_terms: frozenset[str], replacements: dict[str, str]) -> Any:
    """A copy of the document with the IRI values in `replacements` replaced (iteratively:
    documents may nest deeper than Python's recursion allows)."""
    root: list[Any] = [None]
    stack: list[tuple[Any, Any, Any, bool]] = [(document, root, 0, False)]
    while stack:
        node, parent, slot, is_iri = stack.pop()
        if isinstance(node, dict):
            copy: dict[str, Any] = {}
            parent[slot] = copy
            for key, value in node.items():
                copy[key] = value
                if key != "@context":
                    stack.append((value, copy, key, key == "@id" or key in iri_terms))
        elif isinstance(node, list):
            items: list[Any] = list(node)
            parent[slot] = items
            for index, value in enumerate(node):
                stack.append((value, items, index, is_iri))
        elif is_iri and isinstance(node, str) and node in replacements:
            parent[slot] = replacements[node]
        else:
            parent[slot] = node
    return root[0]
