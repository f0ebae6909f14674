"""Concept-layer stores written by hand, in the shape kg.link writes (for network, view and benchmark).

`SMALL` is a glossary in miniature: three areas, their definitions and a term, a
facet, the breadcrumb pages, and one concept with no relation at all. `synthetic`
makes a store of any size with the same kinds and relations.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import pyoxigraph as ox

from kg.namespaces import CONCEPTS_GRAPH, KG, RDF, SKOS
from kg.store import STORE_DIR

BASE = "https://glossary.test/"
SCHEME = BASE + "#scheme"
_GRAPH = ox.NamedNode(CONCEPTS_GRAPH)
_PREDICATES = {"narrower": SKOS.narrower, "broader": SKOS.broader, "related": SKOS.related, "facet": KG.facet}


@dataclass(frozen=True)
class Concept:
    iri: str
    kind: str
    label: str
    definition: str | None = None
    sources: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)  # kg:question, kg:answer ...


def concept_quads(concepts: list[Concept], relations: list[tuple[str, str, str]]) -> list[ox.Quad]:
    """Quads for the concepts graph; a relation is (subject IRI, "narrower"|"broader"|"related"|"facet", object IRI)."""

    def quad(s: str, p: str, o: ox.NamedNode | ox.Literal) -> ox.Quad:
        return ox.Quad(ox.NamedNode(s), ox.NamedNode(str(p)), o, _GRAPH)

    quads = []
    for c in concepts:
        quads.append(quad(c.iri, RDF.type, ox.NamedNode(str(SKOS.Concept))))
        quads.append(quad(c.iri, KG.kind, ox.Literal(c.kind)))
        quads.append(quad(c.iri, SKOS.prefLabel, ox.Literal(c.label, language="en")))
        quads.append(quad(c.iri, SKOS.inScheme, ox.NamedNode(SCHEME)))
        if c.definition:
            quads.append(quad(c.iri, SKOS.definition, ox.Literal(c.definition)))
        for source in c.sources:
            quads.append(quad(c.iri, KG.source, ox.NamedNode(source)))
        for name, value in c.extra.items():
            quads.append(quad(c.iri, KG[name], ox.Literal(value)))
    for s, relation, o in relations:
        quads.append(quad(s, _PREDICATES[relation], ox.NamedNode(o)))
    return quads


def write_store(output: Path, quads: list[ox.Quad]) -> Path:
    """A build folder whose store holds `quads` (what `kg.store.open_store(output)` opens)."""
    output.mkdir(parents=True, exist_ok=True)
    store = ox.Store(str(output / STORE_DIR))
    store.extend(quads)
    store.flush()
    del store
    return output


def _iri(kind: str, slug: str) -> str:
    return f"{BASE}{kind}/{slug}/"


P2P = _iri("area", "peer-to-peer")
P2P_CHANNELS = _iri("area", "peer-to-peer-channels")
STATE_AREA = _iri("area", "state-channels")
LIGHTNING = _iri("definition", "lightning-network")
STATE_DEF = _iri("definition", "state-channels")
MULTI_PARTY = _iri("definition", "multi-party-state-channels")
GOSSIP = _iri("definition", "gossip-protocol")
ORDER_BOOKS = _iri("term", "peer-to-peer-order-books")
ORPHAN = _iri("definition", "orphan")
RISK = P2P + "#facet-risk"
AREAS_INDEX = BASE + "area/"
HOME = BASE

SMALL_CONCEPTS = [
    Concept(P2P, "area", "Peer to Peer", "Trading and settling directly between two parties.", (P2P,)),
    Concept(P2P_CHANNELS, "area", "Peer to Peer Channels", None, (P2P_CHANNELS,)),
    Concept(STATE_AREA, "area", "State Channels", None, (STATE_AREA,)),
    Concept(
        LIGHTNING,
        "definition",
        "Lightning Network",
        "Payment channels routed across Bitcoin nodes.",
        (P2P_CHANNELS, STATE_AREA, LIGHTNING),
    ),
    Concept(
        STATE_DEF,
        "definition",
        "State Channels",
        "Off-chain updates settled on-chain at the end.",
        (P2P_CHANNELS, STATE_AREA),
    ),
    Concept(
        MULTI_PARTY,
        "definition",
        "Multi-Party State Channels",
        "State channels with more than two members.",
        (STATE_AREA,),
    ),
    Concept(GOSSIP, "definition", "Gossip Protocol", "Nodes pass news to a few random peers.", (P2P,)),
    Concept(
        ORDER_BOOKS,
        "term",
        "Peer-to-Peer Order Books",
        "Quotes posted and filled between traders.",
        (P2P, P2P_CHANNELS),
    ),
    Concept(ORPHAN, "definition", "Orphan Concept", "A definition no page relates to anything.", (P2P,)),
    Concept(
        RISK,
        "facet",
        "Risk",
        None,
        (P2P,),
        {"question": "What is the Risk of Peer to Peer?", "answer": "No operator covers a loss."},
    ),
    Concept(AREAS_INDEX, "page", "Area", None, (P2P, P2P_CHANNELS, STATE_AREA)),
    Concept(HOME, "page", "Home", None, (P2P, P2P_CHANNELS, STATE_AREA)),
]
SMALL_RELATIONS = [
    (P2P, "narrower", ORDER_BOOKS),
    (ORDER_BOOKS, "broader", P2P),  # an inverse pair: one edge
    (P2P, "narrower", GOSSIP),
    (P2P_CHANNELS, "narrower", ORDER_BOOKS),
    (P2P_CHANNELS, "narrower", LIGHTNING),
    (P2P_CHANNELS, "narrower", STATE_DEF),
    (STATE_AREA, "narrower", STATE_DEF),
    (STATE_AREA, "narrower", MULTI_PARTY),
    (STATE_AREA, "narrower", LIGHTNING),
    (MULTI_PARTY, "broader", STATE_DEF),  # label containment: asserted one way only
    (P2P, "related", P2P_CHANNELS),
    (P2P_CHANNELS, "related", P2P),  # symmetric: one edge
    (LIGHTNING, "related", STATE_DEF),
    (P2P, "facet", RISK),
    (P2P, "broader", AREAS_INDEX),
    (P2P_CHANNELS, "broader", AREAS_INDEX),
    (STATE_AREA, "broader", AREAS_INDEX),
    (AREAS_INDEX, "broader", HOME),
]
SMALL_EDGE_COUNT = 16


def small_store(output: Path) -> Path:
    return write_store(output, concept_quads(SMALL_CONCEPTS, SMALL_RELATIONS))


def synthetic(n_nodes: int, *, seed: int = 0) -> list[ox.Quad]:
    """A glossary of `n_nodes` concepts: one area per 25, each definition or term in one to three nearby areas."""
    rng = random.Random(seed)
    n_areas = max(1, n_nodes // 25)
    areas = [
        Concept(
            _iri("area", f"area-{i}"), "area", f"Area {i}", f"Everything about area {i}.", (_iri("area", f"area-{i}"),)
        )
        for i in range(n_areas)
    ]
    concepts, relations = list(areas), []
    for i in range(n_nodes - n_areas):
        kind = "term" if i % 3 == 0 else "definition"
        # Like a real glossary: a concept's second and third areas are near its first one.
        home = rng.randrange(n_areas)
        offsets = rng.sample((1, 2, 3, -1, -2, -3), rng.choice((0, 0, 0, 1, 2)))
        holders = [areas[home]] + [areas[(home + offset) % n_areas] for offset in offsets if n_areas > 6]
        iri = _iri(kind, f"concept-{i}")
        text = f"Concept {i} is defined on {len(holders)} area pages; " + "it has a definition of ordinary length. " * 3
        concepts.append(Concept(iri, kind, f"Concept {i}", text, tuple(a.iri for a in holders)))
        relations += [(a.iri, "narrower", iri) for a in holders]
        relations += [(a.iri, "related", b.iri) for a, b in pairwise(holders)]
    return concept_quads(concepts, relations)
