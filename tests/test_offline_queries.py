"""No query path reaches the network: SERVICE and LOAD are refused from the parsed query.

A real SPARQL endpoint on 127.0.0.1 stands in for the remote one and counts every request;
before the fix, `kg query -e 'SELECT ... SERVICE <that endpoint>'` printed its rows.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli.common import main
from kg.errors import QueryError
from kg.query import open_graph
from kg.store import open_store

REFUSED = "SERVICE asks another SPARQL endpoint over the network, which kg never does"


class Endpoint(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), EndpointHandler)
        self.requests: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/sparql"


class EndpointHandler(BaseHTTPRequestHandler):
    def answer(self) -> None:
        self.server.requests.append(self.path)
        body = json.dumps(
            {"head": {"vars": ["s"]}, "results": {"bindings": [{"s": {"type": "literal", "value": "from afar"}}]}}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = answer  # noqa: N815 (http.server's names)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def endpoint():
    server = Endpoint()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("offline") / "out"
    assert CliRunner().invoke(main, ["build", "-o", str(out)]).exit_code == 0
    return out


def kg(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output
    return result


def service(url: str) -> str:
    return f"SELECT ?s WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}"


def test_every_command_line_path_refuses_service(built: Path, endpoint: Endpoint, tmp_path: Path):
    shared = tmp_path / "shared.rq"
    shared.write_text(f"# title: Looks harmless\n{service(endpoint.url)}\n", "utf-8")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "search.rq").write_text(service(endpoint.url), "utf-8")  # replaces a shipped query
    # Oxigraph's LATERAL is not SPARQL 1.1: this one is read token by token, not by rdflib.
    lateral = f"SELECT * WHERE {{ ?a ?b ?c LATERAL {{ SELECT ?s WHERE {{ service<{endpoint.url}>{{?s ?p ?o}} }} }} }}"
    for args in (
        ["-e", service(endpoint.url)],
        ["-e", f"select * {{ SERVICE SILENT <{endpoint.url}> {{ ?s ?p ?o }} }}"],
        ["-e", lateral],
        [str(shared)],
        ["search", "--queries", str(mine)],
        ["--update", "-e", f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{endpoint.url}> {{ ?s ?p ?o }} }}"],
    ):
        result = kg("query", "-o", str(built), *args)
        assert result.exit_code == 1, (args, result.output)
        assert REFUSED in result.output, (args, result.output)
    assert endpoint.requests == []


def test_the_python_api_refuses_service(built: Path, endpoint: Endpoint):
    graph = open_graph(built)
    with pytest.raises(QueryError, match=REFUSED):
        graph.run(service(endpoint.url))
    with pytest.raises(QueryError, match=REFUSED):
        graph.run(service(endpoint.url), timeout=10)
    with pytest.raises(QueryError, match=REFUSED):
        graph.query(service(endpoint.url))  # rdflib's entry point
    from rdflib.plugins.sparql import prepareQuery

    with pytest.raises(QueryError, match=REFUSED):
        graph.query(prepareQuery(service(endpoint.url)))
    assert endpoint.requests == []


def test_a_users_rule_that_fetches_is_refused(built: Path, endpoint: Endpoint, tmp_path: Path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "99-remote.ru").write_text(
        f"PREFIX kgg: <urn:kg:graph:>\nCONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{endpoint.url}> {{ ?s ?p ?o }} }}\n",
        "utf-8",
    )
    result = kg("link", "-o", str(built), "--rules", str(tmp_path / "rules"))
    assert result.exit_code == 1
    assert f"99-remote.ru: {REFUSED}" in result.output
    assert endpoint.requests == []


def test_the_word_in_a_literal_an_iri_or_a_comment_is_not_refused(tmp_path: Path):
    out = tmp_path / "out"
    assert kg("build", "-o", str(out)).exit_code == 0
    update = (
        "# SERVICE and LOAD in a comment\n"
        "INSERT DATA { GRAPH <urn:x:notes> { <urn:x:SERVICE> skos:note 'Customer Service' , \"LOAD <http://x/>\" } }"
    )
    result = kg("query", "-o", str(out), "--update", "-e", update)
    assert result.exit_code == 0, result.output
    notes = {q.object.value for q in open_store(out).quads_for_pattern(None, None, None, None) if "notes" in str(q)}
    assert notes == {"Customer Service", "LOAD <http://x/>"}
    result = kg("query", "-o", str(out), "-f", "csv", "-e", "SELECT ?note WHERE { <urn:x:SERVICE> skos:note ?note }")
    assert result.exit_code == 0, result.output
    assert "Customer Service" in result.output
