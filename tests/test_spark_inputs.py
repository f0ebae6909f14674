"""What the Spark build reads: sources as URLs of Spark's Hadoop file systems (tested with
file: URLs), and WARC files cut into runs of records across tasks; each gives the local
build's store, messages and counts."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pytest
import test_spark
from conftest import write_files
from test_bad_input import GOOD_PAGE, dump, webpage
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from kg import BuildConfig, build
from kg.spark import spark_build

spark = test_spark.spark  # the Spark session, one for the module
_quads = test_spark._quads


def _html(data: dict, title: str = "") -> str:
    block = json.dumps({"@context": "https://schema.org", **data})
    return f'<html><head><title>{title}</title><script type="application/ld+json">{block}</script></head></html>'


def _same(tmp_path: Path, local, theirs) -> None:
    assert local.committed and theirs.committed
    assert _quads(tmp_path / "spark") == _quads(tmp_path / "local")
    assert theirs.messages() == local.messages()
    assert (theirs.built, theirs.failed, theirs.triples, theirs.nodes, theirs.skipped) == (
        local.built,
        local.failed,
        local.triples,
        local.nodes,
        local.skipped,
    )
    assert sorted(theirs.skipped_files) == sorted(local.skipped_files)
    assert theirs.exit_code() == local.exit_code()


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return write_files(
        tmp_path / "site",
        {
            "a-good.txt": GOOD_PAGE,
            "b-broken.txt": dump("https://example.org/broken/", '{"@context": "https://schema.org", "name": '),
            "sub/c.html": _html({"@type": "Article", "name": "Rivers", "about": {"@type": "Thing", "name": "Water"}}),
            # Characters Hadoop reads as glob syntax or a path separator, in a file's name.
            "sub/d,e [1] {x}.html": _html({"@type": "WebPage", "name": "Odd name"}),
            "sub/f.html.gz": gzip.compress(_html({"@type": "WebPage", "name": "Kept compressed"}).encode()),
            ".hidden/g.txt": dump("https://example.org/hidden/", webpage("Hidden")),
            "notes.pdf": b"%PDF-1.4 not a page",
        },
    )


def test_a_folder_as_a_file_url_builds_as_the_folder_does(spark, tmp_path: Path, site: Path):
    local = build([str(site)], BuildConfig(output=tmp_path / "local"))
    figures: dict = {}
    theirs = spark_build([site.as_uri()], BuildConfig(output=tmp_path / "spark"), figures=figures)
    _same(tmp_path, local, theirs)
    assert figures["units"] == 5 and local.built == 4 and local.failed == 1  # the hidden folder passed over
    assert [name for name, _ in theirs.skipped_files] == ["notes.pdf"]
    errors = [message for level, message in theirs.messages() if level == "error"]
    assert any(message.startswith("b-broken.txt") for message in errors), errors


def test_file_urls_of_files_and_patterns_and_a_missing_one(spark, tmp_path: Path, site: Path):
    sources = [f"{site.as_uri()}/a-good.txt", f"{site.as_uri()}/sub/*.html", f"{site.as_uri()}/nothing-here"]
    report = spark_build(sources, BuildConfig(output=tmp_path / "spark"))
    assert report.committed and report.built == 3  # a-good.txt, c.html and the odd name (not the .gz)
    assert report.source_errors == [(f"{site.as_uri()}/nothing-here", "no such file or directory")]
    assert report.exit_code() == 1
    labels = sorted(page.label for page in report.pages)
    assert labels == ["a-good.txt", "c.html", "d,e [1] {x}.html"]


def _write_crawl(path: Path, pages: int, *, compress: bool) -> None:
    """A crawl of `pages` HTML responses with their requests, an image every seventh, and one
    page whose JSON-LD is broken."""
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=compress)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test", "format": "WARC 1.1"}))
        for number in range(pages):
            url = f"https://news.example/{number}"
            request = StatusAndHeaders(f"GET /{number} HTTP/1.1", [("Host", "news.example")], is_http_request=True)
            writer.write_record(writer.create_warc_record(url, "request", http_headers=request))
            if number % 7 == 6:
                kind, body = "image/png", b"\x89PNG\r\n\x1a\n" + bytes(200)
            elif number == 13:
                kind, body = "text/html", b'<script type="application/ld+json">{"@context": </script>'
            else:
                data = {
                    "@type": "NewsArticle",
                    "name": f"Story {number}",
                    "about": {"@type": "Thing", "name": f"T{number % 5}"},
                }
                kind, body = "text/html; charset=utf-8", _html(data, "x" * 300).encode()
            http = StatusAndHeaders("200 OK", [("Content-Type", kind)], protocol="HTTP/1.1")
            record = writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http)
            writer.write_record(record)


def test_warc_files_cut_into_runs_give_the_local_pages(spark, tmp_path: Path):
    corpus = tmp_path / "crawls"
    corpus.mkdir()
    _write_crawl(corpus / "a.warc.gz", 60, compress=True)
    _write_crawl(corpus / "b.warc", 40, compress=False)
    # A truncated archive is read whole by one task, so its message is the local reader's.
    whole = corpus / "c-cut.warc.gz"
    _write_crawl(whole, 30, compress=True)
    whole.write_bytes(whole.read_bytes()[:-700])
    local = build([str(corpus)], BuildConfig(output=tmp_path / "local"))
    figures: dict = {}
    theirs = spark_build([str(corpus)], BuildConfig(output=tmp_path / "spark"), figures=figures, warc_run_bytes=8_000)
    _same(tmp_path, local, theirs)
    sizes = [path.stat().st_size for path in sorted(corpus.iterdir())]
    # Every archive is over the run size; the two sound ones are cut into several runs each.
    assert min(sizes) > 8_000 and figures["units"] > 2 + (sizes[0] + sizes[1]) // 16_000
    assert figures["tasks"] >= 2
    assert local.built > 80 and local.failed == 1  # the cut file (a broken block is a warning)
    assert local.skipped == theirs.skipped and theirs.skipped["request"] > 100
    errors = [message for level, message in theirs.messages() if level == "error"]
    assert any(message.startswith("c-cut.warc.gz") and "truncated WARC" in message for message in errors), errors


def test_a_warc_file_as_a_file_url_is_cut_where_it_is_read(spark, tmp_path: Path):
    corpus = tmp_path / "crawls"
    corpus.mkdir()
    _write_crawl(corpus / "a.warc.gz", 60, compress=True)
    _write_crawl(corpus / "b.warc", 40, compress=False)
    local = build([str(corpus)], BuildConfig(output=tmp_path / "local"))
    figures: dict = {}
    url = corpus.as_uri()
    theirs = spark_build([url], BuildConfig(output=tmp_path / "spark"), figures=figures, warc_run_bytes=8_000)
    _same(tmp_path, local, theirs)
    sizes = sum(path.stat().st_size for path in corpus.iterdir())
    assert figures["units"] == 2 and figures["remote_warc_runs"] > sizes // 16_000
    assert figures["tasks"] >= figures["remote_warc_runs"] and local.built > 80
