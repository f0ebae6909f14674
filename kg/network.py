"""The concept network: the concept layer of the store as a networkx graph, and what to ask of it.

`read_concepts(store)` reads the named graph `urn:kg:graph:concepts` (written by
kg.link) with SPARQL into a `ConceptTable` (lists and integer arrays: what finding,
ranking and cutting a large network need), and `concept_graph(store)` into an
`nx.DiGraph`:

- one node per concept IRI, with `kind` (area, definition, term, facet, page),
  `label`, `definition`, `url` (the page to open for it: the IRI itself when it is
  an http(s) URL, else the first page asserting it), `sources` (every page that
  asserts it), and for facets `question`;
- one edge per related pair, with `relation`. A `skos:broader` / `skos:narrower`
  pair is one edge, drawn from the broader concept to the narrower one with
  relation "narrower"; `skos:related` in both directions is one edge too. When a
  pair has several relations the hierarchical one is kept.

Edges have a direction because hierarchy has one, but paths, centrality and
communities use the undirected view: a path may go down from an area to a
definition and up again to another area that holds it.

A store built before the concept layer existed has an empty network: `kg link`
derives the layer in place.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice, pairwise
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

import networkx as nx
import numpy as np
import pyoxigraph as ox
from scipy import sparse

from .browse import web_url
from .errors import AmbiguousConcept, EmptyNetwork, ExportError, NoPath, UnknownConcept
from .namespaces import CONCEPTS_GRAPH, KG, RDF, SKOS

# Relations read in the other direction when a path walks an edge backwards.
INVERSE_RELATION = {"narrower": "broader", "broader": "narrower", "facet": "facet of"}
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
# Navigation pages (the site's home, its index of areas) join everything to
# everything; a path goes through one only when nothing else connects the two ends.
NAVIGATION_KIND = "page"
# At most this many shortest paths are compared (or printed by --all).
_MAX_PATHS = 1000
# Above this many nodes, a community is split again before it is laid out.
_LAYOUT_CHUNK = 350

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

# -- reading the store ---------------------------------------------------------


_web_url = web_url  # one rule for which links a page may open (kg.browse.web_url)


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


@dataclass(frozen=True)
class ConceptTable:
    """The concept network as lists and integer arrays: what finding, ranking and cutting need.

    A networkx graph keeps a dictionary per node and per edge; on a 100,000-page store
    (about 450,000 concepts, 2.9 million relations) that is gigabytes. Here a relation is
    three integers. `graph()` makes the networkx graph (`part(keep).graph()` that of the
    concepts kept); it is the graph `concept_graph` returns, node for node and edge for
    edge in the same order.
    """

    nodes: list[str]  # concept IRIs ("_:id" for a blank node), sorted
    kinds: list[str]
    labels: list[str]
    heads: np.ndarray  # each relation's start: node indexes, in the order the relations were chosen
    tails: np.ndarray
    relation: np.ndarray  # index into `relations`
    relations: list[str]

    def __len__(self) -> int:
        return len(self.nodes)

    def find(self, text: str) -> int:
        """The index of the one concept `text` names (see `find_concept`).

        An IRI, or a label (or prefix) only one concept has, is found without the
        dictionaries `find_concept` builds; the other cases (qualified, ambiguous or
        unknown names) go through it.
        """
        stripped = text.strip()
        iri = stripped[1:-1] if stripped.startswith("<") and stripped.endswith(">") else stripped
        at = bisect_left(self.nodes, iri)
        if at < len(self.nodes) and self.nodes[at] == iri:
            return at
        wanted = _normal(text)
        if not _QUALIFIED.fullmatch(wanted):
            normals = self._normal_labels()
            starting = [i for i, label in enumerate(normals) if label.startswith(wanted)]
            for matches in ([i for i in starting if normals[i] == wanted], starting):
                if len(matches) == 1:
                    return matches[0]
                if matches:
                    break
        return _index_of(text, self.nodes, self.labels, self.kinds)

    def _normal_labels(self) -> list[str]:
        """`_normal` of every label, computed once a table (two finds share it)."""
        cached = self.__dict__.get("_normals")
        if cached is None:
            cached = _normal_all(self.labels)
            object.__setattr__(self, "_normals", cached)
        return cached

    def describe(self, index: int) -> str:
        return f"{self.labels[index]} ({self.kinds[index]})"

    def by_rank(self, rank, indexes: Iterable[int]) -> list[int]:
        """`indexes` from the highest `rank` (indexable by index) down; ties by label, then IRI."""
        return sorted(indexes, key=lambda n: (-rank[n], _normal(self.labels[n]), self.nodes[n]))

    def adjacency(self, allowed: np.ndarray | None = None) -> sparse.csr_array:
        """The undirected network as a symmetric 0/1 matrix (a pair has one relation, so no entry
        exceeds 1); with `allowed` (a mask of the nodes), only the relations between allowed nodes."""
        n = len(self.nodes)
        heads, tails = self.heads, self.tails
        if allowed is not None:
            kept = allowed[heads] & allowed[tails]
            heads, tails = heads[kept], tails[kept]
        ones = np.ones(len(heads) * 2)
        ends = (np.concatenate([heads, tails]), np.concatenate([tails, heads]))
        return sparse.csr_array((ones, ends), shape=(n, n))

    def pagerank(self, *, alpha: float = 0.85, max_iter: int = 100, tol: float = 1.0e-6) -> np.ndarray:
        """PageRank over the undirected network, as `centrality` computes it.

        networkx's PageRank runs on a networkx graph only; this is the power iteration of
        its scipy implementation (uniform start, teleport and dangling weights; stop when
        the L1 change is under n x tol), run on `adjacency()`. A test checks the two agree.
        """
        n = len(self.nodes)
        if n == 0:
            return np.zeros(0)
        matrix = self.adjacency()
        degree = matrix.sum(axis=1)
        inverse = np.divide(1.0, degree, out=np.zeros(n), where=degree != 0)
        matrix = sparse.dia_array((inverse[None, :], 0), shape=(n, n)).tocsr() @ matrix
        uniform = np.repeat(1.0 / n, n)
        dangling = np.where(degree == 0)[0]
        x = uniform
        for _ in range(max_iter):
            last = x
            x = alpha * (x @ matrix + x[dangling].sum() * uniform) + (1 - alpha) * uniform
            if np.absolute(x - last).sum() < n * tol:
                return x
        raise nx.PowerIterationFailedConvergence(max_iter)

    def within(self, center: int, depth: int) -> np.ndarray:
        """The indexes of the concepts at most `depth` relations from `center`, either direction, sorted."""
        matrix = self.adjacency()
        reached = np.zeros(len(self.nodes), dtype=bool)
        reached[center] = True
        frontier = np.array([center])
        for _ in range(depth):
            rows = matrix[frontier]
            found = np.unique(rows.indices) if rows.nnz else np.zeros(0, dtype=int)
            frontier = found[~reached[found]]
            if not len(frontier):
                break
            reached[frontier] = True
        return np.flatnonzero(reached)

    def on_shortest_paths(self, source: int, target: int) -> np.ndarray:
        """The indexes of the concepts on a shortest path between two, sorted: those avoiding
        navigation pages and those through them. `concept_paths` on the part they make finds
        the paths it finds on the whole network (every shortest path lies inside it)."""
        found = {source, target}
        allowed = np.array([kind != NAVIGATION_KIND for kind in self.kinds], dtype=bool)
        allowed[[source, target]] = True
        whole = self.adjacency()
        for matrix in (_between(whole, allowed), whole):
            from_source = _hops(matrix, source, until=target)
            if (length := from_source[target]) >= 0:
                from_target = _hops(matrix, target, limit=length)
                on_path = (from_source >= 0) & (from_target >= 0) & (from_source + from_target == length)
                found.update(np.flatnonzero(on_path).tolist())
        return np.array(sorted(found))

    def part(self, keep: Iterable[int]) -> ConceptTable:
        """The concepts at the indexes `keep` and the relations among them, numbered anew in the same order."""
        keep = np.unique(np.fromiter(keep, dtype=np.int64))
        number = np.full(len(self.nodes), -1, dtype=np.int64)
        number[keep] = np.arange(len(keep))
        wanted = (number[self.heads] >= 0) & (number[self.tails] >= 0)
        return ConceptTable(
            [self.nodes[i] for i in keep.tolist()],
            [self.kinds[i] for i in keep.tolist()],
            [self.labels[i] for i in keep.tolist()],
            number[self.heads[wanted]],
            number[self.tails[wanted]],
            self.relation[wanted],
            self.relations,
        )

    def graph(self) -> nx.DiGraph:
        """The networkx graph: nodes with kind, label and url, edges with relation."""
        graph = nx.DiGraph()
        nodes, relations = self.nodes, self.relations
        graph.add_nodes_from(
            (node, {"kind": kind, "label": label, "url": _web_url(node)})
            for node, kind, label in zip(nodes, self.kinds, self.labels, strict=True)
        )
        graph.add_edges_from(
            (nodes[head], nodes[tail], {"relation": relations[code]})
            for head, tail, code in zip(self.heads.tolist(), self.tails.tolist(), self.relation.tolist(), strict=True)
        )
        return graph


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

    from .factstore import FactStore, store_token

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
    from .store import open_store

    store = open_store(output)
    table = saved_concepts(output, store)
    if table is None:
        table = read_concepts(store)
    if not len(table):
        raise _no_concepts(output)
    return table


def load_neighbourhood(output: Path | str, around: str, depth: int) -> tuple[ConceptTable, int, int]:
    """`read_neighbourhood` of a build folder's store; EmptyNetwork when it has no concept."""
    from .store import open_store

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
    from .store import open_store

    graph = load_concepts(output).graph()
    if details:
        add_details(open_store(output), graph, graph.nodes)
    return graph


