"""Read the concept layer from a store (or the network a build saved) into a ConceptTable or a networkx graph."""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
import pyoxigraph as ox

from ..errors import EmptyNetwork
from ..namespaces import CONCEPTS_GRAPH, KG, RDF, SKOS
from .labels import _index_of
from .table import ConceptTable, _web_url

# When one pair of concepts has several relations, the lower rank wins.
_RELATION_RANK = {"narrower": 0, "facet": 1, "related": 2}


# Predicates between concept nodes that are bookkeeping, not relations: kg:source
# points at the asserting page, which is itself a concept when it is an area page;
# transitive closures would only add shortcuts over the edges already drawn.
_NOT_RELATIONS = {
    str(KG.source),
    str(KG.kind),
    str(RDF.type),
    str(SKOS.inScheme),
    str(SKOS.topConceptOf),
    str(SKOS.hasTopConcept),
    str(SKOS.broaderTransitive),
    str(SKOS.narrowerTransitive),
}


_PREFIXES = f"PREFIX skos: <{SKOS}> PREFIX kg: <{KG}>\n"


_GRAPH = f"<{CONCEPTS_GRAPH}>"


# The network is read one predicate at a time, each through the store's predicate index,
# and joined in Python: one query over the whole graph, or a join of the lists in SPARQL,
# reads and compares far more (100,000 pages: 22 s for the names in one query, 11 s as two
# lists; the relations of the concepts' predicates only, not the overlaps', in half the time).
_OBJECTS_QUERY = f"SELECT ?s ?o WHERE {{{{ GRAPH {_GRAPH} {{{{ ?s <{{predicate}}> ?o }}}} }}}}"


_LINKS_QUERY = f"SELECT ?s ?o WHERE {{{{ GRAPH {_GRAPH} {{{{ ?s <{{predicate}}> ?o }}}} FILTER(!isLiteral(?o)) }}}}"


_PREDICATES_QUERY = f"SELECT DISTINCT ?p WHERE {{ GRAPH {_GRAPH} {{ ?s <{KG.kind}> ?k . ?s ?p ?o }} }}"


# The texts of some concepts (VALUES ?concept { ... } goes after the WHERE's brace): only
# the concepts drawn need them, and on a large store they are most of the concept layer.
_DETAILS_QUERY = (
    _PREFIXES
    + f"""
SELECT ?concept (MIN(STR(?d)) AS ?definition) (MIN(STR(?q)) AS ?question) (MIN(STR(?a)) AS ?answer)
WHERE {{ {{values}}
  OPTIONAL {{ GRAPH {_GRAPH} {{ ?concept skos:definition ?d }} }}
  OPTIONAL {{ GRAPH {_GRAPH} {{ ?concept kg:question ?q }} }}
  OPTIONAL {{ GRAPH {_GRAPH} {{ ?concept kg:answer ?a }} }}
}}
GROUP BY ?concept
"""
)


_SOURCES_QUERY = (
    _PREFIXES
    + f"""
SELECT ?concept ?source WHERE {{ {{values}} GRAPH {_GRAPH} {{ ?concept kg:source ?source }} }}
"""
)


# Concepts per VALUES block of the details queries.
_DETAILS_BATCH = 1000


def _local_name(iri: str) -> str:
    return re.split(r"[#/:]", iri.rstrip("/#"))[-1] or iri


def _relation(predicate: str) -> tuple[str, bool]:
    """The relation name of a predicate, and whether the edge must be reversed."""
    if predicate == str(SKOS.broader):
        return "narrower", True
    if predicate == str(KG.facet):
        return "facet", False
    return _local_name(predicate), False


