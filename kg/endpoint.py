"""The SPARQL 1.1 Protocol at /sparql: reading a request, refusing what a read-only endpoint must,
running the query as `kg query` does, and answering in the negotiated format.

Queries run through kg.query.run_in_child, on the snapshot the request was given, with
kg's prefixes and the union of all graphs as the default graph (unless the request names
its dataset). Status codes follow the Protocol: 400 for a query that does not parse (the
message gives line and column), 500 for a request the service refuses (an update, LOAD,
SERVICE) or fails to run, and 503 when the query ran past the time limit or every query
slot stayed busy.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from .errors import QueryError, QuerySyntaxError, QueryTimeout, StoreError
from .query import run_in_child
from .results import RESULT_FORMATS, Answer, format_answer
from .update import is_update

# Media types of each result format, the first being the one answered with.
MEDIA_TYPES: dict[str, tuple[str, ...]] = {
    "json": ("application/sparql-results+json", "application/json"),
    "xml": ("application/sparql-results+xml", "application/xml", "text/xml"),
    "csv": ("text/csv",),
    "tsv": ("text/tab-separated-values",),
    "turtle": ("text/turtle", "application/x-turtle"),
    "ntriples": ("application/n-triples", "text/plain"),
    "nquads": ("application/n-quads",),
    "trig": ("application/trig",),
    "jsonld": ("application/ld+json",),
    "rdfxml": ("application/rdf+xml",),
}
DEFAULT_FORMAT = {"select": "json", "ask": "json", "graph": "turtle"}
DEFAULT_MAX_ROWS = 100_000

_SERVICE = re.compile(r"\bSERVICE\b", re.IGNORECASE)
_FORM = "application/x-www-form-urlencoded"


class ProtocolError(Exception):
    """A request the endpoint answers with an error status and a plain-text message."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


@dataclass
class SparqlRequest:
    query: str
    default_graphs: list[str] | None = None
    named_graphs: list[str] | None = None
    format: str | None = None  # ?format= (a name of RESULT_FORMATS or a media type)


@dataclass
class SparqlResponse:
    body: bytes
    media_type: str
    headers: dict[str, str] = field(default_factory=dict)


def _absolute_iri(value: str) -> str:
    parts = urlsplit(value)
    if not parts.scheme or any(c in value for c in ' <>"{}|\\^`'):
        raise ProtocolError(400, f"not an absolute IRI: {value!r}")
    return value


def read_request(method: str, query_string: str, content_type: str, body: bytes) -> SparqlRequest | None:
    """The query and dataset of a Protocol request (None when it carries no query: the service
    description is wanted); ProtocolError for an update or a malformed request."""
    params = parse_qsl(query_string, keep_blank_values=True)
    media = content_type.split(";")[0].strip().lower()
    text = None
    if method == "POST":
        if media == "application/sparql-update":
            raise ProtocolError(500, refusal("an update"))
        if media == _FORM:
            params += parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)
        elif media == "application/sparql-query":
            text = body.decode("utf-8", errors="replace")
        else:
            raise ProtocolError(
                415, f"POST takes {_FORM} or application/sparql-query, not {media or 'no content type'}"
            )
    elif method != "GET":
        raise ProtocolError(405, f"{method} is not a SPARQL Protocol method here: use GET or POST")
    values: dict[str, list[str]] = {}
    for name, value in params:
        values.setdefault(name, []).append(value)
    if "update" in values:
        raise ProtocolError(500, refusal("an update"))
    queries = values.get("query", [])
    if text is not None and queries:
        raise ProtocolError(400, "give the query once: in the body or as ?query=, not both")
    if len(queries) > 1:
        raise ProtocolError(400, "give one query parameter, not several")
    if text is None and not queries:
        return None
    request = SparqlRequest(text if text is not None else queries[0])
    if "default-graph-uri" in values:
        request.default_graphs = [_absolute_iri(v) for v in values["default-graph-uri"]]
    if "named-graph-uri" in values:
        request.named_graphs = [_absolute_iri(v) for v in values["named-graph-uri"]]
    request.format = (values.get("format") or [None])[-1]
    return request


def refusal(what: str) -> str:
    return (
        f"refused: {what}. This endpoint only reads (kg serve opens the store read-only, and never "
        "fetches from the network); change the graph with kg build or kg query --update"
    )


def _uses_service(text: str) -> bool:
    """Whether the query has a SERVICE pattern, by its parse (rdflib's), not by the word alone
    (which may sit in a string or an IRI). The word is looked for first: parsing is slower."""
    if not _SERVICE.search(text):
        return False
    from rdflib.plugins.sparql.parser import parseQuery
    from rdflib.plugins.sparql.parserutils import CompValue

    try:
        parsed = parseQuery(text)
    except Exception:  # noqa: BLE001 (rdflib raises pyparsing's errors; Oxigraph reports the syntax)
        return False

    def walk(node) -> bool:
        if isinstance(node, CompValue):
            if node.name == "ServiceGraphPattern":
                return True
            return any(walk(value) for value in node.values())
        if isinstance(node, list | tuple):
            return any(walk(item) for item in node)
        return False

    return walk(list(parsed))


def _fetching(text: str) -> str | None:
    """Why the query would reach the network (SERVICE), or None. kg.offline's check of the
    parsed query when kg has it (every SPARQL path of kg calls it), else `_uses_service`."""
    try:
        from .offline import FetchRefused, refuse_fetching
    except ImportError:
        return "SERVICE, which would query another endpoint over the network" if _uses_service(text) else None
    try:
        refuse_fetching(text)
    except FetchRefused as exc:
        return str(exc)
    return None