# -- naming concepts -----------------------------------------------------------


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def describe(graph: nx.DiGraph, node: str) -> str:
    """How a concept is named to a user: its label and kind, e.g. "State Channels (area)"."""
    attributes = graph.nodes[node]
    return f"{attributes['label']} ({attributes['kind']})"


def find_concept(graph: nx.DiGraph, text: str) -> str:
    """The one concept `text` names: an IRI (bare or in <>), a label (any case), "Label (kind)",
    "Label (site)", "Label (kind, site)", or a unique prefix.

    Raises AmbiguousConcept listing the candidates, or UnknownConcept listing the closest labels.
    """
    return _find(text, dict(graph.nodes(data="label")), dict(graph.nodes(data="kind")))


def _index_of(text: str, nodes: list[str], labels: list[str], kinds: list[str]) -> int:
    """The index in `nodes` (sorted) of the one concept `text` names (see `find_concept`)."""
    label_of = dict(zip(nodes, labels, strict=True))
    return bisect_left(nodes, _find(text, label_of, dict(zip(nodes, kinds, strict=True))))


_QUALIFIED = re.compile(r"(.*\S)\s*\(([^()]+)\)")  # "Label (kind)", as _find reads it


def _normal_all(labels: list[str]) -> list[str]:
    """[_normal(label) for label in labels], by one casefold of all of them joined when no
    label has whitespace that _normal would change (the usual case; else label by label).

    The joined labels have only single spaces inside labels and single newlines between
    them exactly when splitting at any whitespace gives as many words as those separators
    make (a tab, a double space, an empty label or a newline inside one changes the count).
    """
    joined = "\n".join(labels)
    simple = joined.count(" ") + joined.count("\n") + 1
    if labels and joined.count("\n") == len(labels) - 1 and len(joined.split()) == simple:
        return joined.casefold().split("\n")
    return [_normal(label) for label in labels]


