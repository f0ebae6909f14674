"""Real crawls as a user brings them (issue 20): archives of hundreds of records, folders of
pages mostly without JSON-LD, junk files, compressed pages, encodings declared in odd places,
and files that are not files at all (issue 21). The corpora are written by tests/crawl_fixtures.py.
"""

from __future__ import annotations

import gzip
import io
import os
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from crawl_fixtures import SITE, page_html, write_crawl_warc, write_mixed_folder
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from kg.cli.common import main
from kg.errors import PageError
from kg.namespaces import KG, PROVENANCE_GRAPH, SCHEMA
from kg.readers.dump import json_fences
from kg.readers.files import read_limited
from kg.readers.html import extract
from kg.store import open_store


def build(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["build", *args])
    return result.exit_code, result.output


def page_graphs(out: Path) -> set[str]:
    return {graph.value for graph in open_store(out).named_graphs() if graph.value.startswith("https://")}


def statuses(out: Path) -> dict[str, str]:
    store = open_store(out)
    found = store.quads_for_pattern(None, ox.NamedNode(str(KG.status)), None, ox.NamedNode(PROVENANCE_GRAPH))
    return {quad.subject.value: quad.object.value for quad in found}


def name_in(out: Path, graph: str) -> str:
    quads = open_store(out).quads_for_pattern(None, ox.NamedNode(str(SCHEMA.name)), None, ox.NamedNode(graph))
    return next(quad.object.value for quad in quads)


def jsonld_pages_by_warcio(path: Path) -> set[str]:
    """The 2xx HTML responses whose payload holds a JSON-LD script, as warcio (an independent reader) sees them."""
    found = set()
    with path.open("rb") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type != "response" or not record.http_headers:
                continue
            status = record.http_headers.get_statuscode()
            kind = record.http_headers.get_header("Content-Type") or ""
            body = record.content_stream().read()
            if status.startswith("2") and kind.startswith("text/html") and b"application/ld+json" in body:
                found.add(record.rec_headers.get_header("WARC-Target-URI"))
    return found


# 1. An archive is read to its end ------------------------------------------------------------


@pytest.mark.parametrize("compress", [True, False], ids=["warc.gz", "warc"])
def test_warc_of_hundreds_of_records_builds_every_page_with_jsonld(tmp_path: Path, compress: bool):
    path = tmp_path / ("crawl.warc.gz" if compress else "crawl.warc")
    crawl = write_crawl_warc(path, pages=120, compress=compress)
    assert sum(crawl.records.values()) + 1 == 304  # and the record cut short at the end
    out = tmp_path / "out"

    code, output = build(str(path), "-o", str(out))

    assert code == 1, output  # the cut record is an error; everything before it built
    assert len(crawl.with_jsonld) == 90 and len(crawl.without_jsonld) == 30
    assert page_graphs(out) == crawl.with_jsonld
    assert f"error: {path.name}: truncated WARC: the response record for {crawl.truncated} ends after" in output
    assert "121 pages (90 built, 1 failed, 30 without JSON-LD)" in output
    assert (
        "183 archive records skipped: metadata 12, not 2xx 15, not HTML 20, request 120, revisit 15, warcinfo 1"
        in output
    )
    assert {status for page, status in statuses(out).items() if page in crawl.without_jsonld} == {"empty"}
    assert sum(1 for status in statuses(out).values() if status == "empty") == 30


def test_warc_pages_agree_with_an_independent_reader(tmp_path: Path):
    path = tmp_path / "crawl.warc.gz"
    crawl = write_crawl_warc(path, pages=48, truncate=False)
    out = tmp_path / "out"

    code, output = build(str(path), "-o", str(out))

    assert code == 0, output
    assert page_graphs(out) == jsonld_pages_by_warcio(path) == crawl.with_jsonld
    assert "48 pages (36 built, 0 failed, 12 without JSON-LD)" in output


def test_a_page_without_jsonld_captured_twice_says_nothing(tmp_path: Path):
    """A crawl fetches a URL more than once; copies with nothing to merge are not worth a warning."""
    path = tmp_path / "twice.warc.gz"
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for name in (None, None, "Twice", "Twice"):
            url = f"{SITE}/plain" if name is None else f"{SITE}/rich"
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
            body = io.BytesIO(page_html(name))
            writer.write_record(writer.create_warc_record(url, "response", payload=body, http_headers=http))

    code, output = build(str(path), "-o", str(tmp_path / "out"))

    assert code == 0, output
    assert "4 pages (2 built, 0 failed, 2 without JSON-LD)" in output  # the second copy is merged
    assert output.count("same page URL as") == 1  # the second capture of the page with JSON-LD
    assert f"twice.warc.gz#{SITE}/rich: same page URL as" in output


