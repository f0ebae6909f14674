"""The concept browser's data: one concept as a page reads it, its RDF, and its neighbourhood.

Everything here is read from the store with a few index lookups around one concept
(its own statements, the statements pointing at it, the labels of the concepts it links
to), so a concept page costs the same on a 100-page build as on a 100,000-page one.
Rendering is kg.pages'.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain, islice

import networkx as nx
import pyoxigraph as ox

from .namespaces import CONCEPTS_GRAPH, KG, RDF, SKOS
from .network.table import web_url
from .results import QUERY_PREFIXES

_GRAPH = ox.NamedNode(CONCEPTS_GRAPH)
# kg.network (numpy, scipy, networkx: seconds to import on a busy machine) is imported by
# the neighbourhood only, so that a server answers its first concept page without it.
# At most this many concepts are drawn around one (the most central of its neighbourhood).
MAX_DRAWN = 100
# At most this many links of one relation are listed on a page (an area may hold thousands).
MAX_LINKS = 200
# Past this many statements about a concept (either way), each kind is read apart, and cut.
_SCAN_LIMIT = 2000

_KIND, _LABEL = str(KG.kind), str(SKOS.prefLabel)
_QUESTION, _ANSWER = ox.NamedNode(str(KG.question)), ox.NamedNode(str(KG.answer))
_KIND_NODE, _LABEL_NODE = ox.NamedNode(_KIND), ox.NamedNode(_LABEL)
_DEFINITION_NODE, _SOURCE_NODE = ox.NamedNode(str(SKOS.definition)), ox.NamedNode(str(KG.source))
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
    more: dict[str, int] = field(default_factory=dict)  # links left out per relation (-1: some, not counted)
    facets: list[tuple[Link, str, str]] = field(default_factory=list)  # facet, question, answer
    sources: list[str] = field(default_factory=list)
    other: list[tuple[str, str]] = field(default_factory=list)  # (predicate, value) not shown above

    @property
    def web_url(self) -> str | None:
        return web_url(self.iri) or next(filter(None, map(web_url, self.sources)), None)


def _key(term) -> str:
    """A term as kg.network names concepts: its value, or "_:id" for a blank node."""
    return str(term) if isinstance(term, ox.BlankNode) else term.value


def _subject(iri: str) -> ox.NamedNode | ox.BlankNode:
    return ox.BlankNode(iri[2:]) if iri.startswith("_:") else ox.NamedNode(iri)


def _values(store: ox.Store, term, predicate: ox.NamedNode, limit: int | None = None) -> list[str]:
    """The values of `predicate` for `term`, sorted (of the first `limit` found, when given)."""
    return sorted(quad.object.value for quad in islice(store.quads_for_pattern(term, predicate, None, _GRAPH), limit))


def _names(store: ox.Store, terms) -> dict:
    """term -> (label, kind) of the concepts among `terms` (those without kg:kind are left out).

    Two index lookups a concept: a SPARQL query with the concepts in VALUES took seconds
    on 10,000 pages (Oxigraph joined the whole concept graph to them)."""
    found: dict = {}
    for term in terms:
        kinds = _values(store, term, _KIND_NODE)
        if kinds:
            labels = _values(store, term, _LABEL_NODE)
            found[term] = (labels[0] if labels else _key(term), kinds[0])
    return found


def _describe(store: ox.Store, graph: nx.DiGraph) -> None:
    """What `network.add_details` gives the drawn concepts (definition, question, sources, url), by index lookups."""
    for node, attributes in graph.nodes(data=True):
        term = _subject(node)
        definitions = _values(store, term, _DEFINITION_NODE) or _values(store, term, _ANSWER)
        questions = _values(store, term, _QUESTION)
        sources = _values(store, term, _SOURCE_NODE, 50)  # a navigation page is stated by thousands
        attributes.update(definition=definitions[0] if definitions else "", question=questions[0] if questions else "")
        attributes["sources"] = sources
        attributes["url"] = attributes.get("url") or next(filter(None, map(web_url, sources)), None)


def read_concept(store: ox.Store, iri: str) -> ConceptView | None:
    """The concept `iri` of the concept layer, or None when the layer has no such concept."""
    subject = _subject(iri)
    outgoing = list(islice(store.quads_for_pattern(subject, None, None, _GRAPH), _SCAN_LIMIT + 1))
    incoming = list(islice(store.quads_for_pattern(None, None, subject, _GRAPH), _SCAN_LIMIT + 1))
    cut = len(outgoing) > _SCAN_LIMIT or len(incoming) > _SCAN_LIMIT
    if cut:  # a navigation page, stated by and linking to thousands: each kind of statement, cut
        outgoing = [
            quad
            for predicate in [_KIND, _LABEL, *_TEXTS, str(SKOS.inScheme), str(KG.source), *_RELATION_NAMES]
            for quad in islice(store.quads_for_pattern(subject, ox.NamedNode(predicate), None, _GRAPH), MAX_LINKS + 1)
        ]
        incoming = [
            quad
            for predicate in _INVERSE_NAMES
            for quad in islice(store.quads_for_pattern(None, ox.NamedNode(predicate), subject, _GRAPH), MAX_LINKS + 1)
        ]
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
    for quad in incoming:
        predicate = quad.predicate.value
        if predicate in _INVERSE_NAMES:
            linked.append((_INVERSE_NAMES[predicate], quad.subject))
    by_relation: dict[str, list] = {}
    for relation, term in linked:
        by_relation.setdefault(relation, []).append(term)
    for relation, terms in by_relation.items():
        terms = sorted(set(terms), key=_key)
        if len(terms) > MAX_LINKS:  # only the first by IRI are named (two lookups each) and listed
            view.more[relation] = -1 if cut else len(terms) - MAX_LINKS
            terms = terms[:MAX_LINKS]
        names = _names(store, terms)
        links = [Link(_key(term), *names[term]) for term in terms if term in names]
        if links:
            view.links[relation] = sorted(links, key=lambda link: (link.label.casefold(), link.iri))
    for texts in view.texts.values():
        texts.sort()
    view.sources.sort()
    if len(view.sources) > MAX_LINKS:
        view.more["sources"] = -1 if cut else len(view.sources) - MAX_LINKS
        del view.sources[MAX_LINKS:]
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


def _links_from(store: ox.Store, terms) -> Iterator[ox.Triple]:
    """The concept graph's links (not literals) from `terms`, by index lookups (see `_names`)."""
    for term in terms:
        for quad in store.quads_for_pattern(term, None, None, _GRAPH):
            if not isinstance(quad.object, ox.Literal):
                yield quad.triple