def _hops(matrix: sparse.csr_array, start: int, *, until: int | None = None, limit: int | None = None) -> np.ndarray:
    """Each node's number of hops from `start` in `matrix` (-1: not reached), breadth first,
    level by level: up to the level that reaches `until`, or `limit` levels. Only the levels
    a path needs are visited, where a whole-network search would visit them all."""
    hops = np.full(matrix.shape[0], -1, dtype=np.int64)
    hops[start] = 0
    frontier, level = np.array([start]), 0
    while len(frontier) and (until is None or hops[until] < 0) and (limit is None or level < limit):
        level += 1
        reached = np.unique(matrix[frontier].indices)
        frontier = reached[hops[reached] < 0]
        hops[frontier] = level
    return hops


def _between(matrix: sparse.csr_array, allowed: np.ndarray) -> sparse.csr_array:
    """`matrix` without the entries of rows or columns that are not `allowed`."""
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    kept = allowed[rows] & allowed[matrix.indices]
    # eliminate_zeros works in place: the copies keep `matrix` whole
    masked = sparse.csr_array((matrix.data * kept, matrix.indices.copy(), matrix.indptr.copy()), shape=matrix.shape)
    masked.eliminate_zeros()
    return masked


def _site(node: str) -> str:
    """The host a concept's IRI names, without "www." ("" for an IRI without one)."""
    try:
        host = urlsplit(node).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")