# 2. A folder of real pages does not fail -----------------------------------------------------


def test_a_folder_of_real_pages_builds_and_exits_zero(tmp_path: Path):
    folder = write_mixed_folder(tmp_path / "crawl")
    out = tmp_path / "out"

    code, output = build(str(tmp_path / "crawl"), "-o", str(out))

    assert code == 0, output
    pages = folder.built + folder.without_jsonld
    assert f"{pages} pages ({folder.built} built, 0 failed, {folder.without_jsonld} without JSON-LD)" in output
    assert "162 pages (117 built, 0 failed, 45 without JSON-LD)" in output
    assert "9 files skipped: .pdf 2, .php 5, .png 1, .txt without a fence or Original URL 1" in output
    assert "warning: null.html: script 1 is null; skipped" in output
    assert "error:" not in output
    found = statuses(out)
    assert sum(1 for status in found.values() if status == "empty") == folder.without_jsonld
    assert sum(1 for status in found.values() if status == "built") == folder.built
    assert found[f"{SITE}/news/0"] == "empty"  # a page without JSON-LD, gzip-compressed
    assert name_in(out, f"{SITE}/news/5") == "Bun 5"  # news/5.html.gz, read through gzip


@pytest.mark.parametrize(
    "text", ["null", "false", "", "   ", " null "], ids=["null", "false", "empty", "blank", "padded"]
)
def test_null_false_and_empty_scripts_are_warnings(tmp_path: Path, text: str):
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "good.html").write_bytes(page_html("Good", head=f'<link rel="canonical" href="{SITE}/good">'))
    (folder / "quiet.html").write_text(
        f'<link rel="canonical" href="{SITE}/quiet"><script type="application/ld+json">{text}</script>'
    )

    code, output = build(str(folder), "-o", str(tmp_path / "out"))

    assert code == 0, output
    said = text.strip() or "empty"
    assert f"warning: quiet.html: script 1 is {said}; skipped" in output
    assert "2 pages (1 built, 0 failed, 1 without JSON-LD)" in output
    assert statuses(tmp_path / "out")[f"{SITE}/quiet"] == "empty"


def test_files_kg_does_not_read_are_counted_and_named_with_verbose(tmp_path: Path):
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "index.html").write_bytes(page_html("Index", head=f'<link rel="canonical" href="{SITE}/">'))
    for name in ("a.php", "b.php", "c.testhtml", "scan.pdf", "README"):
        (folder / name).write_text("x")
    (folder / "notes.txt").write_text("feed the starter at nine\n")

    code, output = build(str(folder), "-o", str(tmp_path / "out"), "-v")

    assert code == 0, output
    assert (
        "6 files skipped: (no suffix) 1, .pdf 1, .php 2, .testhtml 1, .txt without a fence or Original URL 1" in output
    )
    assert "skipped: notes.txt (.txt without a fence or Original URL)" in output
    assert "skipped: a.php (.php)" in output


@pytest.mark.parametrize("suffix", [".html.gz", ".htm.gz"])
def test_gzip_pages_read_like_their_plain_forms(tmp_path: Path, suffix: str):
    folder = tmp_path / "saved"
    folder.mkdir()
    (folder / f"rye{suffix}").write_bytes(
        gzip.compress(page_html("Rye", head=f'<link rel="canonical" href="{SITE}/rye">'))
    )
    (folder / f"cut{suffix}").write_bytes(gzip.compress(page_html("Cut"))[:-20])
    out = tmp_path / "out"

    code, output = build(str(folder), "-o", str(out))

    assert code == 1, output
    assert name_in(out, f"{SITE}/rye") == "Rye"
    assert f"error: cut{suffix}: gzip file ends early (truncated)" in output


# 4. Encodings --------------------------------------------------------------------------------

SVG_FIRST = (
    '<!doctype html><html><head><?xml version="1.0" encoding="iso-8859-1"?>'
    '<svg xmlns="http://www.w3.org/2000/svg"><title>logo</title></svg><meta charset="UTF-8">'
    f'<link rel="canonical" href="{SITE}/cafe"><script type="application/ld+json">'
    '{"@context": "https://schema.org", "@type": "Recipe", "name": "Café crème"}</script></head></html>'
)


def test_meta_charset_after_an_inline_svg_xml_declaration(tmp_path: Path):
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "cafe.html").write_bytes(SVG_FIRST.encode("utf-8"))

    code, output = build(str(tmp_path / "pages"), "-o", str(tmp_path / "out"))

    assert code == 0, output
    assert name_in(tmp_path / "out", f"{SITE}/cafe") == "Café crème"  # not "CafÃ© crÃ¨me"
    assert "warning:" not in output


