"""A SPARQL server over HTTP: credentials, retries with back-off, and queries (`kg query --endpoint`).

Credentials come from KG_SPARQL_USER and KG_SPARQL_PASSWORD, or else from the netrc file
(NETRC, or ~/.netrc) entry of the server's host; never from the command line, and no
message kg prints contains them. The server's challenge picks Basic or Digest.
"""

from __future__ import annotations

import http.client
import json
import netrc
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from .errors import KgError, QueryError, QuerySyntaxError, QueryTimeout
from .results import QUERY_PREFIXES, Answer

USER_VARIABLE = "KG_SPARQL_USER"
PASSWORD_VARIABLE = "KG_SPARQL_PASSWORD"
# Longest wait between two tries, whatever the back-off has doubled to.
MAX_BACKOFF_SECONDS = 30.0
# Answers worth trying again: the server is overloaded, restarting, or failed for a moment.
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_SHOWN_BODY_CHARS = 300

RESULTS_JSON = "application/sparql-results+json"


class EndpointError(KgError):
    """A SPARQL server cannot be reached, refuses a request, or keeps failing."""


@dataclass(frozen=True)
class RetryPolicy:
    """How long one request may take, and how often and how patiently a failed one is tried again."""

    timeout: float = 60.0  # seconds without an answer before a try counts as failed
    retries: int = 4  # tries after the first
    backoff: float = 1.0  # seconds before the first retry; doubled before each next one


def check_url(url: str) -> str:
    """The URL if kg can use it: http(s), a host, and no user:password in it."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EndpointError(f"{url!r} is not an http:// or https:// URL of a SPARQL server")
    if parts.username is not None or parts.password is not None:
        raise EndpointError(
            "credentials in a URL are not accepted (they would show in process lists and logs); "
            f"set {USER_VARIABLE} and {PASSWORD_VARIABLE}, or put the host in a netrc file"
        )
    return url


def credentials(url: str) -> tuple[str, str] | None:
    """(user, password) for the server of `url`: from the environment, else from netrc, else None."""
    user, password = os.environ.get(USER_VARIABLE), os.environ.get(PASSWORD_VARIABLE)
    if user is not None:
        return user, password or ""
    path = Path(os.environ.get("NETRC") or Path.home() / ".netrc")
    if not path.is_file():
        return None
    try:
        entry = netrc.netrc(str(path)).authenticators(urllib.parse.urlsplit(url).hostname or "")
    except (netrc.NetrcParseError, OSError) as exc:
        # The parser's message can quote the file's lines; say where, not what.
        line = getattr(exc, "lineno", None)
        raise EndpointError(f"cannot read the netrc file {path}" + (f" (line {line})" if line else "")) from None
    if entry is None:
        return None
    login, _, password = entry
    return login or "", password or ""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect could send the body and credentials elsewhere: report it instead."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def _opener(url: str) -> urllib.request.OpenerDirector:
    handlers: list = [_NoRedirect()]
    found = credentials(url)
    if found is not None:
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        passwords.add_password(None, url, *found)
        handlers += [urllib.request.HTTPBasicAuthHandler(passwords), urllib.request.HTTPDigestAuthHandler(passwords)]
    return urllib.request.build_opener(*handlers)


@dataclass
class Response:
    status: int
    content_type: str
    body: bytes


class Client:
    """Requests to one server, each tried again on failure as its RetryPolicy says."""

    def __init__(self, url: str, policy: RetryPolicy | None = None, *, sleep=time.sleep) -> None:
        self.url = check_url(url)
        self.policy = policy or RetryPolicy()
        self.opener = _opener(url)
        self.sleep = sleep

    def send(
        self,
        method: str,
        url: str,
        what: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        retry_statuses: frozenset[int] = RETRY_STATUSES,
        retry_timeouts: bool = True,
    ) -> Response:
        """One request, tried up to 1 + retries times; EndpointError naming `what` when none succeeds."""
        tries = self.policy.retries + 1
        for attempt in range(1, tries + 1):
            request = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
            try:
                with self.opener.open(request, timeout=self.policy.timeout or None) as answer:
                    return Response(answer.status, answer.headers.get_content_type(), answer.read())
            except urllib.error.HTTPError as exc:
                detail = _http_detail(exc)
                if exc.code not in retry_statuses:
                    raise EndpointError(f"{what}: {detail}") from None
            except TimeoutError:
                detail = f"no answer within {self.policy.timeout:g} s"
                if not retry_timeouts:
                    raise
            except (urllib.error.URLError, http.client.HTTPException, ConnectionError) as exc:
                reason = getattr(exc, "reason", exc)
                if isinstance(reason, TimeoutError):
                    detail = f"no answer within {self.policy.timeout:g} s"
                    if not retry_timeouts:
                        raise TimeoutError(detail) from None
                else:
                    detail = f"cannot reach {_origin(url)}: {reason}"
            if attempt < tries:
                self.sleep(min(self.policy.backoff * 2 ** (attempt - 1), MAX_BACKOFF_SECONDS))
        raise EndpointError(f"{what}: {detail} (tried {tries} time{'s' if tries > 1 else ''})")


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _http_detail(exc: urllib.error.HTTPError) -> str:
    if exc.code == 401:
        return (
            "the server asks for credentials, or refused the ones given "
            f"(set {USER_VARIABLE} and {PASSWORD_VARIABLE}, or use a netrc file)"
        )
    if 300 <= exc.code < 400:
        return f"the server redirects to {exc.headers.get('Location')!r}; give that URL instead"
    try:
        text = exc.read().decode("utf-8", errors="replace")
    except (OSError, http.client.HTTPException):
        text = ""
    text = " ".join(text.split())
    if len(text) > _SHOWN_BODY_CHARS:
        text = text[:_SHOWN_BODY_CHARS] + "…"
    return f"the server answered {exc.code} {exc.reason}" + (f": {text}" if text else "")


# ---------------------------------------------------------------------------- queries


def with_prefixes(text: str) -> str:
    """The query with kg's prefixes declared, except those it declares itself: a server,
    unlike kg's own store, knows none of them."""
    declared = {name.lower() for name in _declared_prefixes(text)}
    missing = [f"PREFIX {name}: <{iri}>" for name, iri in QUERY_PREFIXES.items() if name.lower() not in declared]
    return "\n".join([*missing, text]) if missing else text


