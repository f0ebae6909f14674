"""A crawl as a user brings it: an archive of hundreds of records and a folder of mixed files.

Written here with warcio (independent of the reader's FastWARC); used by the tests and by
benchmarks/reader_probes.py. Every page is made up: a bakery's recipes and notes.
"""

from __future__ import annotations

import gzip
import io
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pages import html, thing
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

SITE = "https://bakery.example"


def page_html(name: str | None, *, title: str = "A page", head: str = "") -> bytes:
    """An HTML page; with a Recipe in JSON-LD when `name` is given, else none at all."""
    blocks = [thing("Recipe", name=name)] if name is not None else []
    body = f"<h1>{title}</h1><p>Flour, water, salt and time.</p>"
    return html(None, *blocks, title=title, head=head, body=body).encode()


def chunked(data: bytes, size: int = 100) -> bytes:
    pieces = [data[i : i + size] for i in range(0, len(data), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"


@dataclass
class Crawl:
    """What an archive holds, as the build should count it."""

    with_jsonld: set[str] = field(default_factory=set)  # page URLs whose JSON-LD must build
    without_jsonld: set[str] = field(default_factory=set)
    truncated: str = ""  # the URL of the record cut at the end
    records: Counter[str] = field(default_factory=Counter)  # what was written, by kind


def write_crawl_warc(path: Path, *, pages: int = 120, compress: bool = True, truncate: bool = True) -> Crawl:
    """An archive of about 2.5 records per page: requests and responses (a quarter of the HTML
    without JSON-LD; bodies gzip-encoded, chunked, both, or plain), revisits, metadata,
    images, 404s and redirects, and (with `truncate`) one response cut short at the end of the file."""
    crawl = Crawl()
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=compress)

        def response(url: str, status: str, headers: list[tuple[str, str]], body: bytes, out=writer) -> None:
            http = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
            out.write_record(out.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http))

        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "kg-tests", "format": "WARC 1.1"}))
        crawl.records["warcinfo"] += 1
        for i in range(pages):
            url = f"{SITE}/recipes/{i}"
            request = StatusAndHeaders(f"GET /recipes/{i} HTTP/1.1", [("Host", "bakery.example")], is_http_request=True)
            writer.write_record(writer.create_warc_record(url, "request", http_headers=request))
            crawl.records["request"] += 1
            has_jsonld = i % 4 != 2
            body = page_html(f"Loaf number {i}" if has_jsonld else None, title=f"Loaf {i}")
            headers = [("Content-Type", "text/html; charset=utf-8")]
            # Bodies as crawlers store them: gzip-encoded, chunked, gzip inside chunked, or plain.
            coding = ("gzip", "chunked", "gzip+chunked" if i % 8 == 2 else "", "")[i % 4]
            if "gzip" in coding:
                headers.append(("Content-Encoding", "gzip"))
                body = gzip.compress(body, mtime=0)
            if "chunked" in coding:
                headers.append(("Transfer-Encoding", "chunked"))
                body = chunked(body)
            response(url, "200 OK", headers, body)
            crawl.records["response"] += 1
            (crawl.with_jsonld if has_jsonld else crawl.without_jsonld).add(url)
            if i % 10 == 0:
                meta = writer.create_warc_record(
                    url, "metadata", payload=io.BytesIO(b"outlinks: 3\n"), warc_content_type="text/plain"
                )
                writer.write_record(meta)
                crawl.records["metadata"] += 1
            if i % 8 == 0:
                revisit = writer.create_revisit_record(
                    url, "sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", url, "2026-01-01T00:00:00Z"
                )
                writer.write_record(revisit)
                crawl.records["revisit"] += 1
        for i in range(pages // 6):
            response(f"{SITE}/img/{i}.png", "200 OK", [("Content-Type", "image/png")], b"\x89PNG\r\n\x1a\n" + bytes(64))
            crawl.records["not HTML"] += 1
        for i in range(pages // 12):
            response(f"{SITE}/old/{i}", "404 Not Found", [("Content-Type", "text/html")], page_html("Gone"))
            crawl.records["not 2xx"] += 1
        for i in range(pages // 24):
            response(f"{SITE}/moved/{i}", "301 Moved Permanently", [("Location", f"{SITE}/recipes/{i}")], b"")
            crawl.records["not 2xx"] += 1
        if not truncate:
            return crawl
        # The last record, cut: the crawler died while writing it.
        crawl.truncated = f"{SITE}/recipes/cut"
        spare = io.BytesIO()
        response(
            crawl.truncated,
            "200 OK",
            [("Content-Type", "text/html")],
            page_html("Cut loaf"),
            WARCWriter(spare, gzip=False),
        )
        whole = spare.getvalue()
        if compress:
            member = gzip.compress(whole, mtime=0)
            fh.write(member[: len(member) - 40])
        else:
            fh.write(whole[: len(whole) - 40])
    return crawl


@dataclass
class MixedFolder:
    """A folder as a crawl leaves it, and what a build of it should say."""

    built: int  # pages whose JSON-LD builds
    without_jsonld: int  # pages with no JSON-LD (in files and in the archive)
    skipped_files: dict[str, int]  # files kg does not read, by suffix
    crawl: Crawl


def write_mixed_folder(folder: Path, *, pages: int = 40, crawl_pages: int = 120) -> MixedFolder:
    """HTML pages with and without JSON-LD (plain and gzip), a page whose only script is `null`,
    a crawler dump and a stray notes.txt, files kg does not read, a symlink to a page, and an archive."""
    folder.mkdir(parents=True, exist_ok=True)
    built = without = 0
    for i in range(pages):
        has_jsonld = i % 3 != 0
        canonical = f'<link rel="canonical" href="{SITE}/news/{i}">'
        data = page_html(f"Bun {i}" if has_jsonld else None, title=f"Bun {i}", head=canonical)
        name = f"news/{i}.html" if i % 5 else f"news/{i}.html.gz"
        (folder / name).parent.mkdir(exist_ok=True)
        (folder / name).write_bytes(gzip.compress(data, mtime=0) if name.endswith(".gz") else data)
        built += has_jsonld
        without += not has_jsonld
    null_page = page_html(
        None, head=f'<link rel="canonical" href="{SITE}/null"><script type="application/ld+json">null</script>'
    )
    (folder / "null.html").write_bytes(null_page)
    without += 1
    (folder / "dump.txt").write_text(
        f"# Rye\n\n**Original URL:** {SITE}/rye\n\n```json\n"
        + json.dumps({"@context": "https://schema.org", "@type": "Recipe", "name": "Rye"})
        + "\n```\n"
    )
    built += 1
    (folder / "notes.txt").write_text("remember to feed the starter\n")
    (folder / "news" / "latest.html").symlink_to("1.html")  # the same file as news/1.html
    junk = {".pdf": 2, ".php": 5, ".png": 1}
    for suffix, count in junk.items():
        for i in range(count):
            (folder / f"file{i}{suffix}").write_bytes(b"%PDF-1.4\n" if suffix == ".pdf" else b"<?php echo 1; ?>\n")
    crawl = write_crawl_warc(folder / "crawl.warc.gz", pages=crawl_pages, truncate=False)
    return MixedFolder(
        built + len(crawl.with_jsonld),
        without + len(crawl.without_jsonld),
        {**junk, ".txt": 1},
        crawl,
    )
