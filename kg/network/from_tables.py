"""The concept network from the corpus pass's layer table: the ConceptTable `read_concepts` reads
from a store, made by DuckDB from what the rules just wrote, so the build reads nothing back."""

from __future__ import annotations

import numpy as np

from ..namespaces import CONCEPTS_GRAPH, KG, SKOS
from .read import _NOT_RELATIONS, _local_name, _Relations
from .table import ConceptTable

_GRAPH = f"<{CONCEPTS_GRAPH}>"
# A term as the network names it: an IRI's text, a blank node as "_:id" (see read._key).
_KEY = "CASE WHEN starts_with(s, '<') THEN value(s) ELSE s END"


def concept_table(db) -> ConceptTable:
    """The concept network of the layer in `db` (a kg.corpusdb.CorpusDB): the same nodes,
    kinds, labels and relations, in the same order, as `network.read.read_concepts` gives
    for a store holding that layer."""
    db.execute(
        f"CREATE OR REPLACE TABLE kg_nodes AS SELECT s, {_KEY} AS node, min(value(o)) AS kind"
        " FROM layer WHERE g = ? AND p = ? GROUP BY s",
        [_GRAPH, f"<{KG.kind}>"],
    )
    rows = db.execute(
        "SELECT n.node, n.kind, l.label FROM kg_nodes AS n LEFT JOIN (SELECT s, min(value(o)) AS label"
        " FROM layer WHERE g = ? AND p = ? GROUP BY s) AS l USING (s) ORDER BY n.node",
        [_GRAPH, f"<{SKOS.prefLabel}>"],
    )
    nodes = [node for node, _, _ in rows]
    kinds = [kind for _, kind, _ in rows]
    labels = [label or _local_name(node) for node, _, label in rows]
    del rows
    db.execute("CREATE OR REPLACE TABLE kg_place AS SELECT s, row_number() OVER (ORDER BY node) - 1 AS i FROM kg_nodes")
    cursor = db.db.cursor()
    cursor.execute(
        "CREATE OR REPLACE TABLE kg_links AS SELECT DISTINCT a.i AS a, value(l.p) AS p, b.i AS b FROM layer AS l"
        " JOIN kg_place AS a ON a.s = l.s JOIN kg_place AS b ON b.s = l.o"
        " WHERE l.g = ? AND a.i <> b.i AND NOT list_contains(?, value(l.p))",
        [_GRAPH, sorted(_NOT_RELATIONS)],
    )
    # Only the predicates that link two concepts name relations (as read_concepts finds them).
    names = [name for (name,) in cursor.execute("SELECT DISTINCT p FROM kg_links ORDER BY p").fetchall()]
    links = cursor.execute("SELECT a, list_position(?, p) - 1 AS p, b FROM kg_links", [names]).fetchnumpy()
    cursor.execute("DROP TABLE kg_links")
    cursor.close()
    found = _Relations({})
    found.predicates = {name: number for number, name in enumerate(names)}
    found.starts, found.kinds, found.ends = (links[name].astype(np.int32) for name in ("a", "p", "b"))
    del links
    db.execute("DROP TABLE IF EXISTS kg_place")
    db.execute("DROP TABLE IF EXISTS kg_nodes")
    return found.table(nodes, kinds, labels)
