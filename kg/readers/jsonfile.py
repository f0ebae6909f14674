"""JSON-LD files (.jsonld, .json): one object, an array of objects, or an @graph document."""

from __future__ import annotations

from collections.abc import Iterator

from ..config import BuildConfig
from ..errors import PageError
from . import Block, Page, SourceFile, digest, fallback_url, looks_binary
from .dump import decode_text


def read(data: bytes, source: SourceFile, config: BuildConfig) -> Iterator[Page]:
    if looks_binary(data):
        raise PageError("binary file, not JSON-LD")
    text = decode_text(data, source.name)
    if not text.strip():
        raise PageError("empty file: no JSON-LD in it")
    warnings: list[str] = []
    # The file is the page: its URL comes from --base-url or the file itself. A
    # WebPage node inside, once expanded, still reconciles to its own url.
    url = fallback_url(source, config, warnings, "a JSON-LD file names no page URL")
    yield Page(source, "jsonld", url, [Block(text, "document")], digest(data), len(data), warnings=warnings)