def check_refused(text: str) -> None:
    """ProtocolError 500 for what a read-only endpoint that never fetches refuses to run."""
    if is_update(text):
        raise ProtocolError(500, refusal("a SPARQL update (INSERT, DELETE, LOAD, CLEAR ...)"))
    reason = _fetching(text)
    if reason is not None:
        raise ProtocolError(500, refusal(reason))


def _accepted(accept: str) -> list[tuple[str, float]]:
    """The media types of an Accept header, best first (by q, then as listed)."""
    ranked = []
    for position, part in enumerate(accept.split(",")):
        media, *options = [piece.strip() for piece in part.split(";")]
        q = 1.0
        for option in options:
            name, _, value = option.partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if media and q > 0:
            ranked.append((media.lower(), q, position))
    ranked.sort(key=lambda item: (-item[1], item[2]))
    return [(media, q) for media, q, _ in ranked]


def negotiate(accept: str | None, offered: list[str], default: str) -> str | None:
    """The format name (a key of MEDIA_TYPES) among `offered` that `accept` likes best; `default`
    for */* or no header; None when the header accepts none of them."""
    if not accept:
        return default
    for media, _ in _accepted(accept):
        if media == "*/*":
            return default
        if media.endswith("/*"):  # text/*, application/*: the default if it is of that family
            family = media[:-1]
            fitting = [name for name in [default, *offered] if MEDIA_TYPES[name][0].startswith(family)]
            if fitting:
                return fitting[0]
            continue
        for name in offered:
            if media in MEDIA_TYPES[name]:
                return name
    return None


def choose_format(kind: str, accept: str | None, override: str | None) -> str:
    offered = [name for name, fmt in RESULT_FORMATS.items() if kind in fmt.kinds and name in MEDIA_TYPES]
    if override:
        wanted = override.strip().lower()
        for name in offered:
            if wanted == name or wanted in MEDIA_TYPES[name]:
                return name
        raise ProtocolError(400, f"format={override} does not fit this result; choose from {', '.join(offered)}")
    chosen = negotiate(accept, offered, DEFAULT_FORMAT[kind])
    if chosen is None:
        types = ", ".join(MEDIA_TYPES[name][0] for name in offered)
        raise ProtocolError(406, f"none of the accepted types fits this result; it comes as {types}")
    return chosen


def cap(answer: Answer, max_rows: int | None) -> tuple[Answer, str | None]:
    """The answer cut to `max_rows` rows (or triples), and a message when it was cut."""
    if not max_rows or answer.kind == "ask":
        return answer, None
    if answer.kind == "select":
        data = json.loads(answer.data)
        rows = data["results"]["bindings"]
        if len(rows) <= max_rows:
            return answer, None
        total = len(rows)
        data["results"]["bindings"] = rows[:max_rows]
        cut = Answer("select", json.dumps(data).encode(), answer.seconds)
    else:
        lines = answer.data.splitlines(keepends=True)
        if len(lines) <= max_rows:
            return answer, None
        total = len(lines)
        cut = Answer("graph", b"".join(lines[:max_rows]), answer.seconds)
    what = "rows" if answer.kind == "select" else "triples"
    return cut, (
        f"the result was cut at {max_rows:,} of {total:,} {what} (kg serve --max-rows); "
        "ask for less with LIMIT and OFFSET"
    )


class QueryRunner:
    """Runs Protocol requests on snapshots, at most `slots` at a time, each stopped at `timeout`."""

    def __init__(self, *, timeout: float | None, max_rows: int | None = DEFAULT_MAX_ROWS, slots: int = 4) -> None:
        self.timeout = timeout or None
        self.max_rows = max_rows
        self._slots = threading.BoundedSemaphore(slots)

    def run(self, folder, request: SparqlRequest, accept: str | None, bindings: dict | None = None) -> SparqlResponse:
        check_refused(request.query)
        # Waiting for a slot counts towards the time limit: a client waits no longer than that.
        if not self._slots.acquire(timeout=self.timeout):
            busy = "every query slot stayed busy past the time limit; try again"
            raise ProtocolError(503, busy, {"Retry-After": "1"})
        try:
            answer = run_in_child(
                folder,
                request.query,
                bindings,
                self.timeout,
                default_graphs=request.default_graphs,
                named_graphs=request.named_graphs,
            )
        except QueryTimeout as exc:
            message = str(exc).replace("--timeout SECONDS", "kg serve --timeout SECONDS")
            raise ProtocolError(503, message) from None
        except QuerySyntaxError as exc:
            if is_update(request.query):
                raise ProtocolError(500, refusal("a SPARQL update")) from None
            raise ProtocolError(400, str(exc)) from None
        except (QueryError, StoreError) as exc:
            raise ProtocolError(500, str(exc)) from None
        finally:
            self._slots.release()
        return respond(answer, accept, request.format, self.max_rows)


def respond(answer: Answer, accept: str | None, override: str | None, max_rows: int | None) -> SparqlResponse:
    name = choose_format(answer.kind, accept, override)
    answer, note = cap(answer, max_rows)
    headers = {"X-KG-Result-Cap": note} if note else {}
    headers["Vary"] = "Accept"
    media = MEDIA_TYPES[name][0]
    if media.startswith("text/") or media.endswith("json") or media.endswith("xml") or name == "ntriples":
        media += "; charset=utf-8"
    return SparqlResponse(format_answer(answer, name), media, headers)