def _links_among(store: ox.Store, terms: list) -> Iterator[ox.Triple]:
    """The links between `terms`, each concept's read whichever way is cheaper: its outgoing
    statements when it has fewer than there are `terms`, else one lookup per other concept
    (a definition held by hundreds of areas, a navigation page linking to thousands)."""
    wanted = set(terms)
    for term in terms:
        found = list(islice(store.quads_for_pattern(term, None, None, _GRAPH), len(terms) + 1))
        if len(found) <= len(terms):
            yield from (quad.triple for quad in found if quad.object in wanted)
        else:
            for other in terms:
                yield from (quad.triple for quad in store.quads_for_pattern(term, None, other, _GRAPH))


def neighbourhood(store: ox.Store, iri: str, *, max_nodes: int = MAX_DRAWN) -> tuple[nx.DiGraph, str | None, dict]:
    """The concept and those one relation away, with the relations among them, as `kg view --around
    LABEL --depth 1` draws them (the most central `max_nodes` when there are more); a note; PageRank."""
    from .network.read import _NOT_RELATIONS, _Relations

    center = _subject(iri)
    near = {center}
    pointing_in = (quad.triple for quad in store.quads_for_pattern(None, None, center, _GRAPH))
    for subject, predicate, value in chain(_links_from(store, [center]), pointing_in):
        if predicate.value not in _NOT_RELATIONS:
            near.update((subject, value))
    considered = len(near)
    if considered > 2 * max_nodes:  # a hub: rank only the first of its neighbours (by IRI)
        near = {center, *sorted(near - {center}, key=_key)[: 2 * max_nodes]}
    names = _names(store, list(near))
    kept = sorted(names, key=_key)
    place = {term: number for number, term in enumerate(kept)}
    found = _Relations(place)
    for subject, predicate, value in _links_among(store, kept):
        found.add(subject, predicate.value, value)
    table = found.table([_key(t) for t in kept], [names[t][1] for t in kept], [names[t][0] for t in kept])
    rank = table.pagerank()
    note = f"{names[center][0]} and the concepts one relation away."
    if considered > len(near):
        note += f" It has {considered - 1:,} neighbours: the first {len(near) - 1:,} by IRI are ranked."
    if len(table) > max_nodes:
        middle = place[center]
        chosen = [middle] + [n for n in table.by_rank(rank, range(len(table))) if n != middle][: max_nodes - 1]
        note += f" Showing the {max_nodes} most central of {len(table):,}."
        table = table.part(chosen)
        rank = table.pagerank()
    graph = table.graph()
    _describe(store, graph)
    return graph, note, {table.nodes[i]: float(rank[i]) for i in range(len(table))}
