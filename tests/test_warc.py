"""Crawl archives: a WARC's HTML responses build like HTML pages; its other records are counted and skipped.

The archives are written here with warcio, an implementation independent of the reader's FastWARC.
"""

from __future__ import annotations

import gzip
import io
import json
import re
from collections import Counter
from pathlib import Path

import pages
import pyoxigraph as ox
import pytest
import rdflib
from click.testing import CliRunner
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from kg.cli.common import main
from kg.config import BuildConfig
from kg.errors import PageError
from kg.readers import Page, Skipped, SourceFile, reader_for, supported
from kg.store import open_store

SITE = "https://shop.example"
CANONICAL = f"{SITE}/products/kettle"  # page A names it, relative, in a canonical link
ABOUT = f"{SITE}/about"  # page B names no URL: its WARC-Target-URI is its URL
CAFE = f"{SITE}/cafe"  # page C is windows-1252, declared only in the HTTP header
CAFE_NAME = "Café Müller – Spécialités"  # é, ü and the en dash differ between UTF-8 and windows-1252
PAGES = {CANONICAL, ABOUT, CAFE}
SKIPPED = Counter({"warcinfo": 1, "request": 1, "not 2xx": 2, "not HTML": 1})  # 404, 301; PNG


def html(data: dict, head: str = "", body: str = "") -> str:
    ld = json.dumps({"@context": "https://schema.org", **data}, ensure_ascii=False)
    return pages.html(None, ld, head=head, body=body)


def chunked(data: bytes, size: int = 64) -> bytes:
    pieces = [data[i : i + size] for i in range(0, len(data), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"


def write_warc(path: Path, *, compress: bool = True) -> dict[str, int]:
    """The test archive, as a crawler writes it; returns where each page's response record starts."""
    starts: dict[str, int] = {}
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=compress)

        def response(url: str, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
            starts[url] = fh.tell()
            http = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http))

        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test", "format": "WARC 1.1"}))
        get = "GET /products/kettle?ref=home HTTP/1.1"
        request = StatusAndHeaders(get, [("Host", "shop.example")], is_http_request=True)
        writer.write_record(writer.create_warc_record(f"{CANONICAL}?ref=home", "request", http_headers=request))
        page_a = html({"@type": "Product", "name": "Kettle"}, head='<link rel="canonical" href="/products/kettle">')
        response(f"{CANONICAL}?ref=home", "200 OK", [("Content-Type", "text/html; charset=utf-8")], page_a.encode())
        # Stored as sent: gzip inside chunked transfer coding, as wget and Heritrix keep it.
        page_b = html({"@type": "AboutPage", "name": "About the shop"})
        response(
            ABOUT,
            "200 OK",
            [("Content-Type", "text/html"), ("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked")],
            chunked(gzip.compress(page_b.encode())),
        )
        response(
            f"{SITE}/gone",
            "404 Not Found",
            [("Content-Type", "text/html")],
            html({"@type": "WebPage", "name": "Not found"}).encode(),
        )
        response(f"{SITE}/logo.png", "200 OK", [("Content-Type", "image/png")], b"\x89PNG\r\n\x1a\n" + bytes(64))
        response(f"{SITE}/old", "301 Moved Permanently", [("Location", ABOUT), ("Content-Length", "0")], b"")
        filler = "<p>" + "Kaffee und Kuchen. " * 200 + "</p>"
        page_c = html({"@type": "CafeOrCoffeeShop", "name": CAFE_NAME}, body=filler)
        response(CAFE, "200 OK", [("Content-Type", "text/html; charset=windows-1252")], page_c.encode("cp1252"))
    return starts


def read_archive(path: Path, *, streamed: bool) -> tuple[list[Page], Counter, str | None]:
    """What the reader gives, as the build sees it: pages, skip counts, and the error it stopped on."""
    name, reader = reader_for(path)
    assert name == "warc"
    pages, skipped = [], Counter()
    try:
        for item in reader(None if streamed else path.read_bytes(), SourceFile(path, path.parent), BuildConfig()):
            if isinstance(item, Skipped):
                skipped[item.reason] += 1
            else:
                pages.append(item)
    except PageError as exc:
        return pages, skipped, str(exc)
    return pages, skipped, None