def _find(text: str, label_of: dict[str, str], kind_of: dict[str, str]) -> str:
    """`find_concept` over the concepts' labels and kinds."""
    text = text.strip()
    iri = text[1:-1] if text.startswith("<") and text.endswith(">") else text
    if iri in label_of:
        return iri

    def described(nodes: Iterable[str]) -> list[str]:
        ordered = sorted(nodes, key=lambda n: (_normal(label_of[n]), kind_of[n], _site(n), n))
        named = Counter((_normal(label_of[n]), kind_of[n]) for n in ordered)
        sited = Counter((_normal(label_of[n]), kind_of[n], _site(n)) for n in ordered)
        shown = []
        for n in ordered:
            label, kind, site = _normal(label_of[n]), kind_of[n], _site(n)
            if named[label, kind] == 1 or not site:
                shown.append(f"{label_of[n]} ({kind})" + (f" <{n}>" if named[label, kind] > 1 else ""))
            else:  # the same label and kind on several sites: the site tells them apart
                shown.append(f"{label_of[n]} ({kind}, {site})" + (f" <{n}>" if sited[label, kind, site] > 1 else ""))
        return shown

    wanted = _normal(text)
    candidates = list(label_of)
    qualified = re.fullmatch(r"(.*\S)\s*\(([^()]+)\)", wanted)
    if qualified:
        # "Label (kind)", "Label (site)" or "Label (kind, site)"
        kinds = {_normal(kind) for kind in kind_of.values()}
        parts = [part.strip() for part in qualified.group(2).split(",")]
        kind = next((part for part in parts if part in kinds), None)
        sites = [part.removeprefix("www.") for part in parts if part != kind]
        if len(sites) <= 1 and (kind or sites):
            if not sites or any(_site(n) == sites[0] for n in candidates):
                wanted = qualified.group(1)
                candidates = [
                    n
                    for n in candidates
                    if (kind is None or _normal(kind_of[n]) == kind) and (not sites or _site(n) == sites[0])
                ]
    labels = {n: _normal(label_of[n]) for n in candidates}
    for matches in (
        [n for n, label in labels.items() if label == wanted],
        [n for n, label in labels.items() if label.startswith(wanted)],
    ):
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise AmbiguousConcept(text, described(matches))
    close = difflib.get_close_matches(wanted, set(labels.values()), n=5, cutoff=0.6)
    close += sorted(label for label in set(labels.values()) if wanted in label and label not in close)
    shown = described(n for n, label in labels.items() if label in close)
    raise UnknownConcept(text, shown[:8])


