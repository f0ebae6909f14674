"""The one page builder of the tests: crawler dumps and HTML pages from JSON-LD blocks.

A block is a dict (written as compact JSON, non-ASCII escaped, so the page reads the same
in any encoding) or a string written as given (broken JSON, comments, raw characters).
"""

from __future__ import annotations

import json

SCHEMA_CONTEXT = "https://schema.org"


def block_text(block: str | dict | list) -> str:
    return block if isinstance(block, str) else json.dumps(block)


def thing(type_: str = "WebPage", **values) -> dict:
    """A schema.org node in a block of its own: {"@context": schema.org, "@type": type_, ...}."""
    return {"@context": SCHEMA_CONTEXT, "@type": type_, **values}


def dump(url: str | None, *blocks: str | dict, title: str = "A page", url_line: str | None = None) -> str:
    """A crawler dump: a heading, a line of prose, fenced ```json blocks, the Original URL line.

    The first fence opens on line 5 (error messages name it). `url_line` replaces the whole
    last line (other spellings of it); without a URL and `url_line` the page has none.
    """
    fences = "".join(f"```json\n{block_text(block)}\n```\n\n" for block in blocks)
    if url_line is None and url:
        url_line = f"**Original URL:** {url}"
    footer = f"---\n\n{url_line}\n" if url_line else ""
    return f"# {title}\n\nSome prose.\n\n{fences}{footer}"


def html(
    url: str | None = None,
    *blocks: str | dict,
    head: str = "",
    body: str = "",
    charset: str | None = None,
    title: str | None = None,
) -> str:
    """An HTML page: `<link rel=canonical>` to `url` when given, then `head`, then one
    `<script type="application/ld+json">` per block."""
    parts = ["<!DOCTYPE html>\n<html><head>"]
    if charset:
        parts.append(f'<meta charset="{charset}">')
    if title is not None:
        parts.append(f"<title>{title}</title>")
    if url:
        parts.append(f'<link rel="canonical" href="{url}">')
    parts.append(f"\n{head}")
    parts += (f'<script type="application/ld+json">{block_text(block)}</script>\n' for block in blocks)
    parts.append(f"</head><body>{body}</body></html>\n")
    return "".join(parts)
