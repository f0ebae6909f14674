"""The concept browser's data: one concept as a page reads it, its RDF, and its neighbourhood.

Everything here is read from the store with a few index lookups around one concept
(its own statements, the statements pointing at it, the labels of the concepts it links
to), so a concept page costs the same on a 100-page build as on a 100,000-page one.
Rendering is kg.pages'.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx
import pyoxigraph as ox

from .namespaces import CONCEPTS_GRAPH, KG, RDF, SKOS
from .network import _NOT_RELATIONS, _key, _links_of, _Relations, _web_url, add_details
from .results import QUERY_PREFIXES

_GRAPH = ox.NamedNode(CONCEPTS_GRAPH)
# At most this many concepts are drawn around one (the most central of its neighbourhood).
MAX_DRAWN = 120
# At most this many links of one relation are listed on a page (an area may hold thousands).
MAX_LINKS = 500

_KIND, _LABEL = str(KG.kind), str(SKOS.prefLabel)
_QUESTION, _ANSWER = ox.NamedNode(str(KG.question)), ox.NamedNode(str(KG.answer))
_RELATION_NAMES = {
    str(SKOS.broader): "broader",
    str(SKOS.narrower): "narrower",
    str(SKOS.related): "related",
    str(KG.facet): "facets",
}
# A statement pointing at the concept, read from its subject's side.
_INVERSE_NAMES = {
    str(SKOS.narrower): "broader",
    str(SKOS.broader): "narrower",
    str(SKOS.related): "related",
    str(KG.facet): "facet of",
}
_TEXTS = {
    str(SKOS.definition): "definitions",
    str(KG.question): "question",
    str(KG.answer): "answer",
    str(SKOS.altLabel): "alternative labels",
}


@dataclass(frozen=True)
class Link:
    iri: str
    label: str
    kind: str


@dataclass
class ConceptView:
    """One concept as its page shows it."""

    iri: str
    label: str
    kind: str
    texts: dict[str, list[str]] = field(default_factory=dict)  # definitions, question, answer ...
    schemes: list[str] = field(default_factory=list)
    links: dict[str, list[Link]] = field(default_factory=dict)  # broader, narrower, related, facets, facet of
    more: dict[str, int] = field(default_factory=dict)  # links left out per relation
    facets: list[tuple[Link, str, str]] = field(default_factory=list)  # facet, question, answer
    sources: list[str] = field(default_factory=list)
    other: list[tuple[str, str]] = field(default_factory=list)  # (predicate, value) not shown above

    @property
    def web_url(self) -> str | None:
        return _web_url(self.iri) or next(filter(None, map(_web_url, self.sources)), None)


def _subject(iri: str) -> ox.NamedNode | ox.BlankNode:
    return ox.BlankNode(iri[2:]) if iri.startswith("_:") else ox.NamedNode(iri)


def _names(store: ox.Store, terms: list) -> dict:
    """term -> (label, kind) of the concepts among `terms` (those without kg:kind are left out)."""
    found: dict = {}
    named = [term for term in terms if isinstance(term, ox.NamedNode)]
    for begin in range(0, len(named), 1000):
        values = " ".join(str(term) for term in named[begin : begin + 1000])
        query = (
            f"SELECT ?c (MIN(STR(?k)) AS ?kind) (MIN(STR(?l)) AS ?label) WHERE {{ VALUES ?c {{ {values} }} "
            f"GRAPH <{CONCEPTS_GRAPH}> {{ ?c <{_KIND}> ?k OPTIONAL {{ ?c <{_LABEL}> ?l }} }} }} GROUP BY ?c"
        )
        for row in store.query(query):
            term, kind, label = row["c"], row["kind"], row["label"]
            found[term] = (label.value if label is not None else _key(term), kind.value)
    for term in terms:
        if isinstance(term, ox.BlankNode):
            kind = next(store.quads_for_pattern(term, ox.NamedNode(_KIND), None, _GRAPH), None)
            if kind is not None:
                label = next(store.quads_for_pattern(term, ox.NamedNode(_LABEL), None, _GRAPH), None)
                found[term] = (label.object.value if label else _key(term), kind.object.value)
    return found


def read_concept(store: ox.Store, iri: str) -> ConceptView | None:
    """The concept `iri` of the concept layer, or None when the layer has no such concept."""
    subject = _subject(iri)
    outgoing = list(store.quads_for_pattern(subject, None, None, _GRAPH))
    kinds = sorted(q.object.value for q in outgoing if q.predicate.value == _KIND)
    if not kinds:
        return None
    labels = sorted(q.object.value for q in outgoing if q.predicate.value == _LABEL)
    view = ConceptView(iri, labels[0] if labels else iri, kinds[0])
    linked: list[tuple[str, ox.NamedNode | ox.BlankNode]] = []
    for quad in outgoing:
        predicate, value = quad.predicate.value, quad.object
        if predicate in (_KIND, _LABEL):
            continue
        if predicate in _TEXTS and isinstance(value, ox.Literal):
            view.texts.setdefault(_TEXTS[predicate], []).append(value.value)
        elif predicate == str(SKOS.inScheme):
            view.schemes.append(_key(value))
        elif predicate == str(KG.source):
            view.sources.append(_key(value))
        elif predicate in _RELATION_NAMES and not isinstance(value, ox.Literal):
            linked.append((_RELATION_NAMES[predicate], value))
        elif predicate != str(RDF.type):
            shown = value.value if isinstance(value, ox.Literal) else _key(value)
            view.other.append((_prefixed(predicate), shown))
    for quad in store.quads_for_pattern(None, None, subject, _GRAPH):
        predicate = quad.predicate.value
        if predicate in _INVERSE_NAMES:
            linked.append((_INVERSE_NAMES[predicate], quad.subject))
    names = _names(store, list({term for _, term in linked}))
    seen: set[tuple[str, str]] = set()
    for relation, term in linked:
        if term not in names or (relation, _key(term)) in seen:
            continue
        seen.add((relation, _key(term)))
        label, kind = names[term]
        view.links.setdefault(relation, []).append(Link(_key(term), label, kind))
    for relation, links in view.links.items():
        links.sort(key=lambda link: (link.label.casefold(), link.iri))
        if len(links) > MAX_LINKS:
            view.more[relation] = len(links) - MAX_LINKS
            del links[MAX_LINKS:]
    for texts in view.texts.values():
        texts.sort()
    view.sources.sort()
    view.schemes.sort()
    view.other.sort()
    view.facets = _facets(store, view.links.get("facets", []))
    return view


def _facets(store: ox.Store, facets: list[Link]) -> list[tuple[Link, str, str]]:
    """Each facet with its question and answer."""
    shown = []
    for facet in facets:
        subject = _subject(facet.iri)
        question = min((q.object.value for q in store.quads_for_pattern(subject, _QUESTION, None, _GRAPH)), default="")
        answer = min((q.object.value for q in store.quads_for_pattern(subject, _ANSWER, None, _GRAPH)), default="")
        shown.append((facet, question, answer))
    return shown


def _prefixed(iri: str) -> str:
    for prefix, namespace in QUERY_PREFIXES.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def concept_triples(store: ox.Store, iri: str) -> list[ox.Triple]:
    """What the concept layer states about `iri`: the concept's own description, for RDF clients."""
    return [quad.triple for quad in store.quads_for_pattern(_subject(iri), None, None, _GRAPH)]