# -- paths ---------------------------------------------------------------------


@dataclass(frozen=True)
class Hop:
    """One step of a path, with the relation read in the direction of travel."""

    source: str
    relation: str
    target: str


def _hop(graph: nx.DiGraph, source: str, target: str) -> Hop:
    if graph.has_edge(source, target):
        return Hop(source, graph.edges[source, target]["relation"], target)
    relation = graph.edges[target, source]["relation"]
    return Hop(source, INVERSE_RELATION.get(relation, relation), target)


def concept_paths(graph: nx.DiGraph, source: str, target: str, *, all_shortest: bool = False) -> list[list[Hop]]:
    """The shortest path(s) between two concepts, as hops; NoPath when they are not connected.

    Navigation pages (kind "page") are avoided unless no path exists without them. Among
    paths of the same length, those with more hierarchical hops (narrower, broader) come
    first, then by label, so the answer does not depend on the order of the store.
    """
    undirected = graph.to_undirected(as_view=True)
    ends = {source, target}
    without_navigation = nx.subgraph_view(
        undirected, filter_node=lambda n: n in ends or graph.nodes[n]["kind"] != NAVIGATION_KIND
    )
    for candidate in (without_navigation, undirected):
        try:
            found = [
                [_hop(graph, u, v) for u, v in pairwise(nodes)]
                for nodes in islice(nx.all_shortest_paths(candidate, source, target), _MAX_PATHS)
            ]
        except nx.NetworkXNoPath:
            continue
        found.sort(
            key=lambda hops: (
                sum(hop.relation not in ("narrower", "broader") for hop in hops),
                [graph.nodes[hop.target]["label"] for hop in hops],
            )
        )
        return found if all_shortest else found[:1]
    raise NoPath(f"no path between {describe(graph, source)} and {describe(graph, target)}: they are not connected")


def format_path(graph: nx.DiGraph, hops: list[Hop]) -> str:
    """One line: Peer to Peer --narrower--> Peer-to-Peer Order Books --broader--> ..."""
    if not hops:
        return ""
    parts = [graph.nodes[hops[0].source]["label"]]
    for hop in hops:
        parts.append(f"--{hop.relation}--> {graph.nodes[hop.target]['label']}")
    return " ".join(parts)


# -- centrality, communities, subgraphs ----------------------------------------


def centrality(graph: nx.Graph) -> dict[str, float]:
    """PageRank of every concept over the undirected network (hubs score high whichever way edges point)."""
    if graph.number_of_nodes() == 0:
        return {}
    # An undirected view, not a copy: the same scores (an edge either way is one link) without a
    # second network in memory.
    return nx.pagerank(graph.to_undirected(as_view=True))


def induced(graph: nx.Graph, nodes: Iterable[str]) -> nx.Graph:
    """The subgraph on `nodes`, a copy, with nodes and edges in the order of `graph`.

    networkx's graph.subgraph(nodes) iterates a set of the nodes when they are fewer than
    the graph's, an order that changes from run to run with Python's string hashing; the
    layout and the communities depend on the order, so the page would too.
    """
    keep = set(nodes)
    sub = graph.__class__()
    sub.add_nodes_from((node, dict(attributes)) for node, attributes in graph.nodes(data=True) if node in keep)
    sub.add_edges_from((u, v, dict(data)) for u, v, data in graph.edges(data=True) if u in keep and v in keep)
    return sub


@dataclass
class Community:
    name: str  # the label of its most central member
    members: list[str]  # most central first


@dataclass
class Bridge:
    hop: Hop
    communities: tuple[int, int]  # indexes into NetworkStats.communities


