"""`kg serve`: the build folder on loopback, read-only, as a SPARQL 1.1 Protocol endpoint, the query
library as URLs, and a concept browser; built on Starlette (routing) and uvicorn (HTTP).

Handlers are plain functions, which Starlette runs in its thread pool: pyoxigraph reads
release the GIL, and a SPARQL query runs in a child process that can be stopped at the
time limit (kg.query.run_in_child). Each request answers from one snapshot (kg.live).
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

import pyoxigraph as ox

from . import browse, pages
from .endpoint import MEDIA_TYPES, ProtocolError, QueryRunner, SparqlRequest, negotiate, read_request, respond
from .errors import QueryError
from .library import check_bindings, library
from .live import LiveBuild
from .results import Answer
from .sparql import term_from_text

log = logging.getLogger("kg.serve")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7878
DEFAULT_TIMEOUT = 30.0
SEARCH_LIMIT = 50
_RDF_FORMATS = ["turtle", "jsonld", "ntriples", "rdfxml"]
_LOOPBACK = ("127.0.0.1", "::1", "localhost")


@dataclass(frozen=True)
class ServeConfig:
    output: Path | str
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    cors: bool = False
    timeout: float = DEFAULT_TIMEOUT
    max_rows: int = 100_000
    queries_dir: Path | None = None
    slots: int = 4


def _html(page_and_policy: tuple[str, str], status: int = 200):
    from starlette.responses import HTMLResponse

    page, policy = page_and_policy
    return HTMLResponse(page, status, headers=_security(policy))


def _security(policy: str) -> dict[str, str]:
    return {"Content-Security-Policy": policy, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


def _text(status: int, message: str, headers: dict | None = None):
    from starlette.responses import PlainTextResponse

    return PlainTextResponse(message.rstrip("\n") + "\n", status, headers=headers)


def _wants_html(request) -> bool:
    accept = request.headers.get("accept", "")
    return negotiate_html(accept)


def negotiate_html(accept: str) -> bool:
    """Whether a browser asks: text/html listed before (or above) any RDF or results type."""
    for part in accept.split(","):
        media = part.split(";")[0].strip().lower()
        if media in ("text/html", "application/xhtml+xml"):
            return True
        if media and media != "*/*":
            return False
    return False


def service_description(endpoint: str) -> list[ox.Triple]:
    """The SPARQL 1.1 Service Description of the endpoint."""
    sd = "http://www.w3.org/ns/sparql-service-description#"
    formats = "http://www.w3.org/ns/formats/"
    service, node = ox.BlankNode("service"), ox.NamedNode

    def triple(p: str, o) -> ox.Triple:
        return ox.Triple(service, node(p), o)

    triples = [
        triple("http://www.w3.org/1999/02/22-rdf-syntax-ns#type", node(sd + "Service")),
        triple(sd + "endpoint", node(endpoint)),
        triple(sd + "supportedLanguage", node(sd + "SPARQL11Query")),
        triple(sd + "feature", node(sd + "UnionDefaultGraph")),
    ]
    for name in ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV"):
        triples.append(triple(sd + "resultFormat", node(formats + name)))
    for name in ("Turtle", "N-Triples", "N-Quads", "JSON-LD", "RDF_XML", "TriG"):
        triples.append(triple(sd + "resultFormat", node(formats + name)))
    return triples


def make_app(config: ServeConfig, live: LiveBuild | None = None):
    """The ASGI application serving `config.output` (opened here unless `live` is given)."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.cors import CORSMiddleware
    from starlette.responses import JSONResponse, RedirectResponse, Response
    from starlette.routing import Route

    live = live or LiveBuild(config.output)
    runner = QueryRunner(timeout=config.timeout, max_rows=config.max_rows, slots=config.slots)
    queries = library(config.queries_dir)
    title = f"Concepts of {Path(config.output).resolve().name}/"

    async def sparql(request) -> Response:
        from starlette.concurrency import run_in_threadpool

        body = await request.body() if request.method == "POST" else b""
        return await run_in_threadpool(answer_sparql, request, body)

    def answer_sparql(request, body: bytes) -> Response:
        try:
            parsed = read_request(request.method, request.url.query, request.headers.get("content-type", ""), body)
            if parsed is None:
                if _wants_html(request):
                    return _html(pages.sparql_page(queries))
                return _rdf(service_description(str(request.url.replace(query=""))), request, None)
            with live.snapshot() as snapshot:
                answer = runner.run(snapshot.folder, parsed, request.headers.get("accept"))
        except ProtocolError as exc:
            return _text(exc.status, exc.message, exc.headers)
        return Response(answer.body, 200, media_type=answer.media_type, headers=answer.headers)

    def queries_list(request) -> Response:
        if _wants_html(request):
            return _html(pages.queries_page(queries))
        listing = [
            {
                "name": q.name,
                "title": q.title,
                "description": q.description,
                "parameters": [{"name": p.name, "description": p.description} for p in q.parameters],
                "examples": dict(q.examples),
                "url": f"/queries/{q.name}",
                "text": q.text,
            }
            for q in queries.values()
        ]
        return JSONResponse({"queries": listing})

    def run_library_query(request) -> Response:
        name = request.path_params["name"]
        if name not in queries:
            return _text(404, f"no query named {name!r} in the library; /queries lists them")
        chosen = queries[name]
        params = {k: v for k, v in request.query_params.multi_items() if k != "format"}
        for parameter in chosen.parameters:
            if parameter.name not in params:
                example = urlencode({parameter.name: dict(chosen.examples).get(parameter.name, "VALUE")})
                return _text(400, f"{name} needs ?{parameter.name}=… ({parameter.description}), e.g. ?{example}")
        try:
            bindings = {key: term_from_text(value) for key, value in params.items()}
            check_bindings(chosen, bindings)
        except QueryError as exc:
            return _text(400, str(exc).replace("--bind ", "?"))
        parsed = SparqlRequest(chosen.text, format=request.query_params.get("format"))
        try:
            with live.snapshot() as snapshot:
                answer = runner.run(snapshot.folder, parsed, request.headers.get("accept"), bindings)
        except ProtocolError as exc:
            return _text(exc.status, exc.message, exc.headers)
        return Response(answer.body, 200, media_type=answer.media_type, headers=answer.headers)

    def _rdf(triples: list[ox.Triple], request, override: str | None) -> Response:
        if override:
            chosen = next((n for n in _RDF_FORMATS if override in (n, *MEDIA_TYPES[n])), None)
            if chosen is None:
                return _text(400, f"format={override} is not one of {', '.join(_RDF_FORMATS)}")
        else:
            chosen = negotiate(request.headers.get("accept"), _RDF_FORMATS, "turtle")
            if chosen is None:
                return _text(406, "this resource comes as " + ", ".join(MEDIA_TYPES[n][0] for n in _RDF_FORMATS))
        data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
        response = respond(Answer("graph", data), None, chosen, None)
        return Response(response.body, 200, media_type=response.media_type, headers={"Vary": "Accept"})

    def home(request) -> Response:
        with live.snapshot() as snapshot:
            index = snapshot.index
            kinds = index.kinds_counted() if index is not None else None
        return _html(pages.home(title, kinds, index is None))

    def search(request) -> Response:
        text = request.query_params.get("q", "")
        try:
            limit = max(1, min(int(request.query_params.get("limit", "20")), SEARCH_LIMIT))
        except ValueError:
            return _text(400, "limit must be a whole number")
        with live.snapshot() as snapshot:
            index = snapshot.index
            hits = index.search(text, limit) if index is not None else None
        if _wants_html(request):
            return _html(pages.search_page(text, hits))
        if hits is None:
            return JSONResponse(
                {"error": "the concept index is loading; try again in a moment"}, 503, headers={"Retry-After": "1"}
            )
        return JSONResponse({"query": text, "hits": [{"iri": h.iri, "label": h.label, "kind": h.kind} for h in hits]})

    def kind_index(request) -> Response:
        kind = request.path_params["kind"]
        try:
            start = max(0, int(request.query_params.get("start", "0")))
        except ValueError:
            return _text(400, "start must be a whole number")
        with live.snapshot() as snapshot:
            index = snapshot.index
            if index is None:
                return _html(pages.search_page("", None), 503)
            hits, total = index.alphabetical(kind, start, pages.PAGE_SIZE)
        if not total:
            return _html(pages.not_found(f"no concept of kind {kind!r}"), 404)
        return _html(pages.index_page(kind, hits, start, total))

    def concept(request) -> Response:
        iri = request.query_params.get("iri", "")
        override = request.query_params.get("format")
        with live.snapshot() as snapshot:
            if override or not _wants_html(request):
                triples = browse.concept_triples(snapshot.store, iri) if iri else []
                if not triples:
                    return _text(404, f"no concept {iri!r} in this build")
                return _rdf(triples, request, override)
            view = browse.read_concept(snapshot.store, iri) if iri else None
        if view is None:
            return _html(pages.not_found(f"no concept {iri!r} in this build"), 404)
        return _html(pages.concept_page(view))

    def graph(request) -> Response:
        from .view import render

        iri = request.query_params.get("iri", "")
        with live.snapshot() as snapshot:
            if not iri or browse.read_concept(snapshot.store, iri) is None:
                return _html(pages.not_found(f"no concept {iri!r} in this build"), 404)
            drawn, note, rank = browse.neighbourhood(snapshot.store, iri)
        page = render(drawn, title=f"Around {drawn.nodes[iri]['label']}", note=note, rank=rank)
        return Response(page, 200, media_type="text/html; charset=utf-8", headers=_view_policy(page))

    routes = [
        Route("/", home),
        Route("/search", search),
        Route("/index/{kind}", kind_index),
        Route("/concept", concept),
        Route("/graph", graph),
        Route("/sparql", sparql, methods=["GET", "POST"]),
        Route("/queries", queries_list),
        Route("/queries/{name}", run_library_query),
        Route("/favicon.ico", lambda request: Response(status_code=204)),
        Route("/concept/", lambda request: RedirectResponse("/", 301)),
    ]
    middleware = [Middleware(_AccessLog)]
    if config.cors:
        middleware.append(Middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST"]))

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        live.close()

    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.live = live
    return app


def _view_policy(page: str) -> dict[str, str]:
    """`kg view`'s page carries its policy in a meta tag; sent as a header too, with frame-ancestors."""
    import re

    found = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page)
    policy = (found.group(1) if found else "default-src 'none'") + "; frame-ancestors 'self'"
    return _security(policy)


class _AccessLog:
    """One log line a request: method, path, status, milliseconds."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), [0]

        async def sending(message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            # As sent (percent-encoded), so no request can write a line break into the log.
            path = quote(scope["path"], safe="/:@!$&'()*+,;=-._~")
            query = scope.get("query_string", b"").decode("latin-1")
            path += f"?{query[:200]}{'…' if len(query) > 200 else ''}" if query else ""
            log.info("%s %s %d %.0f ms", scope["method"], path, status[0], (time.perf_counter() - started) * 1000)


def url_of(config: ServeConfig) -> str:
    host = f"[{config.host}]" if ":" in config.host else config.host
    return f"http://{host}:{config.port}/"


def serve(config: ServeConfig) -> None:
    """Serve `config.output` until interrupted (StoreError when it holds no store)."""
    import uvicorn

    if config.host not in _LOOPBACK:
        log.warning("serving on %s: reachable from other machines, without authentication", config.host)
    app = make_app(config)
    log.info("serving %s/ read-only at %s (Ctrl-C stops)", config.output, url_of(config))
    uvicorn.run(app, host=config.host, port=config.port, log_level="warning", access_log=False, lifespan="on")


__all__ = ["ServeConfig", "make_app", "serve", "url_of"]
