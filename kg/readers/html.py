"""HTML pages: every <script type="application/ld+json">, the canonical URL, the right encoding.

The page is tokenized, not built into a tree: lxml's HTML parser (libxml2 2.14 and later
tokenizes as HTML5 does) calls back for each tag, and only the scripts, the canonical link,
og:url and <base href> are kept. A tree costs about forty times the page (a 45 MB page of
millions of tiny elements took 1.9 GB in selectolax/lexbor); the callbacks hold only what kg reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote, urljoin

from lxml import etree

from ..config import BuildConfig
from ..errors import PageError
from . import Block, Page, SourceFile, digest, fallback_url, looks_binary, non_empty
from .encoding import LEGACY_ENCODING, decode_html

__all__ = ["LEGACY_ENCODING", "decode_html", "extract", "read"]

JSONLD_TYPE = "application/ld+json"
_ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_FEED_CHARS = 1 << 20  # the parser is fed the text in pieces: it never holds a second copy of it


class _Collector:
    """The parser's target: keeps the JSON-LD scripts' text and the first canonical link, og:url
    and <base href>; every other tag passes through without being kept."""

    def __init__(self) -> None:
        self.scripts: list[str] = []
        self.base: str | None = None
        self.canonical: str | None = None
        self.og_url: str | None = None
        self._text: list[str] | None = None  # the text of the JSON-LD script being read

    def start(self, tag: str, attrib: dict) -> None:
        if tag == "script":
            kind = (attrib.get("type") or "").split(";")[0].strip().lower()
            self._text = [] if kind == JSONLD_TYPE else None
        elif tag == "link" and self.canonical is None:
            if "canonical" in (attrib.get("rel") or "").lower().split() and attrib.get("href"):
                self.canonical = attrib["href"].strip()
        elif tag == "meta" and self.og_url is None:
            if (attrib.get("property") or "").lower() == "og:url" and attrib.get("content"):
                self.og_url = attrib["content"].strip()
        elif tag == "base" and self.base is None and attrib.get("href") is not None:
            self.base = attrib["href"].strip()

    def data(self, text: str) -> None:
        if self._text is not None:
            self._text.append(text)

    def end(self, tag: str) -> None:
        if tag == "script" and self._text is not None:
            self.scripts.append("".join(self._text))
            self._text = None

    def close(self) -> _Collector:
        if self._text is not None:  # a script the page never closed runs to its end
            self.end("script")
        return self


def _collect(text: str) -> _Collector:
    # huge_tree: a script of one 17 MB JSON string is a page to read, not an attack on libxml2.
    parser = etree.HTMLParser(target=_Collector(), huge_tree=True, no_network=True)
    for start in range(0, len(text), _FEED_CHARS):
        parser.feed(text[start : start + _FEED_CHARS])
    try:
        return parser.close()
    except etree.XMLSyntaxError:  # nothing at all to parse (an empty page)
        return _Collector()


def _is_absolute(url: str) -> bool:
    return bool(_ABSOLUTE.match(url))


def extract(
    text: str, *, declared_url: str | None = None, warnings: list[str] | None = None
) -> tuple[str | None, list[Block]]:
    """The page URL an HTML document claims (canonical, then og:url) and its JSON-LD blocks.

    Relative URLs resolve against <base href>, then `declared_url`; one that stays
    relative is passed over with a warning.
    """
    warnings = warnings if warnings is not None else []
    found = _collect(text)
    blocks = [Block(script, f"script {number}") for number, script in enumerate(found.scripts, 1)]
    base = declared_url or ""
    if found.base is not None:
        base = urljoin(base, found.base)
    claims = [(what, url) for what, url in (("canonical link", found.canonical), ("og:url", found.og_url)) if url]
    for what, claimed in claims:
        url = urljoin(base, claimed) if base else claimed
        if _is_absolute(url):
            return url, blocks
        warnings.append(f"{what} {claimed!r} is relative and no --base-url places it; ignored")
    return None, blocks


def read(data: bytes, source: SourceFile, config: BuildConfig) -> Iterator[Page]:
    if looks_binary(data):
        raise PageError("binary file, not HTML")
    warnings: list[str] = []
    text = decode_html(data, warnings=warnings)
    declared = urljoin(config.base_url, quote(source.name)) if config.base_url else None
    notes: list[str] = []
    url, blocks = extract(text, declared_url=declared, warnings=notes)
    warnings += notes
    if url is None:
        why = "no absolute canonical link or og:url" if notes else "no canonical link or og:url"
        url = fallback_url(source, config, warnings, why)
    yield Page(source, "html", url, non_empty(blocks, warnings), digest(data), len(data), warnings=warnings)
