"""HTML pages: every <script type="application/ld+json">, the canonical URL, the right encoding."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser
from w3lib.encoding import html_to_unicode

from ..config import BuildConfig
from ..errors import PageError
from . import Block, Page, SourceFile, digest, fallback_url, looks_binary

JSONLD_TYPE = "application/ld+json"


def decode_html(data: bytes, content_type: str | None = None) -> str:
    """Decode by BOM, then HTTP header, then <meta charset>, then sniffing (w3lib, as Scrapy does)."""
    _, text = html_to_unicode(content_type, data)
    return text


def extract(text: str, *, declared_url: str | None = None) -> tuple[str | None, list[Block]]:
    """The page URL an HTML document claims (canonical, then og:url) and its JSON-LD blocks."""
    tree = LexborHTMLParser(text)
    blocks: list[Block] = []
    for node in tree.css("script"):
        script_type = (node.attributes.get("type") or "").split(";")[0].strip().lower()
        if script_type == JSONLD_TYPE:
            blocks.append(Block(node.text(deep=True), f"script {len(blocks) + 1}"))
    url = None
    for link in tree.css("link[rel]"):
        if "canonical" in (link.attributes.get("rel") or "").lower().split() and link.attributes.get("href"):
            url = link.attributes["href"].strip()
            break
    if url is None:
        for meta in tree.css("meta[property]"):
            if (meta.attributes.get("property") or "").lower() == "og:url" and meta.attributes.get("content"):
                url = meta.attributes["content"].strip()
                break
    if url is not None and declared_url:
        url = urljoin(declared_url, url)  # a relative canonical resolves against where the page was
    return url, blocks


def read(data: bytes, source: SourceFile, config: BuildConfig) -> Iterator[Page]:
    if looks_binary(data):
        raise PageError("binary file, not HTML")
    text = decode_html(data)
    warnings: list[str] = []
    url, blocks = extract(text, declared_url=config.base_url and urljoin(config.base_url, source.name))
    if url is None or "://" not in url:
        url = fallback_url(source, config, warnings, "no canonical link or og:url")
    yield Page(source, "html", url, blocks, digest(data), len(data), warnings=warnings)