@dataclass
class NetworkStats:
    """What `kg stats` prints; `report()` is that text."""

    kinds: Counter
    relations: Counter
    components: int
    by_pagerank: list[tuple[str, float]]
    by_degree: list[tuple[str, int]]
    communities: list[Community]
    bridges: list[Bridge]
    bridge_count: int
    labels: dict[str, str]
    community_count: int = 0  # all of them (`communities` holds the largest few)

    def report(self) -> str:
        def counts(counter: Counter) -> str:
            return ", ".join(f"{name} {count}" for name, count in sorted(counter.items(), key=lambda i: (-i[1], i[0])))

        lines = [f"concepts: {sum(self.kinds.values())} ({counts(self.kinds)})"]
        lines.append(f"relations: {sum(self.relations.values())} ({counts(self.relations)})")
        lines.append(f"connected components: {self.components}")
        lines.append("most central (PageRank):")
        lines += [f"  {score:.4f}  {self.labels[node]}" for node, score in self.by_pagerank]
        lines.append("most connected (degree):")
        lines += [f"  {degree:6d}  {self.labels[node]}" for node, degree in self.by_degree]
        total = max(self.community_count, len(self.communities))
        largest = f" (the {len(self.communities)} largest shown)" if total > len(self.communities) else ""
        lines.append(f"communities (Louvain): {total}{largest}")
        for number, community in enumerate(self.communities, 1):
            shown = ", ".join(self.labels[n] for n in community.members[:5])
            more = f", ... {len(community.members) - 5} more" if len(community.members) > 5 else ""
            lines.append(f"  {number}. {community.name}: {len(community.members)} concepts: {shown}{more}")
        lines.append(f"bridges between communities: {self.bridge_count}")
        for bridge in self.bridges:
            a, b = bridge.communities
            lines.append(
                f"  {self.labels[bridge.hop.source]} --{bridge.hop.relation}--> {self.labels[bridge.hop.target]}"
                f"  (community {a + 1} - {b + 1})"
            )
        return "\n".join(lines)


def summarize(table: ConceptTable, *, top: int = 10, shown_communities: int = 12, analysis=None) -> NetworkStats:
    """Counts by kind and relation, the most central concepts, communities and the edges between them.

    PageRank, the order by rank, the communities (kg.communities' Louvain, seeded: the ones
    `kg view` draws) and the components come from `analysis` (a kg.analysis.NetworkAnalysis
    of `table`, as the build kept it), else are computed here; the rest is counting in numpy.
    """
    from .analysis import NetworkAnalysis

    analysis = analysis if analysis is not None else NetworkAnalysis(table)
    n = len(table)
    rank = analysis.rank
    place = analysis.number  # each concept's place by rank: the most central first
    member_of = analysis.levels[-1] if n else np.zeros(0, dtype=np.int64)  # numbered largest first
    # The relations in the concept graph's own order (by start, then as chosen): equally
    # ranked bridges keep it.
    order = np.lexsort((np.arange(len(table.heads)), table.heads))
    heads, tails, codes = table.heads[order], table.tails[order], table.relation[order]
    crossing = np.flatnonzero(member_of[heads] != member_of[tails])
    strength = rank[heads[crossing]] + rank[tails[crossing]]
    bridges = crossing[np.argsort(-strength, kind="stable")[:top]].tolist()
    degree = np.bincount(table.heads, minlength=n) + np.bincount(table.tails, minlength=n)
    if n > top:  # only concepts whose degree reaches the top-th highest can be among the top
        least = np.partition(degree, n - top)[n - top]
        candidates = np.flatnonzero(degree >= least).tolist()
    else:
        candidates = range(n)
    by_degree = sorted(candidates, key=lambda i: (-degree[i], _normal(table.labels[i])))[:top]
    sizes = np.bincount(member_of) if n else np.zeros(0, dtype=np.int64)
    # Each shown community's members, most central first.
    by_community = np.lexsort((place, member_of))
    starts = np.concatenate([[0], np.cumsum(sizes)])
    ordered = [by_community[starts[c] : starts[c + 1]].tolist() for c in range(min(shown_communities, len(sizes)))]
    central = analysis.by_rank[:top].tolist()
    shown = {*central, *by_degree, *(i for members in ordered for i in members[:5])}
    shown.update(i for r in bridges for i in (int(heads[r]), int(tails[r])))
    nodes = table.nodes
    per_relation = np.bincount(codes, minlength=len(table.relations))
    return NetworkStats(
        kinds=Counter(table.kinds),
        relations=Counter({table.relations[c]: int(k) for c, k in enumerate(per_relation.tolist()) if k}),
        components=analysis.components,
        by_pagerank=[(nodes[i], float(rank[i])) for i in central],
        by_degree=[(nodes[i], int(degree[i])) for i in by_degree],
        communities=[Community(table.labels[m[0]], [nodes[i] for i in m]) for m in ordered],
        bridges=[
            Bridge(
                Hop(nodes[heads[r]], table.relations[codes[r]], nodes[tails[r]]),
                tuple(sorted((int(member_of[heads[r]]), int(member_of[tails[r]])))),
            )
            for r in bridges
        ],
        bridge_count=len(crossing),
        labels={nodes[i]: table.describe(i) for i in sorted(shown)},
        community_count=len(sizes),
    )


