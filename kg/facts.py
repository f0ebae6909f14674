"""Page facts: what the concept layer needs from one page, derived from that page alone.

A rule file's `# runs:` line says where it runs. A page rule (`# runs: page`) runs in the
worker that converts a page, over a small in-memory store holding that page's graph, its
entry in the provenance graph and the settings; what its CONSTRUCT queries make are the
page's facts. A corpus rule (`# runs: corpus`, the default) runs once per build over a
store of every page's facts (each page's in a graph named after the page) and writes the
concept layer. The settings (`# runs: page, corpus`) are written into both.

`page_facts` is pure (page IRI and N-Quads in, facts out), so any engine that converts
pages can call it where the page is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from .errors import RuleError
from .namespaces import PROV, PROVENANCE_GRAPH, RDF
from .results import QUERY_PREFIXES
from .sparql import syntax_error

PAGE, CORPUS = "page", "corpus"
_PROV_GRAPH = ox.NamedNode(PROVENANCE_GRAPH)
_ENTITY = (ox.NamedNode(str(RDF.type)), ox.NamedNode(str(PROV.Entity)))


def runs_where(rule) -> frozenset[str]:
    """Where a rule runs, from its `# runs:` line: {"page"}, {"corpus"} or both (default: corpus)."""
    lines = rule.header.get("runs")
    if lines is None:
        return frozenset({CORPUS})
    places = frozenset(name.strip() for name in " ".join(lines).split(",") if name.strip())
    unknown = places - {PAGE, CORPUS}
    if unknown or not places:
        raise RuleError(f"{rule.origin}: '# runs:' takes page, corpus or both, not {' '.join(lines)!r}")
    if PAGE in places and rule.filename.endswith(".sql"):
        raise RuleError(f"{rule.origin}: a .sql rule runs on the corpus only ('# runs: corpus')")
    return places


def page_rules_of(rules: list) -> list:
    return [rule for rule in rules if PAGE in runs_where(rule)]


def corpus_rules_of(rules: list) -> list:
    return [rule for rule in rules if CORPUS in runs_where(rule)]


@dataclass(frozen=True)
class PageRules:
    """The page rules, ready to run on one page after another (picklable, for the workers).

    `settings` are the N-Quads the rules' updates (the settings) write, made once; `queries`
    the CONSTRUCT texts with single-valued settings written in; `digest` what they are: a
    change to it derives every page's facts again.
    """

    settings: bytes
    queries: tuple[tuple[str, str], ...]  # (origin, text)
    digest: str

    @classmethod
    def from_rules(cls, rules: list) -> PageRules:
        from .rules import single_settings, with_settings

        store = ox.Store()
        constructs: list[tuple[str, str]] = []
        for rule in page_rules_of(rules):
            for step in rule.steps():
                if step.graph is None:
                    try:
                        store.update(step.text, prefixes=QUERY_PREFIXES)
                    except SyntaxError as exc:
                        raise RuleError(f"{rule.origin}: {syntax_error(exc, step.text)}") from None
                elif CORPUS not in runs_where(rule):
                    constructs.append((rule.origin, step.text))
        settings = single_settings(store)
        queries = tuple((origin, with_settings(text, settings)) for origin, text in constructs)
        for origin, text in queries:  # a syntax error is found before any page is converted
            try:
                ox.Store().query(text, prefixes=QUERY_PREFIXES)
            except SyntaxError as exc:
                raise RuleError(f"{origin}: {syntax_error(exc, text)}") from None
        written = "".join(sorted(f"{quad} .\n" for quad in store)).encode()
        hasher = hashlib.sha256(written)
        for _origin, text in queries:
            hasher.update(f"\0{text}".encode())
        return cls(written, queries, hasher.hexdigest())


def page_facts(page: str, graph: bytes | Iterable[tuple], rules: PageRules) -> bytes:
    """The facts of one page: `graph` is its named graph, as N-Quads (graph `page`) or as
    (subject, predicate, object) terms; the result is N-Quads in graph `page`, sorted, each
    line once."""
    store = ox.Store()
    name = ox.NamedNode(page)
    if isinstance(graph, bytes):
        if graph:  # a bulk load: a line may be longer than a plain load's 16 MB buffer
            store.bulk_load(graph, format=ox.RdfFormat.N_QUADS)
    else:
        store.extend(ox.Quad(s, p, o, name) for s, p, o in graph)
    if rules.settings:
        store.load(input=rules.settings, format=ox.RdfFormat.N_QUADS)
    store.add(ox.Quad(name, *_ENTITY, _PROV_GRAPH))
    lines: set[bytes] = set()
    for origin, text in rules.queries:
        try:
            # N-Triples escapes every line break inside a term: each line is one triple.
            lines.update(store.query(text).serialize(format=ox.RdfFormat.N_TRIPLES).splitlines())
        except OSError as exc:
            raise RuleError(f"{origin}: the rule failed on {page}: {exc}") from None
    # "s p o ." becomes "s p o <page> ."; the order of the lines is the same either way.
    suffix = f" <{page}> .\n".encode()
    return b"".join(line[:-2] + suffix for line in sorted(lines))


def stored_pages(store: ox.Store, pages: Iterable[str]) -> Iterable[tuple[str, list[tuple], bytes]]:
    """Each page's graph in `store` as (subject, predicate, object) terms, and its provenance
    record as N-Quads."""
    for page in pages:
        node = ox.NamedNode(page)
        graph = [
            (quad.subject, quad.predicate, quad.object) for quad in store.quads_for_pattern(None, None, None, node)
        ]
        record = "".join(f"{quad} .\n" for quad in store.quads_for_pattern(node, None, None, _PROV_GRAPH)).encode()
        yield page, graph, record


def store_pages(store: ox.Store) -> list[str]:
    """The pages of a store: the subjects of the provenance graph that are prov:Entity."""
    return sorted(quad.subject.value for quad in store.quads_for_pattern(None, *_ENTITY, _PROV_GRAPH))
