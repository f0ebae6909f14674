"""The HTML `kg serve` shows: the concept browser's pages and the SPARQL page with YASGUI.

Every piece of page text goes through html.escape; a link is made only to this server's
own paths or to an http(s) URL, so a `javascript:` URL or an IRI with quotes stays text.
Scripts and styles are inline and allowed by hash in a Content-Security-Policy that
permits nothing else but requests to this server (as `kg view`'s page does).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from functools import cache
from importlib import resources
from urllib.parse import quote, urlencode

from .browse import ConceptView, Link
from .library import LibraryQuery
from .network.table import web_url
from .search import Hit

_FILES = resources.files("kg.data") / "serve"
PAGE_SIZE = 100
MAX_TEXT = 20_000  # characters of one text shown; the rest is cut, with a note


def _read(name: str) -> str:
    return (_FILES / name).read_text(encoding="utf-8")


def csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def policy(scripts: list[str], styles: list[str]) -> str:
    """A Content-Security-Policy allowing the given inline scripts and styles, and requests to this server only."""
    script = " ".join(csp_hash(s) for s in scripts) or "'none'"
    style = " ".join(csp_hash(s) for s in styles) or "'none'"
    return (
        f"default-src 'none'; script-src {script}; style-src {style}; img-src data:; connect-src 'self'; "
        "frame-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'"
    )


def e(text: object) -> str:
    return html.escape(str(text), quote=True)


def concept_href(iri: str) -> str:
    return "/concept?" + urlencode({"iri": iri})


def web_link(url: str, text: str | None = None) -> str:
    """An outside link when `url` is http(s), else the URL as text."""
    shown = e(text if text is not None else url)
    if web_url(url):
        return f'<a href="{e(url)}" rel="noopener noreferrer nofollow" target="_blank">{shown}</a>'
    return f'<span class="text">{shown}</span>'


def _shorten(text: str) -> str:
    if len(text) <= MAX_TEXT:
        return e(text)
    return e(text[:MAX_TEXT]) + f'<span class="muted"> … ({len(text) - MAX_TEXT:,} more characters)</span>'


@cache
def _browse_assets() -> tuple[str, str]:
    return _read("browse.js"), _read("browse.css")


def layout(title: str, body: str, *, search: str = "") -> tuple[str, str]:
    """A page of the browser, and its Content-Security-Policy."""
    script, style = _browse_assets()
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="kg serve">
<title>{e(title)}</title>
<style>{style}</style>
</head><body>
<header><a href="/"><strong>kg</strong></a>
<form action="/search" method="get" role="search" autocomplete="off">
<input id="kg-q" name="q" type="search" value="{e(search)}" placeholder="Search concepts…" aria-label="Search concepts">
<ul id="kg-suggestions"></ul></form>
<nav><a href="/">Concepts</a><a href="/queries">Queries</a><a href="/sparql">SPARQL</a></nav></header>
<main>{body}</main>
<script>{script}</script>
</body></html>"""
    return page, policy([script], [style])


def _kind(kind: str) -> str:
    safe = "".join(c for c in kind if c.isalpha() and c.isascii()).lower()
    return f'<span class="kind kind-{safe}">{e(kind)}</span>'


def _link(link: Link | Hit) -> str:
    return f'<a href="{e(concept_href(link.iri))}">{e(link.label)}</a>{_kind(link.kind)}'


def home(title: str, kinds: dict[str, int] | None, loading: bool) -> tuple[str, str]:
    if kinds is None:
        listing = '<p class="muted">The concept index is loading; search and the lists work in a moment.</p>'
    elif not kinds:
        listing = "<p>This build has no concept layer (run <code>kg link</code>).</p>"
    else:
        items = "".join(
            f'<li><a href="/index/{e(quote(kind, safe=""))}">{e(kind)}</a> <span class="muted">{count:,}</span></li>'
            for kind, count in kinds.items()
        )
        listing = f"<h2>Concepts by kind</h2><ul>{items}</ul>"
    body = (
        f"<h1>{e(title)}</h1><p>Search as you type above, or browse the concepts by kind. "
        'The graph answers SPARQL at <a href="/sparql">/sparql</a>; the query library is at '
        f'<a href="/queries">/queries</a>.</p>{listing}'
    )
    return layout(title, body)