def test_a_declared_encoding_the_bytes_do_not_fit_falls_back_to_utf8(tmp_path: Path):
    page = SVG_FIRST.replace('<meta charset="UTF-8">', '<meta charset="iso-8859-1">').replace("crème", "crème ”")
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "cafe.html").write_bytes(page.encode("utf-8"))  # "”" holds 0x9d, not windows-1252

    code, output = build(str(tmp_path / "pages"), "-o", str(tmp_path / "out"))

    assert code == 0, output
    assert name_in(tmp_path / "out", f"{SITE}/cafe") == "Café crème ”"
    assert (
        "warning: cafe.html: the bytes are not windows-1252, as the page declares, but they are UTF-8; read as UTF-8"
        in output
    )


@pytest.mark.parametrize(
    ("head", "encoding"),
    [
        ('<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">', "cp1251"),
        ("<!-- <meta charset=utf-8> --><meta charset='koi8-r'>", "koi8-r"),
        ('<meta name="x" content="charset=utf-8"><meta charset=windows-1251>', "cp1251"),  # no http-equiv: no pragma
        ('<div title="<meta charset=utf-8>"></div><meta charset="windows-1251">', "cp1251"),
    ],
    ids=["http-equiv", "comment", "content-without-pragma", "inside-an-attribute"],
)
def test_the_meta_prescan_follows_the_html_standard(tmp_path: Path, head: str, encoding: str):
    page = f'<html><head>{head}<link rel="canonical" href="{SITE}/bread"><script type="application/ld+json">'
    page += '{"@context": "https://schema.org", "@type": "Recipe", "name": "Хлеб"}</script></head></html>'
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "bread.html").write_bytes(page.encode(encoding))

    code, output = build(str(tmp_path / "pages"), "-o", str(tmp_path / "out"))

    assert code == 0, output
    assert name_in(tmp_path / "out", f"{SITE}/bread") == "Хлеб"


# 6. Messages ---------------------------------------------------------------------------------


def test_verbose_shows_every_error_and_the_summary_says_where_the_list_is(tmp_path: Path):
    folder = tmp_path / "many"
    folder.mkdir()
    (folder / "good.html").write_bytes(page_html("Good", head=f'<link rel="canonical" href="{SITE}/good">'))
    for i in range(205):
        (folder / f"broken-{i:03}.html").write_bytes(b"GIF89a\x00\x01" + bytes(20))
    out = tmp_path / "out"

    code, quiet = build(str(folder), "-o", str(out))
    code_v, verbose = build(str(folder), "-o", str(out), "-v", "--full")

    assert code == code_v == 1
    assert quiet.count("error: broken-") == 200 and "... 5 more errors (-v shows them all)" in quiet
    assert verbose.count("error: broken-") == 205 and "more errors" not in verbose
    assert f"every warning and error, by page: kg query problems -o {out}" in verbose


def test_problems_lists_failed_files_and_pages_with_warnings(tmp_path: Path):
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "good.html").write_bytes(page_html("Good", head=f'<link rel="canonical" href="{SITE}/good">'))
    (folder / "image.html").write_bytes(b"GIF89a\x00\x01" + bytes(20))
    (folder / "null.html").write_text(
        '<link rel="canonical" href="https://bakery.example/null"><script type="application/ld+json">null</script>'
    )
    out = tmp_path / "out"
    assert build(str(folder), "-o", str(out))[0] == 1

    result = CliRunner().invoke(main, ["query", "problems", "-o", str(out), "-f", "csv"])

    assert result.exit_code == 0, result.output
    rows = result.output.splitlines()
    assert any('image.html,error,"binary file, not HTML"' in row for row in rows), rows
    assert any("null.html,warning,script 1 is null; skipped" in row for row in rows), rows


def test_a_symlink_and_its_target_are_one_source_named_by_its_real_path(tmp_path: Path):
    folder = tmp_path / "site"
    folder.mkdir()
    # A relative canonical link and no --base-url: one warning, which must appear once.
    (folder / "z-real.html").write_bytes(page_html("Real", head='<link rel="canonical" href="/real">'))
    (folder / "a-link.html").symlink_to("z-real.html")

    code, output = build(str(folder), "-o", str(tmp_path / "out"))

    assert code == 0, output
    assert output.count("canonical link '/real' is relative") == 1
    assert "warning: z-real.html: canonical link" in output and "a-link.html" not in output
    assert "1 page (1 built, 0 failed)" in output


# Issue 21: the dump reader, the page timeout, files that are not files, big pages -------------