def _key(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> str:
    """A term as a string: its value, or "_:id" for a blank node, so it cannot pass for an IRI."""
    return str(term) if isinstance(term, ox.BlankNode) else term.value


def _value(row: ox.QuerySolution, name: str) -> str | None:
    term = row[name]
    return _key(term) if term is not None else None


def _rows(store: ox.Store, query: str, *names: str) -> list[tuple[str | None, ...]]:
    """The rows of a SELECT as tuples of strings, sorted (SPARQL's ORDER BY is far slower than Python's sort)."""
    return sorted(
        (tuple(_value(row, name) for name in names) for row in store.query(query)),
        key=lambda row: tuple(value or "" for value in row),
    )


def _least_values(store: ox.Store, predicate: str, subjects: dict | None = None, *, shared: bool = False) -> dict:
    """Subject key (see `_key`) -> the alphabetically least value of `predicate` in the concept
    graph (of `subjects` only). `shared`: equal values are one string (a few kinds, not one each)."""
    least: dict = {}
    values: dict[str, str] = {}
    for subject, term in store.query(_OBJECTS_QUERY.format(predicate=predicate)):
        key = _key(subject)
        if subjects is None or key in subjects:
            value = term.value
            if shared:
                value = values.setdefault(value, value)
            if key not in least or value < least[key]:
                least[key] = value
    return least


@dataclass
class _Names:
    """Every concept's IRI (or "_:id"), kind and label, in IRI order, and each one's place in it.

    Keyed by strings, not the store's terms: a term keeps its IRI twice (in Python and in
    Oxigraph), and at 450,000 concepts the dictionaries of terms took hundreds of megabytes.
    """

    nodes: list[str]
    kinds: list[str]
    labels: list[str]
    place: dict[str, int]

    @classmethod
    def read(cls, store: ox.Store) -> _Names:
        kind_of = _least_values(store, KG.kind, shared=True)
        label_of = _least_values(store, SKOS.prefLabel, kind_of)
        nodes = sorted(kind_of)
        kinds = [kind_of[node] for node in nodes]
        labels = [label_of.get(node) or _local_name(node) for node in nodes]
        del label_of
        place = kind_of  # the same keys: its values become the places, no second dictionary
        for index, node in enumerate(nodes):
            place[node] = index
        return cls(nodes, kinds, labels, place)


class _Relations:
    """Relations between concepts as they are read: (start, predicate, end) rows of integers."""

    def __init__(self, place: dict) -> None:
        self.place = place
        self.predicates: dict[str, int] = {}
        # Three 32-bit columns (a concept's place fits), not Python tuples: millions of rows.
        self.starts, self.kinds, self.ends = array("i"), array("i"), array("i")

    def add(self, subject, predicate: str, value) -> None:
        if predicate in _NOT_RELATIONS:
            return
        source, target = self.place.get(subject), self.place.get(value)
        if source is not None and target is not None and source != target:
            self.starts.append(source)
            self.kinds.append(self.predicates.setdefault(predicate, len(self.predicates)))
            self.ends.append(target)

    def table(self, nodes: list[str], kinds: list[str], labels: list[str]) -> ConceptTable:
        """The table of `nodes` (indexed as the rows are) with one relation per pair of them."""
        names = sorted(self.predicates)
        # Each row as one number that sorts as (start, predicate in alphabetical order, end) does.
        ordinal = np.array([names.index(name) for name in sorted(self.predicates, key=self.predicates.get)])
        width, count = max(len(nodes), 1), max(len(names), 1)
        keys = np.array(self.starts, dtype=np.int64)
        keys *= count
        keys += ordinal.astype(np.int64)[np.asarray(self.kinds, dtype=np.int64)] if len(keys) else 0
        keys *= width
        keys += np.asarray(self.ends, dtype=np.int64)
        self.starts, self.kinds, self.ends = array("i"), array("i"), array("i")
        keys = np.unique(keys)
        predicate = keys // width % count
        starts, ends = keys // (count * width), keys % width
        del keys
        # The relation each predicate is, whether it points the other way, and how it ranks.
        meaning = [_relation(name) for name in names]
        relations = sorted({relation for relation, _ in meaning})
        code = np.array([relations.index(relation) for relation, _ in meaning], dtype=np.int64)[predicate]
        reverse = np.array([flip for _, flip in meaning], dtype=bool)[predicate]
        rank = np.array([_RELATION_RANK.get(relation, 9) for relation, _ in meaning], dtype=np.int64)[predicate]
        del predicate
        heads = np.where(reverse, ends, starts)
        tails = np.where(reverse, starts, ends)
        del starts, ends, reverse
        # One relation per pair of concepts, whichever way it points: the best-ranked, and of
        # those the first in (start, predicate, end) order (a stable sort keeps that order);
        # kept in that order. A rank is one digit, so pair and rank sort as one number.
        pair = np.minimum(heads, tails) * width + np.maximum(heads, tails)
        pair *= 10
        pair += rank
        del rank
        order = np.argsort(pair, kind="stable")
        pair //= 10
        pair = pair[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = pair[1:] != pair[:-1]
        del pair
        chosen = np.sort(order[first])
        return ConceptTable(nodes, kinds, labels, heads[chosen], tails[chosen], code[chosen], relations)


def read_concepts(store: ox.Store) -> ConceptTable:
    """The concept network of a store as a `ConceptTable` (attributes: see the module docstring)."""
    names = _Names.read(store)
    found = _Relations(names.place)
    # The predicates first, whole (a few dozen): the query stays open no longer than that.
    predicates = [predicate.value for (predicate,) in store.query(_PREDICATES_QUERY)]
    for predicate in predicates:
        if predicate not in _NOT_RELATIONS:
            for subject, value in store.query(_LINKS_QUERY.format(predicate=predicate)):
                found.add(_key(subject), predicate, _key(value))
    names.place = found.place = None  # each concept's place is in the rows now
    return found.table(names.nodes, names.kinds, names.labels)


def read_neighbourhood(store: ox.Store, around: str, depth: int) -> tuple[ConceptTable, int, int]:
    """The concepts at most `depth` relations from the one `around` names, and the relations
    among them, as a table; the index of that concept in it; and how many concepts the store
    has. The table is `read_concepts(store).part(table.within(center, depth))`, but only the
    labels of the whole network are read, and the relations of the concepts reached.
    EmptyNetwork when the store has no concept."""
    names = _Names.read(store)
    if not names.nodes:
        raise EmptyNetwork("")
    center = _index_of(around, names.nodes, names.labels, names.kinds)
    if any(node.startswith("_:") for node in names.nodes):
        # VALUES takes no blank node: find the neighbourhood in the whole network instead.
        table = read_concepts(store)
        kept = table.within(center, depth)
        return table.part(kept), int(np.searchsorted(kept, center)), len(table)
    reached, frontier = {center}, [center]
    for _ in range(depth):
        near: set[int] = set()
        for subject, predicate, value in _links_of(store, [names.nodes[i] for i in frontier], both_ways=True):
            if predicate.value not in _NOT_RELATIONS:
                ends = names.place.get(_key(subject)), names.place.get(_key(value))
                if None not in ends and ends[0] != ends[1]:
                    near.update(ends)
        frontier = sorted(near - reached)
        reached.update(frontier)
        if not frontier:
            break
    kept = sorted(reached)
    found = _Relations({names.nodes[i]: number for number, i in enumerate(kept)})
    for subject, predicate, value in _links_of(store, [names.nodes[i] for i in kept], both_ways=False):
        found.add(_key(subject), predicate.value, _key(value))
    table = found.table([names.nodes[i] for i in kept], [names.kinds[i] for i in kept], [names.labels[i] for i in kept])
    return table, kept.index(center), len(names.nodes)


def _links_of(store: ox.Store, iris: list[str], *, both_ways: bool) -> Iterator[tuple]:
    """(subject, predicate, object) of the concept graph's links from `iris` (and to them, both_ways)."""
    for begin in range(0, len(iris), _DETAILS_BATCH):
        values = "VALUES ?x { " + " ".join(f"<{iri}>" for iri in iris[begin : begin + _DETAILS_BATCH]) + " }"
        into = f"UNION {{ GRAPH {_GRAPH} {{ ?s ?p ?x }} BIND(?x AS ?o) }}" if both_ways else ""
        query = (
            f"SELECT ?s ?p ?o WHERE {{ {values} {{ GRAPH {_GRAPH} {{ ?x ?p ?o }} BIND(?x AS ?s) }} {into} "
            "FILTER(!isLiteral(?o)) }"
        )
        yield from store.query(query)


def concept_graph(store: ox.Store, *, details: bool = True) -> nx.DiGraph:
    """The concept network of a store (see the module docstring for its attributes).

    With details=False the nodes have only kind, label and url (the IRI when it is a web
    URL): enough to find, rank and join concepts, in a fraction of the memory. `add_details`
    gives the rest to the nodes that need it.
    """
    graph = read_concepts(store).graph()
    if details:
        add_details(store, graph, graph.nodes)
    return graph


def add_details(store: ox.Store, graph: nx.DiGraph, nodes: Iterable[str]) -> None:
    """Give `nodes` their definition, question, sources and url (see the module docstring)."""
    nodes = list(nodes)
    for node in nodes:
        graph.nodes[node].update(definition="", question="", sources=[])
    wanted = sorted(node for node in nodes if not node.startswith("_:"))  # VALUES takes no blank node
    for begin in range(0, len(wanted), _DETAILS_BATCH):
        values = "VALUES ?concept { " + " ".join(f"<{node}>" for node in wanted[begin : begin + _DETAILS_BATCH]) + " }"
        details = _DETAILS_QUERY.replace("{values}", values)
        for iri, definition, question, answer in _rows(store, details, "concept", "definition", "question", "answer"):
            graph.nodes[iri].update(definition=definition or answer or "", question=question or "")
        for iri, source in _rows(store, _SOURCES_QUERY.replace("{values}", values), "concept", "source"):
            graph.nodes[iri]["sources"].append(source)
    for node in wanted:
        attributes = graph.nodes[node]
        attributes["url"] = attributes["url"] or next(filter(None, map(_web_url, attributes["sources"])), None)


def _no_concepts(output: Path | str) -> EmptyNetwork:
    return EmptyNetwork(
        f"the store in {output}/ holds no concepts: its pages give none, or it was built before the concept "
        f"layer existed (run `kg link -o {output}`)"
    )


def saved_concepts(output: Path | str, store: ox.Store) -> ConceptTable | None:
    """The concept network the build kept beside `store` (the store of `output`), when the
    facts store was written with that store; else None."""
    import json

    from ..factstore import FactStore, store_token

    facts = FactStore.reader(Path(output))
    if facts is None:
        return None
    try:
        token = facts.token
        if token is None or token != store_token(store) or facts.get("network") is None:
            return None
        lists = json.loads(facts.get("network"))
        arrays = {name: np.frombuffer(facts.get(f"network {name}"), dtype="<i8").astype(np.int64) for name in _ARRAYS}
    finally:
        facts.close()
    return ConceptTable(lists["nodes"], lists["kinds"], lists["labels"], relations=lists["relations"], **arrays)


_ARRAYS = ("heads", "tails", "relation")


def load_concepts(output: Path | str) -> ConceptTable:
    """The concept network of a build folder's store as a table (the one the build kept,
    else read from the store); EmptyNetwork when it has no concept."""
    from ..store import open_store

    store = open_store(output)
    table = saved_concepts(output, store)
    if table is None:
        table = read_concepts(store)
    if not len(table):
        raise _no_concepts(output)
    return table


def load_neighbourhood(output: Path | str, around: str, depth: int) -> tuple[ConceptTable, int, int]:
    """`read_neighbourhood` of a build folder's store; EmptyNetwork when it has no concept."""
    from ..store import open_store

    store = open_store(output)
    table = saved_concepts(output, store)
    try:
        if table is None:
            return read_neighbourhood(store, around, depth)
        if not len(table):
            raise EmptyNetwork("")
    except EmptyNetwork:
        raise _no_concepts(output) from None
    center = _index_of(around, table.nodes, table.labels, table.kinds)
    kept = table.within(center, depth)
    return table.part(kept), int(np.searchsorted(kept, center)), len(table)


def load_network(output: Path | str, *, details: bool = True) -> nx.DiGraph:
    """The concept network of a build folder's store; EmptyNetwork when it has no concept."""
    from ..store import open_store

    graph = load_concepts(output).graph()
    if details:
        add_details(open_store(output), graph, graph.nodes)
    return graph
