"""The concept index behind kg serve's search and lists, and the SPARQL result cap."""

from __future__ import annotations

import json

import pyoxigraph as ox
from concept_fixtures import LIGHTNING, MULTI_PARTY, STATE_AREA, STATE_DEF, small_store

from kg.endpoint import cap, respond
from kg.results import Answer
from kg.search import ConceptIndex


def _index(tmp_path) -> ConceptIndex:
    out = small_store(tmp_path / "out")
    return ConceptIndex.read(ox.Store.read_only(str(out / "store")))


def test_search_finds_label_starts_then_word_starts_exact_first(tmp_path):
    index = _index(tmp_path)
    hits = index.search("state channels")
    assert [h.iri for h in hits[:2]] == sorted([STATE_AREA, STATE_DEF])  # both labelled exactly so
    assert MULTI_PARTY in [h.iri for h in hits]  # "Multi-Party State Channels": its words match
    assert [h.label for h in index.search("light")] == ["Lightning Network"]
    assert [h.iri for h in index.search("  LIGHTNING   net")] == [LIGHTNING]
    assert sorted(h.label for h in index.search("chan")) == [
        "Multi-Party State Channels",
        "Peer to Peer Channels",
        "State Channels",
        "State Channels",
    ]
    assert index.search("zzz") == [] and index.search("  ") == []


def test_search_needs_every_whole_word(tmp_path):
    index = _index(tmp_path)
    assert {h.label for h in index.search("party state")} == {"Multi-Party State Channels"}
    assert index.search("orphan state") == []


def test_alphabetical_lists_by_kind_are_paged(tmp_path):
    index = _index(tmp_path)
    assert index.kinds_counted() == {"area": 3, "definition": 5, "facet": 1, "page": 2, "term": 1}
    first, total = index.alphabetical("definition", 0, 2)
    rest, _ = index.alphabetical("definition", 2, 10)
    assert total == 5
    labels = [h.label for h in first + rest]
    assert labels == sorted(labels, key=str.casefold) and len(labels) == 5


def test_a_result_over_the_cap_is_cut_and_says_so():
    rows = [{"n": {"type": "literal", "value": str(i)}} for i in range(10)]
    answer = Answer("select", json.dumps({"head": {"vars": ["n"]}, "results": {"bindings": rows}}).encode())
    cut, note = cap(answer, 4)
    assert len(cut) == 4 and "cut at 4 of 10 rows" in note
    assert cap(answer, 10) == (answer, None)
    response = respond(answer, "text/csv", None, 4)
    assert response.body.decode().splitlines() == ["n", "0", "1", "2", "3"]
    assert "LIMIT" in response.headers["X-KG-Result-Cap"]
    graph = Answer("graph", b"".join(b"<urn:a> <urn:b> <urn:c%d> .\n" % i for i in range(5)))
    assert len(cap(graph, 2)[0]) == 2
