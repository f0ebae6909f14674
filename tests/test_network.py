"""The concept network: RDF to networkx, labels, paths, stats, layout, network exports, the CLI, the page's HTML."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys

import networkx as nx
import numpy as np
import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from concept_fixtures import (
    AREAS_INDEX,
    GOSSIP,
    HOME,
    LIGHTNING,
    MULTI_PARTY,
    ORDER_BOOKS,
    ORPHAN,
    P2P,
    P2P_CHANNELS,
    RISK,
    SMALL_CONCEPTS,
    SMALL_EDGE_COUNT,
    STATE_AREA,
    STATE_DEF,
    Concept,
    concept_quads,
    small_store,
    synthetic,
    write_store,
)
from selectolax.lexbor import LexborHTMLParser

from kg.cli.common import main
from kg.errors import AmbiguousConcept, ExportError, NoPath, UnknownConcept
from kg.export import EXPORTERS, export
from kg.namespaces import CONCEPTS_GRAPH, KG, SKOS
from kg.network.labels import find_concept
from kg.network.layout import layout
from kg.network.paths import concept_paths, format_path
from kg.network.read import concept_graph, load_concepts, load_network, read_concepts, read_neighbourhood
from kg.network.stats import summarize
from kg.network.table import ConceptTable, centrality
from kg.store import open_store
from kg.view import PHYSICS_LIMIT, render, select

NETWORK_FORMATS = ("graphml", "gexf", "csv")


@pytest.fixture
def small(tmp_path):
    return small_store(tmp_path / "out")


@pytest.fixture
def graph(small):
    return load_network(small)


def relations(graph):
    return {(u, v): data["relation"] for u, v, data in graph.edges(data=True)}


# -- RDF to networkx --------------------------------------------------------------------------


def test_every_concept_is_a_node_with_its_attributes(graph):
    assert set(graph.nodes) == {c.iri for c in SMALL_CONCEPTS}
    lightning = graph.nodes[LIGHTNING]
    assert lightning["kind"] == "definition"
    assert lightning["label"] == "Lightning Network"
    assert lightning["definition"] == "Payment channels routed across Bitcoin nodes."
    assert lightning["url"] == LIGHTNING
    assert lightning["sources"] == sorted([P2P_CHANNELS, STATE_AREA, LIGHTNING])


def test_a_facet_carries_its_question_and_answer_and_opens_its_area_page(graph):
    risk = graph.nodes[RISK]
    assert (risk["kind"], risk["label"], risk["question"]) == ("facet", "Risk", "What is the Risk of Peer to Peer?")
    assert risk["definition"] == "No operator covers a loss."
    assert relations(graph)[(P2P, RISK)] == "facet"


def test_inverse_and_symmetric_pairs_become_one_edge(graph):
    edges = relations(graph)
    assert len(edges) == SMALL_EDGE_COUNT
    assert edges[(P2P, ORDER_BOOKS)] == "narrower" and (ORDER_BOOKS, P2P) not in edges
    # Asserted only as "multi-party broader state channels": drawn from the broader concept.
    assert edges[(STATE_DEF, MULTI_PARTY)] == "narrower" and (MULTI_PARTY, STATE_DEF) not in edges
    assert [edges.get((P2P, P2P_CHANNELS)), edges.get((P2P_CHANNELS, P2P))].count("related") == 1
    assert edges[(AREAS_INDEX, P2P)] == "narrower"


def test_bookkeeping_is_not_a_relation(graph):
    # Lightning is asserted by (kg:source) the Peer to Peer Channels area, which is a concept itself.
    assert not graph.has_edge(LIGHTNING, P2P_CHANNELS)
    assert "https://glossary.test/#scheme" not in graph


def test_a_blank_node_concept_gets_empty_texts_and_exports(tmp_path):
    # Rules of one's own may make a concept without an IRI; it cannot be asked for by VALUES.
    a, blank = ox.NamedNode("https://x.test/a"), ox.BlankNode("b1")
    concepts = ox.NamedNode(CONCEPTS_GRAPH)
    quads = [
        *concept_quads([Concept(a.value, "area", "A")], []),
        ox.Quad(blank, ox.NamedNode(str(KG.kind)), ox.Literal("definition"), concepts),
        ox.Quad(blank, ox.NamedNode(str(SKOS.prefLabel)), ox.Literal("Blank"), concepts),
    ]
    output = write_store(tmp_path / "out", quads)
    network = load_network(output)
    (node,) = [n for n in network if n.startswith("_:")]
    assert (network.nodes[node]["label"], network.nodes[node]["sources"]) == ("Blank", [])
    buffer = io.BytesIO()
    export(open_store(output), "graphml", buffer)
    assert b"Blank" in buffer.getvalue()
    part, index, total = read_neighbourhood(open_store(output), "A", 1)  # VALUES takes no blank node
    assert (part.nodes, index, total) == ([a.value], 0, 2)


def test_a_hierarchical_relation_wins_over_related_on_the_same_pair(tmp_path):
    a, b = "https://x.test/a", "https://x.test/b"
    quads = concept_quads(
        [Concept(a, "area", "A"), Concept(b, "definition", "B")], [(a, "related", b), (b, "broader", a)]
    )
    network = load_network(write_store(tmp_path / "out", quads))
    assert relations(network) == {(a, b): "narrower"}


def test_a_store_without_concepts_says_how_to_derive_them(tmp_path):
    page = "https://x.test/area/a/"
    quads = [ox.Quad(ox.NamedNode(page), ox.NamedNode("http://schema.org/name"), ox.Literal("A"), ox.NamedNode(page))]
    out = write_store(tmp_path / "out", quads)
    assert concept_graph(open_store(out)).number_of_nodes() == 0
    for command in (["view"], ["path", "a", "b"], ["stats"]):
        result = run(command[0], "-o", out, *command[1:])
        assert result.exit_code == 1
        assert result.stderr == (
            f"Error: the store in {out}/ holds no concepts: its pages give none, or it was built "
            f"before the concept layer existed (run `kg link -o {out}`)\n"
        )


# -- labels -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lightning network", LIGHTNING),
        ("  LIGHTNING   Network ", LIGHTNING),
        ("Gossip", GOSSIP),  # a unique prefix
        ("Peer to Peer", P2P),  # an exact label beats the longer labels it prefixes
        ("State Channels (area)", STATE_AREA),
        ("state channels (DEFINITION)", STATE_DEF),
        (MULTI_PARTY, MULTI_PARTY),  # an IRI
    ],
)
def test_labels_name_concepts(graph, text, expected):
    assert find_concept(graph, text) == expected


def test_a_label_shared_by_two_concepts_lists_them_with_their_kinds(graph):
    with pytest.raises(AmbiguousConcept) as caught:
        find_concept(graph, "state channels")
    assert caught.value.candidates == ["State Channels (area)", "State Channels (definition)"]
    assert "add the kind in parentheses" in str(caught.value)


def test_an_ambiguous_prefix_lists_the_candidates(graph):
    with pytest.raises(AmbiguousConcept) as caught:
        find_concept(graph, "peer")
    assert caught.value.candidates == [
        "Peer to Peer (area)",
        "Peer to Peer Channels (area)",
        "Peer-to-Peer Order Books (term)",
    ]


def test_an_unknown_label_lists_the_closest(graph):
    with pytest.raises(UnknownConcept) as caught:
        find_concept(graph, "Lightnin Netwrok")
    assert caught.value.closest == ["Lightning Network (definition)"]
    assert str(caught.value) == "no concept is labelled 'Lightnin Netwrok'; closest: Lightning Network (definition)"


@pytest.mark.parametrize(
    "text",
    ["lightning network", "  LIGHTNING   Network ", "Gossip", "Peer to Peer", "State Channels (area)", MULTI_PARTY],
)
def test_the_table_finds_what_find_concept_finds(small, graph, text):
    table = load_concepts(small)
    assert table.nodes[table.find(text)] == find_concept(graph, text)


@pytest.mark.parametrize("odd", ["Tab\tbed", "Two  spaces", " Leading", "Trailing ", "", "New\nline", "STRASSE"])
def test_the_table_finds_labels_with_any_whitespace_or_case(odd):
    # The table normalizes all labels at once when it can; a label that needs one by one
    # (odd whitespace, an empty label) must not shift the others.
    labels = ["Alpha", odd, "Straße Zwei", "Zeta"]
    nodes = [f"urn:x:{i}" for i in range(len(labels))]
    table = ConceptTable(nodes, ["term"] * 4, labels, np.zeros(0, int), np.zeros(0, int), np.zeros(0, int), [])
    assert table.find("zeta") == 3
    assert table.find("strasse zwei") == 2
    assert table.find("alpha") == 0
    if odd.strip():
        assert table.find(" ".join(odd.split())) == 1


# -- paths --------------------------------------------------------------------------------------


def test_a_path_reads_each_relation_in_the_direction_of_travel(graph):
    [there] = concept_paths(graph, P2P, LIGHTNING)
    assert [(h.source, h.relation, h.target) for h in there] == [
        (P2P, "related", P2P_CHANNELS),
        (P2P_CHANNELS, "narrower", LIGHTNING),
    ]
    [back] = concept_paths(graph, LIGHTNING, P2P)
    assert format_path(graph, back) == "Lightning Network --broader--> Peer to Peer Channels --related--> Peer to Peer"


def test_paths_avoid_navigation_pages_unless_nothing_else_connects(graph):
    # Through the "Area" index page it would be two hops; through concepts it is three.
    paths = concept_paths(graph, STATE_AREA, P2P, all_shortest=True)
    assert len(paths) == 2 and all(len(hops) == 3 for hops in paths)
    assert not {h.target for hops in paths for h in hops} & {AREAS_INDEX, HOME}
    [to_home] = concept_paths(graph, P2P, HOME)
    assert [h.relation for h in to_home] == ["broader", "broader"]


def test_the_part_on_the_shortest_paths_gives_the_paths_of_the_whole_network(tmp_path, small):
    # kg path draws its paths from this part: with and without navigation pages, every pair.
    for output in (small, write_store(tmp_path / "big", synthetic(400))):
        table = read_concepts(open_store(output))
        whole = table.graph()
        nodes = table.nodes
        ends = range(len(nodes)) if len(nodes) < 50 else range(0, len(nodes), 13)
        pairs = [(a, b) for a in ends for b in ends if a != b]
        assert len(pairs) > 100
        for a, b in pairs:
            try:
                expected = concept_paths(whole, nodes[a], nodes[b], all_shortest=True)
            except NoPath:
                expected = None
            part = table.part(table.on_shortest_paths(a, b))
            assert len(part) < len(table) or output == small
            try:
                got = concept_paths(part.graph(), nodes[a], nodes[b], all_shortest=True)
            except NoPath:
                got = None
            assert got == expected, (nodes[a], nodes[b])


def test_unconnected_concepts_have_no_path(graph):
    with pytest.raises(NoPath, match=r"no path between Orphan Concept \(definition\) and Peer to Peer \(area\)"):
        concept_paths(graph, ORPHAN, P2P)


# -- stats, subgraphs, layout -----------------------------------------------------------------


def test_stats_count_rank_and_group_the_concepts(small, graph):
    stats = summarize(read_concepts(open_store(small)), top=3)
    assert stats.kinds == {"area": 3, "definition": 5, "term": 1, "facet": 1, "page": 2}
    assert stats.relations == {"narrower": 13, "related": 2, "facet": 1}
    assert stats.components == 2  # the orphan stands alone
    # Peer to Peer holds leaves (a facet, a definition) besides the shared ones: it ranks first.
    assert [node for node, _ in stats.by_pagerank] == [P2P, P2P_CHANNELS, AREAS_INDEX]
    assert stats.by_degree[:2] == [(P2P, 5), (P2P_CHANNELS, 5)]
    members = [node for community in stats.communities for node in community.members]
    assert sorted(members) == sorted(graph.nodes)
    which = {node: i for i, c in enumerate(stats.communities) for node in c.members}
    assert stats.bridge_count == sum(1 for u, v in graph.edges if which[u] != which[v]) > 0
    report = stats.report()
    assert report.splitlines()[0] == "concepts: 12 (definition 5, area 3, page 2, facet 1, term 1)"
    assert "most central (PageRank):\n" in report and "communities (Louvain): " in report


def test_the_table_finds_a_neighbourhood_and_cuts_to_the_most_central(small):
    table = read_concepts(open_store(small))
    around = table.part(table.within(table.find("multi-party"), 1)).graph()
    assert set(around) == {MULTI_PARTY, STATE_AREA, STATE_DEF}
    assert relations(around) == {
        (STATE_AREA, MULTI_PARTY): "narrower",
        (STATE_AREA, STATE_DEF): "narrower",
        (STATE_DEF, MULTI_PARTY): "narrower",
    }
    assert set(table.part(table.within(table.find(ORPHAN), 3)).graph()) == {ORPHAN}
    top, note, rank = select(table, max_nodes=3)
    assert len(top) == 3 and P2P_CHANNELS in top and ORPHAN not in top
    assert note == "Showing the 3 most central of 12 concepts (by PageRank; see --max-nodes)."


def test_a_neighbourhood_read_from_the_store_is_that_part_of_the_whole_table(tmp_path, small):
    # kg view --around reads only the labels of the whole network and the relations near the concept.
    for output in (small, write_store(tmp_path / "big", synthetic(400))):
        store = open_store(output)
        table = read_concepts(store)
        for center in range(0, len(table), max(1, len(table) // 12)):
            for depth in (1, 2, 3):
                kept = table.within(center, depth)
                part, index, total = read_neighbourhood(store, table.nodes[center], depth)
                assert (part.nodes[index], total) == (table.nodes[center], len(table))
                expected = table.part(kept).graph()
                assert list(part.graph().nodes(data=True)) == list(expected.nodes(data=True))
                assert list(part.graph().edges(data=True)) == list(expected.edges(data=True))
    assert 1 < len(kept) < len(table)


def test_the_table_is_the_network_and_ranks_it_as_networkx_does(tmp_path):
    network_store = open_store(write_store(tmp_path / "big", synthetic(900)))
    table = read_concepts(network_store)
    graph = concept_graph(network_store, details=False)
    assert list(table.graph().nodes(data=True)) == list(graph.nodes(data=True))
    assert list(table.graph().edges(data=True)) == list(graph.edges(data=True))
    expected = nx.pagerank(graph.to_undirected())  # networkx's own, on its own graph
    got = dict(zip(table.nodes, table.pagerank().tolist(), strict=True))
    assert got.keys() == expected.keys()
    assert got == expected  # kg's one PageRank is networkx's iteration, to the last bit
    assert centrality(graph) == expected  # and so is the rank of a networkx graph (exports)


def test_layout_places_every_node_apart_and_is_repeatable(tmp_path):
    network = load_network(write_store(tmp_path / "big", synthetic(900)))
    positions = layout(network)
    assert set(positions) == set(network.nodes)
    assert len(set(positions.values())) == len(positions)
    assert layout(network) == positions


def test_the_page_is_the_same_whatever_python_s_string_hashing(tmp_path):
    # A cut (--max-nodes) and a layout by communities; each run hashes strings differently.
    output = write_store(tmp_path / "big", synthetic(900))
    pages = []
    for seed in ("1", "2", "3"):
        page = tmp_path / f"view-{seed}.html"
        done = subprocess.run(
            [sys.executable, "-m", "kg", "view", "-o", str(output), "--to", str(page), "--max-nodes", "400"],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr.decode()
        pages.append(page.read_bytes())
    assert b"400 most central" in pages[0]
    assert pages[0] == pages[1] == pages[2]


# -- network exports ----------------------------------------------------------------------------


def test_network_formats_are_registered_exporters():
    for name in NETWORK_FORMATS:
        assert EXPORTERS[name].load().__module__ == "kg.export_network"


@pytest.mark.parametrize("name", ["graphml", "gexf"])
def test_graph_formats_round_trip_through_networkx(small, graph, name):
    stream = io.BytesIO()
    export(open_store(small), name, stream)
    stream.seek(0)
    read = nx.read_graphml(stream) if name == "graphml" else nx.read_gexf(stream)
    assert set(read.nodes) == set(graph.nodes)
    assert read.number_of_edges() == graph.number_of_edges()
    assert read.nodes[LIGHTNING]["label"] == "Lightning Network"
    assert read.nodes[LIGHTNING]["sources"].split() == graph.nodes[LIGHTNING]["sources"]
    assert read.edges[P2P, ORDER_BOOKS]["relation"] == "narrower"
    assert float(read.nodes[P2P_CHANNELS]["pagerank"]) > float(read.nodes[ORPHAN]["pagerank"])


def test_csv_is_an_edge_table_with_labels_first(small, graph):
    stream = io.BytesIO()
    export(open_store(small), "csv", stream)
    raw = stream.getvalue()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel needs the BOM to read UTF-8
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == graph.number_of_edges() + 1  # and one row for the orphan
    assert {
        "source_label": "Peer to Peer",
        "relation": "narrower",
        "target_label": "Gossip Protocol",
        "source_kind": "area",
        "target_kind": "definition",
        "source": P2P,
        "target": GOSSIP,
    } in rows
    assert {
        "source_label": "Orphan Concept",
        "relation": "",
        "target_label": "",
        "source_kind": "definition",
        "target_kind": "",
        "source": ORPHAN,
        "target": "",
    } in rows


def test_csv_cells_never_become_spreadsheet_formulas(tmp_path):
    a = "https://x.test/a"
    out = write_store(tmp_path / "out", concept_quads([Concept(a, "definition", '=HYPERLINK("http://evil.test")')], []))
    stream = io.BytesIO()
    export(open_store(out), "csv", stream)
    assert stream.getvalue().decode("utf-8-sig").splitlines()[1].startswith("\"'=HYPERLINK(")


def test_export_of_one_page_keeps_the_concepts_it_asserts(small):
    stream = io.BytesIO()
    export(open_store(small), "graphml", stream, graph=STATE_AREA)
    stream.seek(0)
    assert set(nx.read_graphml(stream)) == {STATE_AREA, LIGHTNING, STATE_DEF, MULTI_PARTY, AREAS_INDEX, HOME}
    with pytest.raises(ExportError, match="no concept is asserted by <https://nowhere.test/>"):
        export(open_store(small), "graphml", io.BytesIO(), graph="https://nowhere.test/")


# -- the command line ---------------------------------------------------------------------------


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_cli_path_prints_the_chain(small):
    result = run("path", "-o", small, "peer to peer", "Lightning")
    assert result.exit_code == 0, result.output
    assert result.stdout == "Peer to Peer --related--> Peer to Peer Channels --narrower--> Lightning Network\n"
    assert result.stderr == "shortest path: 2 hops\n"


def test_cli_path_all_prints_every_shortest_path(small):
    result = run("path", "-o", small, "--all", "State Channels (area)", "Peer to Peer")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "State Channels --narrower--> Lightning Network --broader--> Peer to Peer Channels --related--> Peer to Peer",
        "State Channels --narrower--> State Channels --broader--> Peer to Peer Channels --related--> Peer to Peer",
    ]
    assert result.stderr == "2 shortest paths: 3 hops\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["state channels", "Gossip"],
            "Error: 'state channels' names 2 concepts: State Channels (area), State Channels (definition);",
        ),
        (["Gossip", "Lightnin"], None),  # a unique prefix is fine
        (
            ["Gosip Protocol", "Lightning"],
            "Error: no concept is labelled 'Gosip Protocol'; closest: Gossip Protocol (definition)",
        ),
        (["Orphan", "Gossip"], "Error: no path between Orphan Concept (definition) and Gossip Protocol (definition)"),
    ],
)
def test_cli_path_explains_bad_labels(small, args, message):
    result = run("path", "-o", small, *args)
    if message is None:
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code == 1
        assert result.stderr.startswith(message)
        assert "Traceback" not in result.output


def test_cli_path_without_a_store_says_how_to_build_one(tmp_path):
    result = run("path", "-o", tmp_path / "none", "a", "b")
    assert result.exit_code == 1
    assert "run `kg build -o" in result.stderr


def test_cli_stats(small):
    result = run("stats", "-o", small, "--top", "2")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:3] == [
        "concepts: 12 (definition 5, area 3, page 2, facet 1, term 1)",
        "relations: 16 (narrower 13, related 2, facet 1)",
        "connected components: 2",
    ]
    ranked = lines[lines.index("most central (PageRank):") + 1]
    assert ranked.endswith("  Peer to Peer (area)")
    assert any(line.startswith("bridges between communities: ") for line in lines)


def test_cli_export_writes_the_network_formats(small):
    for name, suffix in (("graphml", "graphml"), ("gexf", "gexf"), ("csv", "csv")):
        result = run("export", "-o", small, "-f", name)
        assert result.exit_code == 0, result.output
        assert (small / f"graph.{suffix}").stat().st_size > 0


def test_cli_view_writes_the_page(small, tmp_path):
    result = run("view", "-o", small)
    assert result.exit_code == 0, result.output
    assert (small / "graph.html").is_file()
    assert f"wrote {small / 'graph.html'} (12 concepts, 16 relations)" in result.stderr
    result = run("view", "-o", small, "--around", "multi", "--depth", "1", "--to", tmp_path / "m.html")
    assert result.exit_code == 0, result.output
    assert "(3 concepts, 3 relations)" in result.stderr
    assert (
        "The neighbourhood of Multi-Party State Channels (definition): concepts at most 1 relation away."
        in result.stderr
    )
    result = run("view", "-o", small, "--around", "nothing like it")
    assert result.exit_code == 1 and result.stderr.startswith("Error: no concept is labelled 'nothing like it'")


def test_every_new_command_has_help_with_an_example():
    for command in ("view", "path", "stats"):
        result = run(command, "--help")
        assert result.exit_code == 0 and "Example:" in result.output, command


def test_seeds_path_from_peer_to_peer_to_lightning(seeds_dir, tmp_path):
    """Must show 1: on the seeds, a chain of at most four hops, each with its relation."""
    out = tmp_path / "seeds"
    assert run("build", seeds_dir, "-o", out).exit_code == 0
    result = run("path", "-o", out, "Peer to Peer", "Lightning Network")
    assert result.exit_code == 0, result.output
    line = result.stdout.strip()
    assert line.startswith("Peer to Peer --") and line.endswith("--> Lightning Network")
    hops = re.findall(r" --([a-z][\w -]*)--> ", line)
    assert 1 <= len(hops) <= 4, line


# -- the page's HTML (the browser tests drive it for real) ---------------------------------------


def page_json(page: str) -> dict:
    found = re.search(r'<script id="kg-data" type="application/json">(.*?)</script>', page, re.S)
    return json.loads(found.group(1))


HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> & </script><!--'


def test_page_text_cannot_become_markup(tmp_path):
    a, b = "https://x.test/a", "javascript:alert(1)"
    concepts = [Concept(a, "definition", "</title><b>bold</b>", HOSTILE), Concept(b, "definition", "{{SCRIPT}}", None)]
    page = render(
        load_network(write_store(tmp_path / "out", concept_quads(concepts, [(a, "related", b)]))), title="<i>title</i>"
    )
    assert "<img src=x" not in page and "window.__pwned=2</script>" not in page and "<b>bold" not in page
    assert "<title>&lt;i&gt;title&lt;/i&gt;</title>" in page
    tree = LexborHTMLParser(page)
    # The data, the overview's network blocks (empty here), then the code.
    ids = ["kg-data", "kg-network-data", "kg-network-iris", None]
    assert [node.attributes.get("id") for node in tree.css("script")] == ids
    assert not tree.css("img") and not tree.css("b") and not tree.css("i")
    data = page_json(page)
    by_label = {n["label"]: n for n in data["nodes"]}
    assert by_label["</title><b>bold</b>"]["definition"] == HOSTILE  # shown literally, not dropped
    assert by_label["{{SCRIPT}}"]["url"] is None  # never a javascript: link


def test_page_has_no_external_resource_and_a_strict_policy(graph):
    page = render(graph)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page, re.I)
    assert not re.search(r"""url\(\s*["']?(https?:)?//""", page, re.I)
    assert "@import" not in page
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert policy.startswith("default-src 'none'; script-src 'sha256-")
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "vis.js may be distributed under either" in page  # vis-network's license header is kept


def test_page_data_matches_the_network(graph):
    data = page_json(render(graph))
    assert len(data["nodes"]) == graph.number_of_nodes() and len(data["edges"]) == graph.number_of_edges()
    assert data["physics"] is True
    ids = {n["iri"]: n["id"] for n in data["nodes"]}
    lightning = next(n for n in data["nodes"] if n["iri"] == LIGHTNING)
    assert sorted(lightning["areas"]) == sorted([ids[P2P_CHANNELS], ids[STATE_AREA]])
    assert {k["kind"]: k["count"] for k in data["kinds"]} == {
        "area": 3,
        "definition": 5,
        "term": 1,
        "facet": 1,
        "page": 2,
    }


def test_a_big_network_is_laid_out_in_python_and_cut_to_the_most_central(tmp_path):
    output = write_store(tmp_path / "big", synthetic(PHYSICS_LIMIT + 200))
    network = load_network(output)
    shown, note, rank = select(read_concepts(open_store(output)), max_nodes=PHYSICS_LIMIT + 50)
    assert shown.number_of_nodes() == PHYSICS_LIMIT + 50
    kept, total = PHYSICS_LIMIT + 50, PHYSICS_LIMIT + 200
    assert note == f"Showing the {kept:,} most central of {total:,} concepts (by PageRank; see --max-nodes)."
    data = page_json(render(shown, note=note, rank=rank))
    assert data["physics"] is False and data["note"] == note
    assert all(isinstance(n["x"], int) and isinstance(n["y"], int) for n in data["nodes"])
    kept_ranks = [rank[n] for n in shown]
    assert min(kept_ranks) >= max(r for n, r in centrality(network).items() if n not in shown)


def test_concept_graph_reads_an_open_store_directly(small):
    assert concept_graph(open_store(small)).number_of_nodes() == len(SMALL_CONCEPTS)


@pytest.mark.parametrize("corpus", ["example", "seeds"])
def test_the_network_a_build_keeps_is_the_one_its_store_holds(corpus, request, tmp_path):
    # The build makes the network from the corpus pass's tables, not from the store; view,
    # path and stats read what it kept. It must be the network read_concepts finds in the store.
    from kg import BuildConfig, build
    from kg.network.read import saved_concepts
    from kg.sources import example_corpus

    pages = example_corpus() if corpus == "example" else request.getfixturevalue("seeds_dir")
    output = tmp_path / "out"
    assert build([str(pages)], BuildConfig(output=output)).committed
    store = open_store(output)
    kept, read = saved_concepts(output, store), read_concepts(store)
    assert kept is not None and len(read) > 5 and len(read.heads) > 5
    for name in ("nodes", "kinds", "labels", "relations"):
        assert getattr(kept, name) == getattr(read, name), name
    for name in ("heads", "tails", "relation"):
        assert np.array_equal(getattr(kept, name), getattr(read, name)), name
