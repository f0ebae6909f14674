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


def _least_values(store: ox.Store, predicate: str, subjects: dict | None = None) -> dict:
    """Subject term -> the alphabetically least value of `predicate` in the concept graph (of `subjects` only)."""
    least: dict = {}
    for subject, term in store.query(_OBJECTS_QUERY.format(predicate=predicate)):
        if subjects is None or subject in subjects:
            value = term.value
            if subject not in least or value < least[subject]:
                least[subject] = value
    return least


@dataclass
class _Names:
    """Every concept's term, IRI (or "_:id"), kind and label, in IRI order, and each term's place in it."""

    terms: list
    nodes: list[str]
    kinds: list[str]
    labels: list[str]
    place: dict

    @classmethod
    def read(cls, store: ox.Store) -> _Names:
        kind_of = _least_values(store, KG.kind)
        label_of = _least_values(store, SKOS.prefLabel, kind_of)
        terms = sorted(kind_of, key=_key)
        nodes = [_key(term) for term in terms]
        kinds = [kind_of[term] for term in terms]
        labels = [label_of.get(term) or _local_name(node) for term, node in zip(terms, nodes, strict=True)]
        # Keyed by the store's terms, which hash and compare by value: no string is made per relation.
        return cls(terms, nodes, kinds, labels, {term: index for index, term in enumerate(terms)})


class _Relations:
    """Relations between concepts as they are read: (start, predicate, end) rows of integers."""

    def __init__(self, place: dict) -> None:
        self.place = place
        self.predicates: dict[str, int] = {}
        self.found = array("q")

    def add(self, subject, predicate: str, value) -> None:
        if predicate in _NOT_RELATIONS:
            return
        source, target = self.place.get(subject), self.place.get(value)
        if source is not None and target is not None and source != target:
            self.found.extend((source, self.predicates.setdefault(predicate, len(self.predicates)), target))

    def table(self, nodes: list[str], kinds: list[str], labels: list[str]) -> ConceptTable:
        """The table of `nodes` (indexed as the rows are) with one relation per pair of them."""
        names = sorted(self.predicates)
        rows = np.frombuffer(self.found, dtype=np.int64).reshape(-1, 3)
        # Each row as one number that sorts as (start, predicate in alphabetical order, end) does.
        ordinal = np.array([names.index(name) for name in sorted(self.predicates, key=self.predicates.get)])
        width, count = max(len(nodes), 1), max(len(names), 1)
        keys = np.unique((rows[:, 0] * count + ordinal.astype(np.int64)[rows[:, 1]]) * width + rows[:, 2])
        del rows
        rows = np.column_stack([keys // (count * width), keys // width % count, keys % width])
        # The relation each predicate is, whether it points the other way, and how it ranks.
        meaning = [_relation(name) for name in names]
        relations = sorted({relation for relation, _ in meaning})
        code = np.array([relations.index(relation) for relation, _ in meaning], dtype=np.int64)[rows[:, 1]]
        reverse = np.array([flip for _, flip in meaning], dtype=bool)[rows[:, 1]]
        rank = np.array([_RELATION_RANK.get(relation, 9) for relation, _ in meaning], dtype=np.int64)[rows[:, 1]]
        heads = np.where(reverse, rows[:, 2], rows[:, 0])
        tails = np.where(reverse, rows[:, 0], rows[:, 2])
        # One relation per pair of concepts, whichever way it points: the best-ranked, and of
        # those the first in (start, predicate, end) order; kept in that order.
        pair = np.minimum(heads, tails) * width + np.maximum(heads, tails)
        order = np.lexsort((np.arange(len(rows)), rank, pair))
        first = np.ones(len(order), dtype=bool)
        first[1:] = pair[order][1:] != pair[order][:-1]
        chosen = np.sort(order[first])
        return ConceptTable(nodes, kinds, labels, heads[chosen], tails[chosen], code[chosen], relations)


def read_concepts(store: ox.Store) -> ConceptTable:
    """The concept network of a store as a `ConceptTable` (attributes: see the module docstring)."""
    names = _Names.read(store)
    found = _Relations(names.place)
    for (predicate,) in store.query(_PREDICATES_QUERY):
        if predicate.value not in _NOT_RELATIONS:
            for subject, value in store.query(_LINKS_QUERY.format(predicate=predicate.value)):
                found.add(subject, predicate.value, value)
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
    if any(isinstance(term, ox.BlankNode) for term in names.terms):
        # VALUES takes no blank node: find the neighbourhood in the whole network instead.
        table = read_concepts(store)
        kept = table.within(center, depth)
        return table.part(kept), int(np.searchsorted(kept, center)), len(table)
    reached, frontier = {center}, [center]
    for _ in range(depth):
        near: set[int] = set()
        for subject, predicate, value in _links_of(store, [names.terms[i] for i in frontier], both_ways=True):
            if predicate.value not in _NOT_RELATIONS:
                ends = names.place.get(subject), names.place.get(value)
                if None not in ends and ends[0] != ends[1]:
                    near.update(ends)
        frontier = sorted(near - reached)
        reached.update(frontier)
        if not frontier:
            break
    kept = sorted(reached)
    found = _Relations({names.terms[i]: number for number, i in enumerate(kept)})
    for subject, predicate, value in _links_of(store, [names.terms[i] for i in kept], both_ways=False):
        found.add(subject, predicate.value, value)
    table = found.table([names.nodes[i] for i in kept], [names.kinds[i] for i in kept], [names.labels[i] for i in kept])
    return table, kept.index(center), len(names.nodes)


def _links_of(store: ox.Store, terms: list, *, both_ways: bool) -> Iterator[tuple]:
    """(subject, predicate, object) of the concept graph's links from `terms` (and to them, both_ways)."""
    for begin in range(0, len(terms), _DETAILS_BATCH):
        values = "VALUES ?x { " + " ".join(str(term) for term in terms[begin : begin + _DETAILS_BATCH]) + " }"
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