def index_page(kind: str, hits: list[Hit], start: int, total: int) -> tuple[str, str]:
    items = "".join(f"<li>{_link(hit)}</li>" for hit in hits) or "<li class='muted'>none</li>"
    pager = []
    base = f"/index/{quote(kind, safe='')}"
    if start > 0:
        pager.append(f'<a href="{e(base)}?start={max(0, start - PAGE_SIZE)}" rel="prev">← previous</a>')
    if start + PAGE_SIZE < total:
        pager.append(f'<a href="{e(base)}?start={start + PAGE_SIZE}" rel="next">next →</a>')
    shown = f"{start + 1:,}–{start + len(hits):,} of {total:,}" if hits else f"0 of {total:,}"
    body = (
        f"<h1>{e(kind)} <span class='muted'>({shown}, by label)</span></h1>"
        f'<ul class="links">{items}</ul><p class="pager">{"".join(pager)}</p>'
    )
    return layout(f"{kind}: concepts", body)


def search_page(text: str, hits: list[Hit] | None) -> tuple[str, str]:
    if hits is None:
        body = '<p class="muted">The concept index is loading; try again in a moment.</p>'
    else:
        items = "".join(f"<li>{_link(hit)}</li>" for hit in hits)
        body = f"<h1>Search: {e(text)}</h1>" + (f'<ul class="links">{items}</ul>' if items else "<p>No concept.</p>")
    return layout(f"Search: {text}", body, search=text)


_SECTIONS = ("broader", "narrower", "related", "facet of")


def _more(count: int | None) -> str:
    if not count:
        return ""
    return '<p class="muted">and more</p>' if count < 0 else f'<p class="muted">and {count:,} more</p>'


def concept_page(view: ConceptView) -> tuple[str, str]:
    parts = [f"<h1>{e(view.label)}{_kind(view.kind)}</h1>", f'<p class="iri">{e(view.iri)}</p>']
    if view.web_url:
        parts.append(f"<p>Open: {web_link(view.web_url)}</p>")
    for name in ("definitions", "question", "answer"):
        for text in view.texts.get(name, []):
            parts.append(f'<h2>{e(name.rstrip("s").capitalize())}</h2><div class="definition">{_shorten(text)}</div>')
    if view.texts.get("alternative labels"):
        parts.append("<h2>Also called</h2><p>" + ", ".join(e(t) for t in view.texts["alternative labels"]) + "</p>")
    for relation in _SECTIONS:
        links = view.links.get(relation)
        if links:
            tail = _more(view.more.get(relation))
            items = "".join(f"<li>{_link(link)}</li>" for link in links)
            parts.append(f'<h2>{e(relation.capitalize())}</h2><ul class="links">{items}</ul>{tail}')
    if view.facets:
        entries = "".join(
            f"<dt>{_link(facet)}</dt><dd>{e(question)}" + (f"\n{_shorten(answer)}" if answer else "") + "</dd>"
            for facet, question, answer in view.facets
        )
        parts.append(f'<h2>Facets</h2><dl class="facet">{entries}</dl>')
    if view.schemes:
        parts.append("<h2>Scheme</h2><ul>" + "".join(f"<li>{web_link(s)}</li>" for s in view.schemes) + "</ul>")
    if view.sources:
        items = "".join(f"<li>{web_link(source)}</li>" for source in view.sources)
        parts.append(f'<h2>Stated by</h2><ul class="links">{items}</ul>{_more(view.more.get("sources"))}')
    parts.append(
        f'<h2>Neighbourhood</h2><iframe title="The neighbourhood of {e(view.label)}" '
        f'src="{e("/graph?" + urlencode({"iri": view.iri}))}"></iframe>'
    )
    if view.other:
        rows = "".join(
            f'<tr><th class="iri">{e(p)}</th><td class="text">{_shorten(v)}</td></tr>' for p, v in view.other
        )
        parts.append(f"<h2>Other statements</h2><table>{rows}</table>")
    alternates = "".join(
        f'<a href="{e(concept_href(view.iri))}&amp;format={name}">{label}</a> '
        for name, label in (("turtle", "Turtle"), ("jsonld", "JSON-LD"), ("ntriples", "N-Triples"))
    )
    parts.append(f'<p class="muted">As RDF: {alternates}</p>')
    return layout(view.label, "".join(parts))


