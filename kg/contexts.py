"""Offline JSON-LD context loading: the vendored schema.org context, user mappings, refusal."""

from __future__ import annotations

import functools
import json
from importlib import resources
from pathlib import Path
from typing import Any

from .config import BuildConfig
from .errors import RemoteContextRefused

SCHEMAORG_CONTEXT_FILE = "schemaorg-context-30.0.jsonld"

# Every spelling under which pages name schema.org's context; compared after
# dropping the scheme, a leading "www." and any trailing slash. schema.org's extension
# hosts (pending, health-lifesci, bib, auto) and its Google mirror serve the same context
# (its terms include the extensions'), and so does the context document's own URL.
_SCHEMAORG_HOSTS = (
    "schema.org",
    "schema.googleapis.com",
    "pending.schema.org",
    "health-lifesci.schema.org",
    "bib.schema.org",
    "auto.schema.org",
)
_SCHEMAORG_ALIASES = frozenset(
    host + path for host in _SCHEMAORG_HOSTS for path in ("", "/docs/jsonldcontext.json", "/docs/jsonldcontext.jsonld")
)


def is_schemaorg_context(url: str) -> bool:
    """True when `url` names schema.org's context (http or https, any common spelling)."""
    bare = url.strip()
    for scheme in ("https://", "http://"):
        if bare.lower().startswith(scheme):
            bare = bare[len(scheme) :]
            break
    else:
        return False
    bare = bare.rstrip("/").lower()
    if bare.startswith("www."):
        bare = bare[4:]
    return bare in _SCHEMAORG_ALIASES


@functools.cache
def schemaorg_context() -> dict[str, Any]:
    """The vendored schema.org context document, parsed once per process."""
    text = resources.files("kg.data").joinpath(SCHEMAORG_CONTEXT_FILE).read_text("utf-8")
    return json.loads(text)


@functools.cache
def schemaorg_iri_terms() -> frozenset[str]:
    """The schema.org terms whose values the context reads as IRIs (url, sameAs, image...)."""
    context = schemaorg_context()["@context"]
    return frozenset(term for term, value in context.items() if isinstance(value, dict) and value.get("@type") == "@id")


def _remote_document(url: str, document: Any, *, static: bool) -> dict[str, Any]:
    response = {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": document,
    }
    if static:
        # pyld keeps a processed context in its shared cache only when the
        # loader tags the response; the vendored context never changes, so
        # tagging it turns ~35 ms of context processing per page into a lookup.
        response["tag"] = "static"
    return response


class ContextLoader:
    """A pyld document loader that never opens a socket unless told to.

    Order: vendored schema.org, then the user's URL→file mappings, then (only
    with `allow_remote`) a bounded HTTP fetch; anything else is refused.
    """

    def __init__(self, config: BuildConfig | None = None) -> None:
        config = config or BuildConfig()
        self.context_files = {url: Path(path) for url, path in config.context_files.items()}
        self.allow_remote = config.allow_remote_contexts
        self.timeout = config.remote_timeout
        self.max_bytes = config.remote_max_bytes
        self.allowed_hosts = frozenset(host.lower() for host in config.context_hosts)
        self._fetched: dict[str, Any] = {}
        # A context that could not be fetched is not asked for again in this process: a
        # thousand pages naming a dead or slow host cost one deadline, not a thousand.
        self._failed: dict[str, str] = {}

    def __call__(self, url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        if is_schemaorg_context(url):
            return _remote_document(url, schemaorg_context(), static=True)
        local = self._mapped_file(url)
        if local is not None:
            return _remote_document(url, self._read_local(url, local), static=False)
        if self.allow_remote and url.lower().startswith(("http://", "https://")):
            if url in self._failed:
                raise RemoteContextRefused(self._failed[url])
            if url not in self._fetched:
                try:
                    self._fetched[url] = self._fetch(url)
                except RemoteContextRefused as exc:
                    self._failed[url] = f"{exc} (failed before in this build; not asked again)"
                    raise
            return _remote_document(url, self._fetched[url], static=False)
        if not url.lower().startswith(("http://", "https://")):
            raise RemoteContextRefused(f"context {url} is not mapped to a file; map it with --context {url}=FILE")
        raise RemoteContextRefused(
            f"remote context {url} refused: kg builds offline; map it to a local file "
            f"with --context {url}=FILE or allow fetching with --allow-remote-contexts"
        )

    def _mapped_file(self, url: str) -> Path | None:
        if url in self.context_files:
            return self.context_files[url]
        for prefix, folder in self.context_files.items():
            if prefix.endswith("/") and url.startswith(prefix):
                return folder / url[len(prefix) :]
        return None

    @staticmethod
    def _read_local(url: str, path: Path) -> Any:
        try:
            return json.loads(path.read_text("utf-8"))
        except OSError as exc:
            raise RemoteContextRefused(
                f"context {url} is mapped to {path}, which cannot be read: {exc.strerror}"
            ) from None
        except ValueError as exc:
            raise RemoteContextRefused(f"context {url} is mapped to {path}, which is not JSON: {exc}") from None

    def _fetch(self, url: str) -> Any:
        """GET one context: from public addresses of the host the page named (see kg.remote),
        within one deadline and the size limit."""
        from .remote import fetch

        body = fetch(url, seconds=self.timeout, max_bytes=self.max_bytes, allowed_hosts=self.allowed_hosts)
        try:
            return json.loads(body)
        except ValueError as exc:
            raise RemoteContextRefused(f"remote context {url} is not JSON: {exc}") from None
