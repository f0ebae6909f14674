"""JSON-LD to RDF with pyld, the reference JSON-LD 1.1 processor, into pyoxigraph terms."""

from __future__ import annotations

import re
from typing import Any

import pyoxigraph as ox
from pyld import jsonld

from .contexts import ContextLoader
from .errors import JsonLdError, RemoteContextRefused

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


def dropped_iri_warning(value: str) -> str:
    return f"dropped a triple with the ill-formed IRI {value!r}"


def _named_node(value: str, warnings: list[str]) -> ox.NamedNode:
    """An IRI term; an ill-formed IRI raises ValueError and its triple is dropped, as JSON-LD 1.1 says."""
    try:
        return ox.NamedNode(value)
    except ValueError:
        warnings.append(dropped_iri_warning(value))
        raise


def _term(term: dict[str, Any], bnode_prefix: str, warnings: list[str]) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    kind = term["type"]
    if kind == "IRI":
        return _named_node(term["value"], warnings)
    if kind == "blank node":
        return ox.BlankNode(bnode_prefix + term["value"][2:])
    datatype = term.get("datatype", _XSD_STRING)
    if "language" in term or datatype == _RDF_LANGSTRING:
        return ox.Literal(term["value"], language=term["language"])
    if datatype == _XSD_STRING:
        return ox.Literal(term["value"])
    return ox.Literal(term["value"], datatype=_named_node(datatype, warnings))


def _innermost_message(exc: BaseException) -> BaseException:
    """pyld wraps the real reason in generic errors; find the most specific one."""
    best: BaseException = exc
    seen = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, RemoteContextRefused):
            return current
        if getattr(current, "code", None):
            best = current
        current = current.__cause__ or current.__context__
    return best


def _describe(exc: BaseException) -> str:
    if isinstance(exc, jsonld.JsonLdError):
        message = exc.args[0] if exc.args else str(exc)
        code = getattr(exc, "code", None)
        return f"{code}: {message}" if code else str(message)
    return str(exc)


def to_quads(
    document: Any,
    *,
    base: str | None,
    loader: ContextLoader,
    options: dict[str, Any] | None = None,
    bnode_prefix: str = "",
    warnings: list[str] | None = None,
) -> list[ox.Quad]:
    """Convert one JSON-LD document to quads; raise JsonLdError with the reason if it is invalid.

    `options` passes JSON-LD API options through (processingMode, expandContext,
    rdfDirection...); `bnode_prefix` keeps blank nodes of several documents apart.
    """
    warnings = warnings if warnings is not None else []
    pyld_options: dict[str, Any] = {"documentLoader": loader, "base": base or ""}
    pyld_options.update(options or {})
    try:
        dataset = jsonld.to_rdf(document, pyld_options)
    except RecursionError:
        raise JsonLdError("JSON-LD is nested too deeply to expand") from None
    except Exception as exc:  # pyld raises JsonLdError and, on odd input, plain Python errors
        reason = _innermost_message(exc)
        if isinstance(reason, RemoteContextRefused):
            raise RemoteContextRefused(str(reason)) from None
        raise JsonLdError(f"invalid JSON-LD: {_describe(reason)}") from None

    quads: list[ox.Quad] = []
    for graph_name, triples in dataset.items():
        if graph_name == "@default":
            graph: ox.NamedNode | ox.BlankNode | ox.DefaultGraph = ox.DefaultGraph()
        elif graph_name.startswith("_:"):
            graph = ox.BlankNode(bnode_prefix + graph_name[2:])
        else:
            try:
                graph = _named_node(graph_name, warnings)
            except ValueError:
                continue
        for triple in triples:
            try:
                quads.append(
                    ox.Quad(
                        _term(triple["subject"], bnode_prefix, warnings),
                        _term(triple["predicate"], bnode_prefix, warnings),
                        _term(triple["object"], bnode_prefix, warnings),
                        graph,
                    )
                )
            except ValueError:
                pass  # _named_node has said which IRI
            except TypeError as exc:
                warnings.append(f"dropped a triple that cannot be written as RDF: {exc}")
    return quads


# The keywords of JSON-LD 1.1; any other key that starts with "@" is ignored by processors.
JSONLD_KEYWORDS = frozenset(
    "@base @container @context @direction @graph @id @import @included @index @json @language "
    "@list @nest @none @prefix @propagate @protected @reverse @set @type @value @version @vocab".split()
)


def lint(document: Any) -> list[str]:
    """What expansion will silently drop: unknown keywords (ill-formed IRIs: see iris.repair_iris)."""
    notes: dict[str, None] = {}
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        for key, value in node.items():
            if key[:1] == "@" and key not in JSONLD_KEYWORDS and re.fullmatch(r"@[A-Za-z]+", key):
                notes[f"unknown keyword {key!r} ignored (JSON-LD ignores what looks like a keyword)"] = None
            if isinstance(value, (dict, list)):
                stack.append(value)
    return list(notes)
