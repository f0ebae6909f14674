"""HTML pages: every <script type="application/ld+json">, the canonical URL, the right encoding."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote, urljoin

from selectolax.lexbor import LexborHTMLParser
from w3lib.encoding import html_to_unicode, read_bom

from ..config import BuildConfig
from ..errors import PageError
from . import Block, Page, SourceFile, digest, fallback_url, looks_binary, non_empty

JSONLD_TYPE = "application/ld+json"
# What browsers assume for an undeclared page that is not UTF-8 (the WHATWG legacy default).
LEGACY_ENCODING = "cp1252"
_ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def decode_html(data: bytes, content_type: str | None = None, warnings: list[str] | None = None) -> str:
    """Decode by BOM, then HTTP header, then <meta charset>, then sniffing: UTF-8 if the bytes
    are UTF-8, else windows-1252 (w3lib's order, as Scrapy does)."""
    warnings = warnings if warnings is not None else []
    sniffed: list[str] = []

    def sniff(body: bytes) -> str:
        try:
            body.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError:
            encoding = LEGACY_ENCODING
        sniffed.append(encoding)
        return encoding

    encoding, text = html_to_unicode(content_type, data, auto_detect_fun=sniff)
    if sniffed == [LEGACY_ENCODING]:
        warnings.append("no declared encoding and not UTF-8; read as windows-1252")
    elif not sniffed and "\ufffd" in text and read_bom(data)[0] is None:
        try:
            data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            warnings.append(f"bytes that are not {encoding}, its declared encoding, were replaced by U+FFFD")
    return text


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
    tree = LexborHTMLParser(text)
    blocks: list[Block] = []
    for node in tree.css("script"):
        script_type = (node.attributes.get("type") or "").split(";")[0].strip().lower()
        if script_type == JSONLD_TYPE:
            blocks.append(Block(node.text(deep=True), f"script {len(blocks) + 1}"))

    base = declared_url or ""
    for node in tree.css("base[href]"):
        base = urljoin(base, (node.attributes.get("href") or "").strip())
        break
    claims: list[tuple[str, str]] = []
    for link in tree.css("link[rel]"):
        if "canonical" in (link.attributes.get("rel") or "").lower().split() and link.attributes.get("href"):
            claims.append(("canonical link", link.attributes["href"].strip()))
            break
    for meta in tree.css("meta[property]"):
        if (meta.attributes.get("property") or "").lower() == "og:url" and meta.attributes.get("content"):
            claims.append(("og:url", meta.attributes["content"].strip()))
            break
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
