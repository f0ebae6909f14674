"""Keeps SPARQL offline: a query or update that would fetch (SERVICE, LOAD) is refused before it runs.

Oxigraph answers SERVICE by calling the remote endpoint and LOAD by downloading the
file, and so does rdflib's own evaluator. kg never fetches unless asked by name, so every
path that runs SPARQL a user wrote (`kg query`, its --update, `--queries DIR`, .rq files,
`kg link --rules DIR`, the Python API, `kg serve`) calls `refuse_fetching` first.

The check reads the parsed query, not its text: rdflib's SPARQL 1.1 parser gives the
syntax tree, and a SERVICE pattern or LOAD operation anywhere in it is refused, while the
word in a literal, an IRI, a variable or a comment is not. Oxigraph accepts a few
extensions rdflib does not parse (LATERAL, which kg's rules use); such text is read token
by token instead (comments, strings and IRIs skipped), which tells the keyword from the
same letters anywhere else just as the parser would.
"""

from __future__ import annotations

import functools
import re

from .errors import QueryError


class FetchRefused(QueryError):
    """A query or update would reach the network (SERVICE, LOAD)."""


_MESSAGES = {
    "SERVICE": "SERVICE asks another SPARQL endpoint over the network, which kg never does; "
    "query the store alone (build other data into it with kg build)",
    "LOAD": "LOAD fetches from the network, which kg never does; load files with kg build",
}
# The parse tree's names for them (rdflib's CompValue names).
_FETCHING_NODES = {"ServiceGraphPattern": "SERVICE", "Load": "LOAD"}

# SPARQL's tokens, as far as telling a keyword from text is concerned. Order matters:
# comments, strings and IRIs first, so that nothing inside them is read as a keyword.
_TOKEN = re.compile(
    r"""
    (?P<comment>\#[^\n]*)
    | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
                 |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
    | (?P<iri><[^<>"{}|^`\\\s]*>)
    | (?P<word>[?$]?[\w:][\w\-.:%\\]*)
    | (?P<other>\S)
    """,
    re.VERBOSE,
)


def refuse_fetching(query: object) -> None:
    """Raise FetchRefused when `query` (SPARQL text, or an rdflib prepared query) would fetch."""
    found = fetching_operation(query)
    if found is not None:
        raise FetchRefused(_MESSAGES[found])


def fetching_operation(query: object) -> str | None:
    """The operation that would fetch (SERVICE or LOAD) when `query` holds one, else None."""
    algebra = getattr(query, "algebra", None)
    if algebra is not None:  # an rdflib prepared query: its algebra is already there
        return _in_tree(algebra)
    text = str(query)
    if not re.search(r"service|load", text, re.IGNORECASE):
        return None  # the letters are nowhere: nothing to parse
    tree = _parsed(text)
    return _in_tree(tree) if tree is not None else _in_tokens(text)


@functools.lru_cache(maxsize=256)
def _parsed(text: str):
    """rdflib's syntax tree of a query or an update; None when rdflib cannot parse it."""
    from pyparsing import ParseException
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

    for parse in (parseQuery, parseUpdate):
        try:
            return parse(text)
        except ParseException:
            continue
        except RecursionError:
            return None
    return None


def _in_tree(node) -> str | None:
    from rdflib.plugins.sparql.parserutils import CompValue

    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, CompValue):
            if item.name in _FETCHING_NODES:
                return _FETCHING_NODES[item.name]
            stack.extend(item.values())
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple) or type(item).__name__ == "ParseResults":
            stack.extend(item)
    return None


def _in_tokens(text: str) -> str | None:
    for token in _TOKEN.finditer(text):
        word = token.group("word")
        if word and word.upper() in _MESSAGES:
            return word.upper()
    return None
