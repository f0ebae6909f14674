"""The fast JSON-LD path: schema.org documents parsed by Oxigraph with a context cut to their terms.

pyld re-walks schema.org's 2,900-term context for every document; Oxigraph's native
JSON-LD parser is fast but needs the context inline. Giving it only the term
definitions a document uses (plus the ones those refer to) keeps the result the same
while the context shrinks from 160 KB to a few hundred bytes. Documents outside the
subset this covers return None and go to pyld; differential tests hold the two equal.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import orjson
import pyoxigraph as ox

from .contexts import is_schemaorg_context, schemaorg_context

# Keywords the fast path hands to Oxigraph; any other keyword sends the document to pyld.
_KEYWORDS = frozenset({"@id", "@type", "@graph", "@value", "@language", "@list", "@set"})


# pyld, the reference, refuses an IRI holding any character Python counts as whitespace;
# RFC 3987 allows the ones past ASCII (U+00A0, U+2028, U+3000...), and so does Oxigraph. A
# document with one where an IRI is made (a term, a type, an @id, the value of a term the
# context types as @id) goes to pyld; the same characters in text change nothing.
_WIDE_SPACE = re.compile("[" + "".join(chr(c) for c in range(0x80, 0x10000) if chr(c).isspace()) + "]")


@functools.cache
def _iri_keys() -> frozenset[str]:
    """@id, and the schema.org terms whose values the context makes IRIs."""
    context = schemaorg_context()["@context"]
    typed = (term for term, value in context.items() if isinstance(value, dict) and value.get("@type") == "@id")
    return frozenset(["@id", *typed])


class NotCovered(Exception):
    """The document uses JSON-LD the fast path does not take on."""


def _collect_terms(node: Any, terms: set[str], iri_keys: frozenset[str], depth: int = 0) -> None:
    if depth > 200:
        raise NotCovered("deeply nested")
    if isinstance(node, dict):
        for key, value in node.items():
            if not key.isascii() and _WIDE_SPACE.search(key):
                raise NotCovered("whitespace in a term")
            if key[:1] == "@":
                if key not in _KEYWORDS:
                    raise NotCovered(key)
                if key == "@type":
                    for name in value if isinstance(value, list) else (value,):
                        if not isinstance(name, str) or _WIDE_SPACE.search(name):
                            raise NotCovered("@type")
                        terms.add(name)
                    continue
                if key == "@value":
                    continue
            else:
                terms.add(key)
            if key in iri_keys:
                for item in value if isinstance(value, list) else (value,):
                    if isinstance(item, str) and not item.isascii() and _WIDE_SPACE.search(item):
                        raise NotCovered("whitespace in an IRI")
            _collect_terms(value, terms, iri_keys, depth + 1)
    elif isinstance(node, list):
        for item in node:
            _collect_terms(item, terms, iri_keys, depth + 1)
    elif isinstance(node, float) and (abs(node) >= 2**53 or float(f"{node:1.15e}") != node):
        # Oxigraph writes a double from its JSON text with every digit; pyld, the
        # reference, rounds to 16 significant digits and writes integral values
        # from the binary double. Where those could differ, pyld decides.
        raise NotCovered("number pyld would round")


@functools.lru_cache(maxsize=4096)
def reduced_context(terms: frozenset[str]) -> dict[str, Any]:
    """The schema.org term definitions a set of terms needs, closed over what they refer to."""
    full = schemaorg_context()["@context"]
    reduced: dict[str, Any] = {key: value for key, value in full.items() if key.startswith("@")}
    pending = [term for term in terms if term in full] + [t.split(":", 1)[0] for t in terms if ":" in t]
    while pending:
        term = pending.pop()
        if term in reduced or term not in full:
            continue
        definition = full[term]
        reduced[term] = definition
        refers = (
            [definition] if isinstance(definition, str) else [definition.get("@id", ""), definition.get("@type", "")]
        )
        for reference in refers:
            if reference and not reference.startswith("@"):
                pending.append(reference.split(":", 1)[0] if ":" in reference else reference)
    return reduced


def covered(document: Any) -> tuple[dict[str, Any], frozenset[str]] | None:
    """The document and its terms when the fast path can take it, else None."""
    if not isinstance(document, dict):
        return None
    context = document.get("@context")
    if not isinstance(context, str) or not is_schemaorg_context(context):
        return None
    body = {key: value for key, value in document.items() if key != "@context"}
    terms: set[str] = set()
    try:
        _collect_terms(body, terms, _iri_keys())
    except (NotCovered, RecursionError):
        return None
    return body, frozenset(terms)


def fast_quads(document: Any, base: str) -> tuple[list[ox.Quad], bool] | None:
    """Quads for a schema.org document, and whether it names https://schema.org/ IRIs itself;
    None when pyld must take the document."""
    found = covered(document)
    if found is None:
        return None
    body, terms = found
    try:
        payload = orjson.dumps({"@context": reduced_context(terms), **body})
    except TypeError:  # integers past 64 bits, lone surrogates: pyld takes those
        return None
    try:
        quads = list(ox.parse(payload, format=ox.RdfFormat.JSON_LD, base_iri=base))
    except (SyntaxError, ValueError):
        return None  # let pyld decide, and word the error if there is one
    except MemoryError:
        # Oxigraph's JSON-LD parser buffers at most 16 MiB of one token (a long string):
        # pyld has no such limit.
        return None
    return quads, b"https://schema.org/" in payload
