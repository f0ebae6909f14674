"""`kg serve` against real clients on 127.0.0.1: the SPARQL 1.1 Protocol, the query library as URLs,
the concept pages as linked data, a build swapped in while serving, and a short load.

One server (a real `kg serve` process) answers the module's tests from the example corpus.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pyoxigraph as ox
import pytest
import rdflib
from click.testing import CliRunner
from conftest import query_rows, write_files
from rdflib.compare import isomorphic
from serve_helpers import running_server

from kg.cli.common import main
from kg.endpoint import MEDIA_TYPES, negotiate

AREA_DEFINITIONS = "area-definitions"
COUNT_CONCEPTS = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH kgg:concepts { ?c a skos:Concept } }"
CONSTRUCT = "CONSTRUCT { ?c skos:prefLabel ?l } WHERE { GRAPH kgg:concepts { ?c skos:prefLabel ?l } }"
# A query that runs for ever on any store with a few hundred triples.
ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"
TIMEOUT = 4


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    out = tmp_path_factory.mktemp("serve") / "example"
    result = CliRunner().invoke(main, ["build", "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def server(example):
    with running_server(example, "--cors") as running:
        yield running


@pytest.fixture
def impatient_server(example):
    """A server that stops queries after TIMEOUT seconds (the module's waits the default 30 s,
    so that its queries never time out on a busy machine)."""
    with running_server(example, "--timeout", str(TIMEOUT)) as running:
        yield running


def _library_text(name: str) -> str:
    from kg.library import library

    return library()[name].text


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode())))[1:]


def _rows_of(solutions: ox.QuerySolutions) -> list[tuple[str, ...]]:
    return sorted(tuple("" if t is None else t.value for t in row) for row in solutions)


# --------------------------------------------------------------------------- real clients


def test_sparqlwrapper_gets_the_rows_kg_query_prints(server, example):
    from SPARQLWrapper import JSON, SPARQLWrapper

    expected = sorted(tuple(row) for row in query_rows(example, AREA_DEFINITIONS))
    assert expected, "the example corpus gives area-definitions rows"
    client = SPARQLWrapper(server.url + "sparql")
    client.setQuery(_library_text(AREA_DEFINITIONS))
    client.setReturnFormat(JSON)
    answer = client.query().convert()
    names = answer["head"]["vars"]
    got = sorted(tuple(b.get(n, {}).get("value", "") for n in names) for b in answer["results"]["bindings"])
    assert got == expected


def test_rdflib_sparqlstore_gets_the_rows_kg_query_prints(server, example):
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    expected = sorted(tuple(row) for row in query_rows(example, AREA_DEFINITIONS))
    graph = rdflib.Graph(store=SPARQLStore(server.url + "sparql", returnFormat="xml"))
    got = sorted(
        tuple("" if v is None else str(v) for v in row) for row in graph.query(_library_text(AREA_DEFINITIONS))
    )
    assert got == expected


@pytest.mark.parametrize("name", ["json", "xml", "csv", "tsv"])
def test_every_select_format_parses_back_to_the_same_rows(server, example, name):
    expected = sorted(tuple(row) for row in query_rows(example, AREA_DEFINITIONS))
    status, headers, body = server.sparql(_library_text(AREA_DEFINITIONS), accept=MEDIA_TYPES[name][0])
    assert status == 200, body
    assert headers["content-type"].startswith(MEDIA_TYPES[name][0])
    if name == "csv":  # lossy by design (no term kinds): Python's csv reads it
        assert sorted(tuple(row) for row in _csv_rows(body)) == expected
        return
    fmt = {"json": "JSON", "xml": "XML", "tsv": "TSV"}[name]
    parsed = ox.parse_query_results(body, getattr(ox.QueryResultsFormat, fmt))
    assert _rows_of(parsed) == expected


def test_ask_answers_in_json_and_xml(server):
    for accept, fmt in (("application/sparql-results+json", "JSON"), ("application/sparql-results+xml", "XML")):
        status, _, body = server.sparql("ASK { GRAPH kgg:concepts { ?c a skos:Concept } }", accept=accept)
        assert status == 200 and bool(ox.parse_query_results(body, getattr(ox.QueryResultsFormat, fmt))) is True


@pytest.mark.parametrize(
    "name,rdflib_format",
    [
        ("turtle", "turtle"),
        ("ntriples", "nt"),
        ("nquads", "nquads"),
        ("jsonld", "json-ld"),
        ("rdfxml", "xml"),
        ("trig", "trig"),
    ],
)
def test_every_graph_format_parses_back_to_the_same_graph(server, example, name, rdflib_format):
    result = CliRunner().invoke(main, ["query", "-o", str(example), "-e", CONSTRUCT, "-f", "ntriples"])
    assert result.exit_code == 0, result.output
    expected = rdflib.Graph().parse(data=result.output, format="nt")
    assert len(expected) > 10
    status, headers, body = server.sparql(CONSTRUCT, accept=MEDIA_TYPES[name][0])
    assert status == 200, body
    assert headers["content-type"].startswith(MEDIA_TYPES[name][0])
    got = rdflib.Dataset() if name in ("nquads", "trig") else rdflib.Graph()
    got.parse(data=body, format=rdflib_format)
    triples = rdflib.Graph()
    for triple in got.triples((None, None, None)) if name not in ("nquads", "trig") else got.quads((None, None, None)):
        triples.add(triple[:3])
    assert isomorphic(triples, expected)


def test_format_parameter_overrides_accept_and_post_forms_work(server):
    status, headers, body = server.get("sparql", accept="text/html", query=COUNT_CONCEPTS, format="csv")
    assert status == 200 and headers["content-type"].startswith("text/csv")
    count = _csv_rows(body)[0][0]
    form = f"query={urllib.parse.quote(COUNT_CONCEPTS)}".encode()
    status, _, body = server.post("sparql", form, "application/x-www-form-urlencoded", accept="text/csv")
    assert status == 200 and _csv_rows(body)[0][0] == count
    status, _, body = server.post("sparql", COUNT_CONCEPTS.encode(), "application/sparql-query", accept="text/csv")
    assert status == 200 and _csv_rows(body)[0][0] == count


def test_default_and_named_graph_uri_set_the_dataset(server):
    everything = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    in_concepts = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH kgg:concepts { ?s ?p ?o } }"
    union = int(_csv_rows(server.sparql(everything, accept="text/csv")[2])[0][0])
    concepts = int(_csv_rows(server.sparql(in_concepts, accept="text/csv")[2])[0][0])
    status, _, body = server.sparql(everything, accept="text/csv", **{"default-graph-uri": "urn:kg:graph:concepts"})
    assert status == 200 and int(_csv_rows(body)[0][0]) == concepts < union
    graphs = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    status, _, body = server.sparql(graphs, accept="text/csv", **{"named-graph-uri": "urn:kg:graph:provenance"})
    assert status == 200 and _csv_rows(body) == [["urn:kg:graph:provenance"]]


# --------------------------------------------------------------------------- the Protocol's errors


def test_a_syntax_error_is_400_with_line_and_column(server):
    status, _, body = server.sparql("SELECT ?s\nWHERE { ?s ?p }", accept="text/csv")
    assert status == 400
    assert re.search(r"line 2, column \d+", body.decode()), body


@pytest.mark.parametrize(
    "how",
    ["sparql-update body", "update form field", "INSERT as query", "LOAD as query", "SERVICE in a query"],
)
def test_updates_load_and_service_are_refused_with_500(server, example, how):
    before = query_rows(example, "-e", COUNT_CONCEPTS)
    insert = "INSERT DATA { <urn:x:a> <urn:x:b> <urn:x:c> }"
    if how == "sparql-update body":
        status, _, body = server.post("sparql", insert.encode(), "application/sparql-update")
    elif how == "update form field":
        form = f"update={urllib.parse.quote(insert)}".encode()
        status, _, body = server.post("sparql", form, "application/x-www-form-urlencoded")
    elif how == "INSERT as query":
        status, _, body = server.sparql(insert)
    elif how == "LOAD as query":
        status, _, body = server.sparql("LOAD <http://127.0.0.1:9/data.ttl>")
    else:
        status, _, body = server.sparql("SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }")
    assert status == 500
    assert "refused" in body.decode() and "read" in body.decode()
    assert query_rows(example, "-e", COUNT_CONCEPTS) == before


def test_the_word_service_in_a_string_is_not_refused(server):
    status, _, body = server.sparql('SELECT ("SERVICE <x>" AS ?t) WHERE {}', accept="text/csv")
    assert status == 200 and _csv_rows(body) == [["SERVICE <x>"]]


def test_a_query_past_the_time_limit_is_503_and_the_server_keeps_serving(impatient_server):
    server = impatient_server
    started = time.monotonic()
    status, _, body = server.sparql(ENDLESS)
    assert status == 503, body
    assert "time limit" in body.decode()
    assert time.monotonic() - started < TIMEOUT + 10
    status, _, body = server.sparql(COUNT_CONCEPTS, accept="text/csv")
    assert status == 200 and int(_csv_rows(body)[0][0]) > 0


def test_without_a_query_sparql_describes_the_service(server):
    status, headers, body = server.get("sparql", accept="text/turtle")
    assert status == 200
    graph = rdflib.Graph().parse(data=body, format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    assert (None, sd.endpoint, rdflib.URIRef(server.url + "sparql")) in graph
    assert (None, sd.feature, sd.UnionDefaultGraph) in graph


def test_a_browser_gets_yasgui_with_the_library_as_examples(server):
    status, headers, body = server.get("sparql", accept="text/html,application/xhtml+xml,*/*;q=0.8")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in headers["content-security-policy"]
    page = body.decode()
    assert "Yasgui" in page and "area-definitions" in page
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=", page), "the page loads nothing"


# --------------------------------------------------------------------------- the library as URLs


def test_queries_lists_the_library_as_json_and_html(server):
    from kg.library import library

    status, _, body = server.get("queries", accept="application/json")
    assert status == 200
    assert [q["name"] for q in json.loads(body)["queries"]] == list(library())
    status, _, body = server.get("queries", accept="text/html")
    assert status == 200 and b"definitions-of" in body
    assert re.search(r"^GET /queries 200 \d+ ms$", server.logged(), re.MULTILINE), "one log line a request"


def test_a_library_query_by_url_binds_like_kg_query(server, example):
    expected = query_rows(example, "definitions-of", "--bind", "area=Peer to Peer")
    assert expected
    status, _, body = server.get("queries/definitions-of", accept="text/csv", area="Peer to Peer")
    assert status == 200, body
    assert _csv_rows(body) == expected
    status, _, body = server.get("queries/definitions-of", accept="text/csv")
    assert status == 400 and b"area" in body
    assert server.get("queries/no-such-query")[0] == 404


# --------------------------------------------------------------------------- concepts as linked data


def test_a_concept_url_gives_html_turtle_and_json_ld(server, example):
    status, _, body = server.get("search", accept="application/json", q="peer to peer")
    hit = json.loads(body)["hits"][0]
    assert hit["label"] == "Peer to Peer"
    url = server.url + "concept?" + urllib.parse.urlencode({"iri": hit["iri"]})
    graph = rdflib.Graph().parse(url)  # rdflib negotiates an RDF format
    skos = rdflib.Namespace("http://www.w3.org/2004/02/skos/core#")
    assert (rdflib.URIRef(hit["iri"]), skos.prefLabel, None) in graph
    status, headers, body = server.get("concept", accept="application/ld+json", iri=hit["iri"])
    assert status == 200 and headers["content-type"].startswith("application/ld+json")
    assert len(rdflib.Graph().parse(data=body, format="json-ld")) == len(graph)
    status, headers, body = server.get("concept", accept="text/html", iri=hit["iri"])
    assert status == 200 and b"Peer to Peer" in body and "content-security-policy" in {k.lower() for k in headers}
    assert server.get("concept", accept="text/html", iri="https://nowhere.test/")[0] == 404


def test_cors_headers_with_cors(server):
    """The module's server runs with --cors (the swap test's, without it, sends no such header)."""
    request = urllib.request.Request(server.url + "sparql?query=ASK%7B%7D", headers={"Origin": "http://x.test"})
    with urllib.request.urlopen(request) as response:
        assert response.headers["access-control-allow-origin"] == "*"


def test_serve_has_help_with_an_example():
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0 and "Example:" in result.output and "--timeout" in result.output


def test_serving_a_folder_without_a_store_says_so(tmp_path):
    result = CliRunner().invoke(main, ["serve", "-o", str(tmp_path / "nothing")])
    assert result.exit_code == 1
    assert "no kg store in" in result.output and "kg build" in result.output
    assert "Traceback" not in result.output


def test_content_negotiation_prefers_by_q():
    offered = ["json", "xml", "csv", "tsv"]
    assert negotiate("text/csv;q=0.5, application/sparql-results+xml", offered, "json") == "xml"
    assert negotiate("*/*", offered, "json") == "json"
    assert negotiate("text/*", offered, "json") == "csv"
    assert negotiate("image/png", offered, "json") is None


# --------------------------------------------------------------------------- a build swapped in


SWAP_QUERY = "SELECT ?path WHERE { GRAPH kgg:provenance { ?page kg:sourcePath ?path } } ORDER BY ?path"


def _page(slug: str, label: str) -> str:
    body = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "DefinedTerm",
            "@id": f"https://swap.test/{slug}/",
            "name": label,
            "description": f"What {label} means.",
        }
    )
    return f"# {label}\n\n```json\n{body}\n```\n\n**Original URL:** https://swap.test/{slug}/\n"


def test_a_build_into_the_served_folder_is_swapped_in_whole(tmp_path):
    """Must show 3: while `kg build` replaces the build, every answer is wholly the old or the new."""
    old = write_files(tmp_path / "old", {f"old-{i}.txt": _page(f"old-{i}", f"Oldterm {i}") for i in range(6)})
    new = write_files(tmp_path / "new", {f"new-{i}.txt": _page(f"new-{i}", f"Newterm {i}") for i in range(9)})
    out = tmp_path / "out"
    assert CliRunner().invoke(main, ["build", str(old), "-o", str(out)]).exit_code == 0
    old_paths = [row[0] for row in query_rows(out, "-e", SWAP_QUERY)]
    seen: list[tuple] = []
    errors: list[str] = []
    stop = threading.Event()

    with running_server(out) as server:

        def hammer() -> None:
            while not stop.is_set():
                status, _, body = server.sparql(SWAP_QUERY, accept="text/csv")
                if status != 200:
                    errors.append(f"{status} {body[:200]!r}")
                else:
                    seen.append(tuple(row[0] for row in _csv_rows(body)))

        workers = [threading.Thread(target=hammer) for _ in range(3)]
        for worker in workers:
            worker.start()
        time.sleep(0.5)
        build = subprocess.run(
            [sys.executable, "-m", "kg", "build", str(new), "-o", str(out), "--full"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert build.returncode == 0, build.stderr
        new_paths = [row[0] for row in query_rows(out, "-e", SWAP_QUERY)]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and (not seen or seen[-1] != tuple(new_paths)):
            time.sleep(0.2)
        time.sleep(0.5)
        stop.set()
        for worker in workers:
            worker.join()
        status, _, body = server.get("search", accept="application/json", q="newterm")
        assert status == 200 and len(json.loads(body)["hits"]) == 9
        assert "serving the new build" in server.logged()
        cross = urllib.request.Request(server.url + "sparql?query=ASK%7B%7D", headers={"Origin": "http://x.test"})
        with urllib.request.urlopen(cross) as response:
            assert "access-control-allow-origin" not in {k.lower() for k in response.headers}, "no CORS unless asked"
    assert errors == []
    assert set(seen) == {tuple(old_paths), tuple(new_paths)}, "every answer is one build's, and both were served"
    assert tuple(old_paths) != tuple(new_paths)
    assert seen[-1] == tuple(new_paths)
    leftovers = [p.name for p in out.iterdir() if p.name.startswith(".checkpoint-")]
    assert leftovers == [], "the server removed its snapshots on exit"


# --------------------------------------------------------------------------- a short load


def test_twenty_clients_mixing_pages_searches_and_sparql_get_no_error(server):
    """The short version of benchmarks/serve_benchmark.py --load: every answer 200."""
    status, _, body = server.get("search", accept="application/json", q="p", limit="20")
    iris = [hit["iri"] for hit in json.loads(body)["hits"]]
    assert iris
    requests = []
    for i in range(200):
        kind = i % 4
        if kind == 0:
            requests.append(("concept", "text/html", {"iri": iris[i % len(iris)]}))
        elif kind == 1:
            requests.append(("search", "application/json", {"q": "pe"[: 1 + i % 2]}))
        elif kind == 2:
            requests.append(("sparql", "text/csv", {"query": COUNT_CONCEPTS}))
        else:
            requests.append(("", "text/html", {}))
    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(lambda r: server.get(r[0], accept=r[1], **r[2])[0], requests))
    assert statuses == [200] * len(requests)