def neighbourhood(store: ox.Store, iri: str, *, max_nodes: int = MAX_DRAWN) -> tuple[nx.DiGraph, str | None, dict]:
    """The concept and those one relation away, with the relations among them, as `kg view --around
    LABEL --depth 1` draws them (the most central `max_nodes` when there are more); a note; PageRank."""
    center = _subject(iri)
    near = {center}
    for subject, predicate, value in _links_of(store, [center], both_ways=True):
        if predicate.value not in _NOT_RELATIONS:
            near.update((subject, value))
    names = _names(store, list(near))
    kept = sorted(names, key=_key)
    place = {term: number for number, term in enumerate(kept)}
    found = _Relations(place)
    for subject, predicate, value in _links_of(store, kept, both_ways=False):
        found.add(subject, predicate.value, value)
    table = found.table([_key(t) for t in kept], [names[t][1] for t in kept], [names[t][0] for t in kept])
    rank = table.pagerank()
    note = f"{names[center][0]} and the concepts one relation away."
    if len(table) > max_nodes:
        middle = place[center]
        chosen = [middle] + [n for n in table.by_rank(rank, range(len(table))) if n != middle][: max_nodes - 1]
        note += f" Showing the {max_nodes} most central of {len(table):,}."
        table = table.part(chosen)
        rank = table.pagerank()
    graph = table.graph()
    add_details(store, graph, graph.nodes)
    return graph, note, {table.nodes[i]: float(rank[i]) for i in range(len(table))}