@pytest.fixture
def crawl(tmp_path: Path) -> Path:
    path = tmp_path / "crawl.warc.gz"
    write_warc(path)
    return path


def test_warc_suffixes_are_registered():
    assert supported(Path("crawl.warc.gz")) and supported(Path("site.2024.WARC.GZ")) and supported(Path("crawl.warc"))
    assert not supported(Path("notes.tar.gz"))
    with pytest.raises(PageError, match=r"unsupported file type '\.gz'"):
        reader_for(Path("notes.tar.gz"))


@pytest.mark.parametrize("streamed", [False, True], ids=["bytes", "streamed"])
def test_reader_yields_html_responses_and_counts_the_rest(crawl: Path, streamed: bool):
    pages, skipped, error = read_archive(crawl, streamed=streamed)
    assert error is None
    assert [page.url for page in pages] == [CANONICAL, ABOUT, CAFE]
    assert [page.label for page in pages] == [
        f"crawl.warc.gz#{CANONICAL}?ref=home",
        f"crawl.warc.gz#{ABOUT}",
        f"crawl.warc.gz#{CAFE}",
    ]
    assert {page.reader for page in pages} == {"warc"}
    assert skipped == SKIPPED
    about = pages[1]
    assert json.loads(about.blocks[0].text)["name"] == "About the shop"  # chunked and gzip undone
    cafe = pages[2]
    assert CAFE_NAME in cafe.blocks[0].text
    assert cafe.warnings == []  # read by its header's charset, not by the windows-1252 guess


def test_build_a_warc(crawl: Path, tmp_path: Path):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(crawl), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "3 pages (3 built, 0 failed)" in result.output
    store = open_store(out)
    for url in PAGES:
        assert store.contains_named_graph(ox.NamedNode(url)), url
    graph = rdflib.Graph().parse(out / "graph.ttl", format="turtle")
    assert rdflib.Literal(CAFE_NAME) in set(graph.objects())


def test_build_reports_skipped_records(crawl: Path, tmp_path: Path):
    result = CliRunner().invoke(main, ["build", str(crawl), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "5 archive records skipped: not 2xx 2, not HTML 1, request 1, warcinfo 1" in result.output


CUT_BODY = rf"the response record for {CAFE} ends after \d+ of \d+ bytes"
CUT_MEMBER = "a record is cut short: the file ends inside its gzip member"


@pytest.mark.parametrize(
    "name, cut, reason",
    [
        ("cut.warc.gz", lambda start, end: end - 30, CUT_BODY),
        ("cut.warc", lambda start, end: end - 30, CUT_BODY),
        # So early in the last record's gzip member that not even its headers decompress.
        ("cut.warc.gz", lambda start, end: start + 10, CUT_MEMBER),
    ],
    ids=["warc.gz", "warc", "warc.gz-member-start"],
)
def test_truncated_warc_yields_what_it_could_read_then_fails(tmp_path: Path, name: str, cut, reason: str):
    path = tmp_path / name
    start = write_warc(path, compress=name.endswith(".gz"))[CAFE]  # page C's record is the last
    data = path.read_bytes()
    path.write_bytes(data[: cut(start, len(data))])
    pages, skipped, error = read_archive(path, streamed=True)
    assert [page.url for page in pages] == [CANONICAL, ABOUT]
    assert skipped == SKIPPED
    expected = rf"truncated WARC: {reason}; the 7 records before it were read"
    assert error is not None and re.fullmatch(expected, error), error


def test_build_a_truncated_warc_keeps_the_pages_before_the_cut(tmp_path: Path):
    path = tmp_path / "cut.warc.gz"
    write_warc(path)
    path.write_bytes(path.read_bytes()[:-30])  # inside page C, the last record
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(path), "-o", str(out)])
    assert result.exit_code == 1, result.output
    assert "error: cut.warc.gz: truncated WARC" in result.output
    store = open_store(out)
    assert store.contains_named_graph(ox.NamedNode(CANONICAL)) and store.contains_named_graph(ox.NamedNode(ABOUT))


def test_a_file_that_is_not_a_warc(tmp_path: Path):
    path = tmp_path / "notes.warc"
    path.write_text("these are my notes\n\nnot an archive\n")
    pages, skipped, error = read_archive(path, streamed=False)
    assert not pages and not skipped
    assert error is not None and error.startswith("not a WARC file"), error