def test_dump_line_numbers_stay_right_across_many_fences():
    text = "".join(f'Term {i}.\n\n~~~ json\n{{"n": {i}}}\n~~~\n\n' for i in range(5000))
    blocks = list(json_fences("**Original URL:** https://x.example/\n" + text))
    assert len(blocks) == 5000
    assert blocks[0].where == "block 1 (line 4)" and blocks[-1].where == "block 5000 (line 29998)"
    assert blocks[-1].text == '{"n": 4999}'


def test_page_timeout_covers_reading_a_page(tmp_path: Path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "good.html").write_bytes(page_html("Good", head=f'<link rel="canonical" href="{SITE}/good">'))
    fences = "".join(f'```json\n{{"n": {i}}}\n```\n' for i in range(600_000))  # seconds to read
    (folder / "huge.txt").write_text(f"**Original URL:** {SITE}/huge\n{fences}")
    out = tmp_path / "out"

    done = subprocess.run(
        [sys.executable, "-m", "kg", "build", str(folder), "-o", str(out), "--page-timeout", "0.5"],
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert done.returncode == 1, done.stderr
    assert "error: huge.txt: took longer than 0.5 s to read; stopped" in done.stderr
    assert page_graphs(out) == {f"{SITE}/good"}


def make_files_that_are_not_files(folder: Path) -> None:
    folder.mkdir()
    (folder / "good.html").write_bytes(page_html("Good", head=f'<link rel="canonical" href="{SITE}/good">'))
    (folder / "zero.html").symlink_to("/dev/zero")
    os.mkfifo(folder / "pipe.html")
    (folder / "loop-a.html").symlink_to("loop-b.html")
    (folder / "loop-b.html").symlink_to("loop-a.html")


@pytest.mark.parametrize("given", ["folder", "files"])
def test_sources_that_are_not_regular_files_are_one_line_each(tmp_path: Path, given: str):
    folder = tmp_path / "corpus"
    make_files_that_are_not_files(folder)
    names = ["good.html", "zero.html", "pipe.html", "loop-a.html", "loop-b.html"]
    sources = [str(folder)] if given == "folder" else [str(folder / name) for name in names]

    done = subprocess.run(
        [sys.executable, "-m", "kg", "build", *sources, "-o", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=120,  # a FIFO used to hang the build for ever
    )

    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert sorted(errors) == [
        "error: loop-a.html: symbolic link loop; not read",
        "error: loop-b.html: symbolic link loop; not read",
        "error: pipe.html: a FIFO (named pipe), not a regular file; not read",
        "error: zero.html: a character device, not a regular file; not read",
    ]
    assert page_graphs(tmp_path / "out") == {f"{SITE}/good"}


def test_the_size_limit_holds_while_reading(tmp_path: Path):
    with pytest.raises(PageError, match="a character device, not a regular file"):
        read_limited(Path("/dev/zero"), 1000)
    big = tmp_path / "big.html"
    big.write_bytes(b"x" * 5000)
    with pytest.raises(PageError, match="file is over the 1000-byte limit"):
        read_limited(big, 1000)
    bomb = tmp_path / "bomb.html.gz"
    bomb.write_bytes(gzip.compress(b" " * 1_000_000))
    with pytest.raises(PageError, match="expands to over the 100000-byte limit"):
        read_limited(bomb, 100_000, gunzip=True)
    assert read_limited(bomb, 2_000_000, gunzip=True)[1] == b" " * 1_000_000


def test_the_html_reader_keeps_only_what_kg_reads():
    page = (
        '<html><head><base href="https://bakery.example/shop/">'
        '<link rel="stylesheet canonical" href="loaf?a=1&amp;b=2">'
        '<script type="application/ld+json">{"text": "</p> <!-- <script> --> </scrip"}</script>'
        '<!-- <script type="application/ld+json">{"no": 1}</script> -->'
        '</head><body><textarea><script type="application/ld+json">{"no": 2}</script></textarea>'
        + "<i>a</i>" * 10_000
        + '<script type="Application/LD+JSON; charset=utf-8">{"yes": 2}</script>'
        + "<script>var s = '<script type=\"application/ld+json\">';</script>"
        + '<svg><script type="application/ld+json">{"yes": 3}</script></svg>'
        + '<script type="application/ld+json">{"unclosed": true'
    )
    warnings: list[str] = []
    url, blocks = extract(page, warnings=warnings)
    assert url == "https://bakery.example/shop/loaf?a=1&b=2"
    assert [block.text for block in blocks] == [
        '{"text": "</p> <!-- <script> --> </scrip"}',
        '{"yes": 2}',
        '{"yes": 3}',
        '{"unclosed": true',
    ]
    assert warnings == []