def not_found(what: str) -> tuple[str, str]:
    return layout("Not found", f"<h1>Not found</h1><p>{e(what)}</p>")


def queries_page(queries: dict[str, LibraryQuery]) -> tuple[str, str]:
    rows = []
    for query in queries.values():
        params = ", ".join(e(p.name) for p in query.parameters)
        example = urlencode(dict(query.examples)) if query.examples else ""
        href = f"/queries/{quote(query.name)}" + (f"?{example}" if example else "")
        rows.append(
            f'<tr><td><a href="{e(href)}">{e(query.name)}</a></td><td>{e(query.title)}'
            f'<br><span class="muted">{e(query.description)}</span></td><td>{params}</td></tr>'
        )
    body = (
        "<h1>The query library</h1><p>Run one at <code>/queries/NAME?param=value</code>, answered like "
        "<code>/sparql</code> (content negotiation, or <code>&amp;format=csv</code>); values are read as "
        "<code>kg query --bind</code> reads them.</p>"
        f"<table><tr><th>Name</th><th>What it answers</th><th>Parameters</th></tr>{''.join(rows)}</table>"
    )
    return layout("Query library", body)


def _script_json(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for raw in ("<", ">", "&", "\u2028", "\u2029"):
        text = text.replace(raw, f"\\u{ord(raw):04x}")
    return text


@cache
def _yasgui_assets() -> tuple[str, str, str]:
    script, style = _read("yasgui.min.js"), _read("yasgui.min.css")
    for text, tag in ((script, "</script"), (style, "</style")):
        if tag in text.lower():
            raise RuntimeError(f"the vendored YASGUI file contains {tag!r} and cannot be inlined")
    return script, style, _read("sparql.js")


def sparql_page(queries: dict[str, LibraryQuery]) -> tuple[str, str]:
    """YASGUI on /sparql, inlined, with the library's queries as examples."""
    yasgui, yasgui_style, starter = _yasgui_assets()
    _, browse_style = _browse_assets()
    start = next(iter(queries.values())).text if queries else "SELECT * WHERE { ?s ?p ?o } LIMIT 10"
    data = {"start": start, "queries": [{"name": q.name, "title": q.title, "text": q.text} for q in queries.values()]}
    extra = "#yasgui { margin-top: 1em; } #kg-examples { columns: 3 14em; padding-left: 1.2em; }"
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="kg serve">
<title>SPARQL</title>
<style>{yasgui_style}</style>
<style>{browse_style}</style>
<style>{extra}</style>
</head><body>
<header><a href="/"><strong>kg</strong></a><nav><a href="/">Concepts</a><a href="/queries">Queries</a>
<a href="/sparql">SPARQL</a></nav></header>
<main><h1>SPARQL</h1>
<p>Every graph is the default graph and kg's prefixes are declared. Examples from the query library:</p>
<ul id="kg-examples"></ul>
<div id="yasgui"></div></main>
<script id="kg-data" type="application/json">{_script_json(data)}</script>
<script>{yasgui}</script>
<script>{starter}</script>
</body></html>"""
    # YASGUI's editor and tables set style attributes from script: styles need 'unsafe-inline' here.
    csp = (
        f"default-src 'none'; script-src {csp_hash(yasgui)} {csp_hash(starter)}; "
        "style-src 'unsafe-inline'; img-src data:; font-src data:; connect-src 'self'; frame-ancestors 'self'; "
        "base-uri 'none'; form-action 'self'"
    )
    return page, csp