# -- layout --------------------------------------------------------------------


def layout(graph: nx.Graph, *, seed: int = 0, spacing: float = 60.0) -> dict[str, tuple[int, int]]:
    """Positions for drawing, in pixels: each community laid out on its own, then the communities placed.

    A force layout of the whole graph costs n² per iteration (minutes at a few
    thousand nodes); laying out Louvain communities separately costs the sum of
    their squares, and keeps each community together on the page.
    """
    undirected = nx.Graph(graph)
    if undirected.number_of_nodes() == 0:
        return {}
    pieces = _layout_pieces(undirected, seed)
    # Place the pieces: a spring layout of the piece graph, then push overlapping discs apart.
    radii = np.array([spacing * (0.6 + np.sqrt(len(piece))) * 0.5 for piece, _ in pieces])
    piece_of = {node: index for index, (piece, _) in enumerate(pieces) for node in piece}
    between = nx.Graph()
    between.add_nodes_from(range(len(pieces)))
    for u, v in undirected.edges:
        a, b = piece_of[u], piece_of[v]
        if a != b:
            weight = between.get_edge_data(a, b, {"weight": 0})["weight"]
            between.add_edge(a, b, weight=weight + 1)
    start = nx.spring_layout(between, seed=seed, weight="weight") if len(pieces) > 1 else {0: (0.0, 0.0)}
    # Start the pieces about as spread as their discs would be if packed, then resolve overlaps.
    centers = np.array([start[i] for i in range(len(pieces))], dtype=float) * 1.2 * np.sqrt((radii**2).sum())
    centers = _separate(centers, radii, seed)
    positions: dict[str, tuple[int, int]] = {}
    for index, (piece, local) in enumerate(pieces):
        for node in piece:
            x, y = local[node]
            # Whole pixels: vis-network keeps positions as integers anyway.
            positions[node] = (round(centers[index][0] + x * radii[index]), round(centers[index][1] + y * radii[index]))
    return positions


def _layout_pieces(graph: nx.Graph, seed: int) -> list[tuple[list[str], dict[str, tuple[float, float]]]]:
    """Split the graph into communities small enough to lay out fast; positions within a unit disc."""
    pieces = []
    stack = [list(graph.nodes)]
    while stack:
        nodes = stack.pop()
        if len(nodes) > _LAYOUT_CHUNK:
            parts = nx.community.louvain_communities(induced(graph, nodes), seed=seed, resolution=2.0)
            if len(parts) > 1:
                stack.extend(sorted(sorted(part) for part in parts))
                continue
        sub = induced(graph, nodes)
        local = nx.spring_layout(sub, seed=seed, iterations=60) if len(nodes) > 1 else {nodes[0]: (0.0, 0.0)}
        pieces.append((sorted(nodes), {node: tuple(local[node]) for node in nodes}))
    pieces.sort(key=lambda piece: (-len(piece[0]), piece[0][0]))
    return pieces