def _declared_prefixes(text: str) -> list[str]:
    import re

    return re.findall(r"(?im)^\s*PREFIX\s+([A-Za-z][\w.-]*)?\s*:", text)


def query_kind(text: str) -> str:
    """ "select", "ask" or "graph", found by running the query on an empty store here (which
    also gives a syntax error the same message as a local query)."""
    from .sparql import syntax_error

    try:
        result = ox.Store().query(text, prefixes=QUERY_PREFIXES)
    except SyntaxError as exc:
        raise QuerySyntaxError(syntax_error(exc, text)) from None
    except (OSError, ValueError, TypeError, RuntimeError) as exc:
        raise QueryError(f"the query failed: {exc}") from None
    if isinstance(result, ox.QueryTriples):
        return "graph"
    return "ask" if isinstance(result, ox.QueryBoolean) else "select"


def _plain_literals(results: dict) -> dict:
    """SPARQL 1.0 servers (Virtuoso) say "typed-literal", which the 1.1 JSON format folded into "literal"."""
    for row in results.get("results", {}).get("bindings", []):
        for value in row.values():
            if value.get("type") == "typed-literal":
                value["type"] = "literal"
    return results


def run_on_endpoint(url: str, text: str, bindings: dict | None = None, timeout: float | None = 60.0) -> Answer:
    """Run a query on the SPARQL server at `url` (its query endpoint); the Answer is the one a
    local query gives. The server should take the union of its graphs as the default graph
    (Oxigraph: `oxigraph serve --union-default-graph`; Virtuoso does by default)."""
    from .sparql import bind_with_values

    text, left = bind_with_values(text, bindings)
    if left:
        raise QueryError("--bind with --endpoint needs a query with a WHERE clause to put the values in")
    kind = query_kind(text)
    accept = RESULTS_JSON if kind != "graph" else "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5"
    client = Client(url, RetryPolicy(timeout=timeout or 0, retries=2, backoff=0.5))
    started = time.perf_counter()
    form = urllib.parse.urlencode({"query": with_prefixes(text)}).encode()
    try:
        # Only failures to connect, and a busy gateway, are tried again: a query the server
        # rejects is rejected again, and one past the time limit would run past it again.
        answer = client.send(
            "POST",
            url,
            f"query on {_origin(url)}",
            body=form,
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": accept},
            retry_statuses=frozenset({502, 503, 504}),
            retry_timeouts=False,
        )
    except TimeoutError:
        raise QueryTimeout(
            f"the server gave no answer within the time limit of {timeout:g}s "
            "(allow more with --timeout SECONDS, or --timeout 0 for no limit)"
        ) from None
    seconds = time.perf_counter() - started
    if kind == "graph":
        rdf_format = ox.RdfFormat.from_media_type(answer.content_type)
        if rdf_format is None:
            raise EndpointError(f"the server answered a CONSTRUCT with {answer.content_type}, not RDF")
        try:
            data = ox.serialize(ox.parse(answer.body, rdf_format), format=ox.RdfFormat.N_TRIPLES) or b""
        except SyntaxError as exc:
            raise EndpointError(f"the server's {answer.content_type} answer does not parse: {exc}") from None
        return Answer("graph", data, seconds)
    try:
        results = _plain_literals(json.loads(answer.body))
    except ValueError:
        raise EndpointError(f"the server's answer is not SPARQL JSON results ({answer.content_type})") from None
    return Answer(kind, json.dumps(results).encode(), seconds)


class EndpointStore:
    """A server standing in for a store where kg only runs SELECT queries on it (`kg stats`)."""

    def __init__(self, url: str, timeout: float | None = 600.0) -> None:
        self.url = check_url(url)
        self.timeout = timeout

    def query(self, text: str) -> ox.QuerySolutions:
        answer = run_on_endpoint(self.url, text, timeout=self.timeout)
        return answer.solutions()
