"""The concept network: the concept layer of the store as a table or a networkx graph, and what to ask of it.

`read_concepts(store)` reads the named graph `urn:kg:graph:concepts` (written by the
concept rules) into a `ConceptTable` (lists and integer arrays: what finding, ranking and
cutting a large network need), and `concept_graph(store)` into an `nx.DiGraph`:

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

The modules: `table` (the ConceptTable and PageRank), `read` (from a store or the
network a build saved), `labels` (finding a concept by label), `paths` (`kg path`),
`stats` (`kg stats`), `layout` (positions for `kg view`). The exporters of the network
(GraphML, GEXF, CSV) are kg.export_network, beside the other exporters.

A store built before the concept layer existed has an empty network: `kg link`
derives the layer in place.
"""

from __future__ import annotations

from .labels import describe, find_concept
from .layout import induced, layout
from .paths import Hop, concept_paths, format_path
from .read import (
    add_details,
    concept_graph,
    load_concepts,
    load_neighbourhood,
    load_network,
    read_concepts,
    read_neighbourhood,
    saved_concepts,
)
from .stats import NetworkStats, summarize
from .table import NAVIGATION_KIND, ConceptTable, centrality, pagerank, web_url

__all__ = [
    "NAVIGATION_KIND",
    "ConceptTable",
    "Hop",
    "NetworkStats",
    "add_details",
    "centrality",
    "concept_graph",
    "concept_paths",
    "describe",
    "find_concept",
    "format_path",
    "induced",
    "layout",
    "load_concepts",
    "load_network",
    "load_neighbourhood",
    "pagerank",
    "read_concepts",
    "read_neighbourhood",
    "saved_concepts",
    "summarize",
    "web_url",
]