def _separate(centers, radii, seed: int, rounds: int = 200):
    """Move discs apart until none overlaps (a few hundred vectorised rounds at most).

    Each round pushes the two discs of every overlapping pair apart along the line between
    their centres, each by half the overlap. Only pairs near enough to overlap are looked at
    (a k-d tree finds them): a page cut to the 2,000 most central concepts of a large store
    can have a thousand pieces, and every pair of them would be a million per round.
    """
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(seed)
    centers = centers + rng.normal(scale=1e-3, size=centers.shape)
    reach = 2.0 * float(radii.max()) + 20.0
    for _ in range(rounds):
        pairs = cKDTree(centers).query_pairs(reach, output_type="ndarray")
        if not len(pairs):
            break
        first, second = pairs[:, 0], pairs[:, 1]
        delta = centers[first] - centers[second]
        distance = np.maximum(np.sqrt((delta**2).sum(axis=1)), 1e-9)
        overlap = np.clip(radii[first] + radii[second] + 20.0 - distance, 0.0, None)
        if not overlap.any():
            break
        force = delta / distance[:, None] * overlap[:, None] * 0.5
        push = np.zeros_like(centers)
        np.add.at(push, first, force)
        np.add.at(push, second, -force)
        centers = centers + push
    return centers


# -- exporters (registered in kg.export) ---------------------------------------


def _network_for_export(store: ox.Store, graph: str | None) -> nx.DiGraph:
    """The network with flat attributes (GraphML and GEXF hold no lists), optionally one page's concepts."""
    network = concept_graph(store)
    if graph is not None:
        kept = [n for n, sources in network.nodes(data="sources") if graph in sources]
        if not kept:
            raise ExportError(f"no concept is asserted by <{graph}>")
        network = induced(network, kept)
    rank = centrality(network)
    flat = nx.DiGraph()
    for node, attributes in network.nodes(data=True):
        values = {key: value for key, value in attributes.items() if value not in (None, "", [])}
        values["sources"] = " ".join(attributes["sources"])
        values["pagerank"] = rank.get(node, 0.0)
        flat.add_node(node, **values)
    flat.add_edges_from(network.edges(data=True))
    return flat


def write_graphml(store: ox.Store, stream: BinaryIO, graph: str | None) -> None:
    nx.write_graphml(_network_for_export(store, graph), stream)


def write_gexf(store: ox.Store, stream: BinaryIO, graph: str | None) -> None:
    nx.write_gexf(_network_for_export(store, graph), stream)


CSV_COLUMNS = ("source_label", "relation", "target_label", "source_kind", "target_kind", "source", "target")


def _cell(value: str) -> str:
    # A spreadsheet runs a cell that starts with = + - @ as a formula; page text must stay text.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def write_csv(store: ox.Store, stream: BinaryIO, graph: str | None) -> None:
    """The edge table: one row per relation, labels first; a concept without relations gets a row of its own.

    UTF-8 with a byte-order mark, so that Excel reads non-ASCII labels correctly.
    """
    network = _network_for_export(store, graph)
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    writer.writerow(CSV_COLUMNS)
    nodes = network.nodes
    edges = sorted(network.edges(data="relation"), key=lambda e: (nodes[e[0]]["label"], e[2], nodes[e[1]]["label"]))
    for u, v, relation in edges:
        row = (nodes[u]["label"], relation, nodes[v]["label"], nodes[u]["kind"], nodes[v]["kind"], u, v)
        writer.writerow([_cell(value) for value in row])
    for node in sorted(nx.isolates(network), key=lambda n: nodes[n]["label"]):
        writer.writerow([_cell(value) for value in (nodes[node]["label"], "", "", nodes[node]["kind"], "", node, "")])
    text.flush()
    text.detach()
