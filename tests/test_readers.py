"""Readers: where each kind of file gets its page URL, blocks and encoding; contexts; no sockets."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pages
import pyoxigraph as ox
import pytest
from click.testing import CliRunner, Result
from conftest import write_files

from kg.cli.common import main
from kg.readers.dump import json_fences
from kg.store import open_store

SCHEMA = "http://schema.org/"
NAME = ox.NamedNode(SCHEMA + "name")
PAGE_URL = "https://example.org/page/"
BASE = "https://example.org/site/"
VOCAB = "https://vocab.example.net/"


def run(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def build(tmp_path: Path, files: dict[str, str | bytes], *options: str) -> tuple[Result, Path, Path]:
    """Write `files` into a corpus folder and build it; (result, corpus folder, build folder)."""
    folder = write_files(tmp_path / "corpus", files)
    out = tmp_path / "out"
    return run("build", str(folder), "-o", str(out), *options), folder, out


def names(out: Path, graph: str) -> dict[str, str]:
    """subject -> schema:name within one page's named graph."""
    store = open_store(out)
    return {
        quad.subject.value: quad.object.value for quad in store.quads_for_pattern(None, NAME, None, ox.NamedNode(graph))
    }


def thing(iri: str, name: str, context: str = '"https://schema.org"') -> str:
    return json.dumps({"@context": json.loads(context), "@type": "Thing", "@id": iri, "name": name}, ensure_ascii=False)


def webpage(name: str) -> str:
    return json.dumps({"@context": "https://schema.org", "@type": "WebPage", "name": name}, ensure_ascii=False)


def dump(url_line: str | None, *blocks: str) -> str:
    return pages.dump(None, *blocks, url_line=url_line)


def html(head: str, body: str = "") -> str:
    return pages.html(head=head, body=body)


def script(block: str, kind: str = "application/ld+json") -> str:
    return f'<script type="{kind}">{block}</script>'


# Dumps -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        f"**Original URL:** {PAGE_URL}",
        f"**Original URL:** <{PAGE_URL}>",
        f"**Original URL:** [{PAGE_URL}]({PAGE_URL})",
        f"  **original url:**   {PAGE_URL}  ",
    ],
)
def test_dump_page_url_from_original_url_line(line: str, tmp_path: Path):
    result, _, out = build(tmp_path, {"page.txt": dump(line, webpage("From the dump"))})

    assert result.exit_code == 0, result.output
    assert "warning:" not in result.output
    assert names(out, PAGE_URL) == {PAGE_URL: "From the dump"}


def test_dump_without_original_url_gets_a_file_iri_and_a_warning(tmp_path: Path):
    result, folder, out = build(tmp_path, {"page.md": dump(None, webpage("Nameless"))})
    file_iri = (folder / "page.md").resolve().as_uri()

    assert result.exit_code == 0, result.output
    assert (
        "warning: page.md: no **Original URL:** line; using its file: IRI (give --base-url to place it on the web)"
        in result.output
    )
    assert names(out, file_iri) == {file_iri: "Nameless"}


def test_dump_without_original_url_under_base_url(tmp_path: Path):
    result, _, out = build(tmp_path, {"sub/page one.txt": dump(None, webpage("Placed"))}, "--base-url", BASE)
    url = BASE + "sub/page%20one.txt"

    assert result.exit_code == 0, result.output
    assert "warning:" not in result.output
    assert names(out, url) == {url: "Placed"}


def test_json_fences_follow_commonmark():
    text = "\n".join(
        [
            "```json",  # line 1: block 1
            '{"a": 1}',
            "```",
            "```python",  # not JSON: skipped
            '{"not": "a block"}',
            "```",
            "~~~ JSON-LD",  # tildes, upper case, a space before the info string
            '{"b": 2}',
            "~~~",
            "````markdown",  # a JSON fence quoted inside another fence is not a block
            "```json",
            '{"quoted": true}',
            "```",
            "````",
            "````jsonld",  # a longer fence: a shorter run of backticks does not close it
            '{"c": "```"}',
            "```",
            "````",
            "```ld+json",  # unclosed: runs to the end
            '{"d": 4}',
        ]
    )

    blocks = [(block.where, block.text) for block in json_fences(text)]

    assert blocks == [
        ("block 1 (line 1)", '{"a": 1}'),
        ("block 2 (line 7)", '{"b": 2}'),
        ("block 3 (line 15)", '{"c": "```"}\n```'),
        ("block 4 (line 19)", '{"d": 4}'),
    ]


def test_dump_reads_every_json_fence(tmp_path: Path):
    page = (
        dump(
            f"**Original URL:** {PAGE_URL}",
            thing("https://example.org/a", "A"),
            thing("https://example.org/b", "B"),
        )
        + "```js\nconst x = {};\n```\n"
    )
    result, _, out = build(tmp_path, {"page.txt": page})

    assert result.exit_code == 0, result.output
    assert "1 page (1 built, 0 failed), 2 blocks" in result.output
    assert names(out, PAGE_URL) == {"https://example.org/a": "A", "https://example.org/b": "B"}


@pytest.mark.parametrize("bom_encoding", ["utf-16", "utf-16-be", "utf-8-sig"])
def test_dump_with_a_byte_order_mark(bom_encoding: str, tmp_path: Path):
    text = dump(f"**Original URL:** {PAGE_URL}", webpage("Café ’"))
    data = ("\ufeff" + text).encode(bom_encoding) if bom_encoding == "utf-16-be" else text.encode(bom_encoding)
    result, _, out = build(tmp_path, {"page.txt": data})

    assert result.exit_code == 0, result.output
    assert names(out, PAGE_URL) == {PAGE_URL: "Café ’"}


# HTML --------------------------------------------------------------------------------------

CANONICAL = f'<link rel="canonical" href="{PAGE_URL}">'
OG_URL = '<meta property="og:url" content="https://example.org/og/">'


@pytest.mark.parametrize(
    ("head", "options", "expected", "warning"),
    [
        (CANONICAL + OG_URL, [], PAGE_URL, None),
        (OG_URL + f'<link rel="Canonical" href="{PAGE_URL}">', [], PAGE_URL, None),
        (OG_URL, [], "https://example.org/og/", None),
        (OG_URL, ["--base-url", BASE], "https://example.org/og/", None),
        ("", ["--base-url", BASE], BASE + "page.html", None),
        ('<link rel="canonical" href="/rel/">', ["--base-url", BASE], "https://example.org/rel/", None),
        (
            '<base href="https://example.org/docs/"><link rel="canonical" href="rel/">',
            [],
            "https://example.org/docs/rel/",
            None,
        ),
        (
            '<link rel="canonical" href="/rel/">' + OG_URL,
            [],
            "https://example.org/og/",
            "warning: page.html: canonical link '/rel/' is relative and no --base-url places it; ignored",
        ),
        (
            "",
            [],
            "FILE",
            "warning: page.html: no canonical link or og:url; using its file: IRI "
            "(give --base-url to place it on the web)",
        ),
        (
            '<meta property="og:url" content="/only-relative/">',
            [],
            "FILE",
            "warning: page.html: no absolute canonical link or og:url; using its file: IRI",
        ),
    ],
    ids=[
        "canonical-before-og",
        "canonical-any-case-and-order",
        "og-url",
        "og-url-before-base-url",
        "base-url",
        "relative-canonical-under-base-url",
        "relative-canonical-under-base-element",
        "relative-canonical-falls-to-og-url",
        "file-iri",
        "relative-og-url-falls-to-file-iri",
    ],
)
def test_html_page_url(head: str, options: list[str], expected: str, warning: str | None, tmp_path: Path):
    page = html(head + script(webpage("An HTML page")))
    result, folder, out = build(tmp_path, {"page.html": page}, *options)
    if expected == "FILE":
        expected = (folder / "page.html").resolve().as_uri()

    assert result.exit_code == 0, result.output
    if warning:
        assert warning in result.output
    else:
        assert "warning:" not in result.output
    assert names(out, expected) == {expected: "An HTML page"}


def test_html_reads_every_jsonld_script(tmp_path: Path):
    page = html(
        CANONICAL
        + script(thing("https://example.org/a", "A"))
        + script(thing("https://example.org/b", "B"), kind="Application/LD+JSON; charset=utf-8")
        + script('{"@context": "https://schema.org", "@id": "https://example.org/js", "name": "JS"}', "text/javascript")
        + script('{"@id": "https://example.org/plain"}', "application/json"),
        body="<main>" + script(thing("https://example.org/c", "C")) + "</main>",
    )
    result, _, out = build(tmp_path, {"page.html": page})

    assert result.exit_code == 0, result.output
    assert "1 page (1 built, 0 failed), 3 blocks" in result.output
    assert names(out, PAGE_URL) == {
        "https://example.org/a": "A",
        "https://example.org/b": "B",
        "https://example.org/c": "C",
    }


@pytest.mark.parametrize(
    ("declaration", "encoding"),
    [
        ('<meta charset="windows-1252">', "cp1252"),
        ('<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">', "latin-1"),
        ('<meta charset="utf-8">', "utf-8"),
        ("", "utf-8"),
    ],
)
def test_html_declared_encoding(declaration: str, encoding: str, tmp_path: Path):
    # "’" exists in windows-1252 but not in Latin-1, whose pages name it with a character reference.
    name = "Café ’" if encoding != "latin-1" else "Café"
    page = html(declaration + CANONICAL + script(webpage(name)))
    result, _, out = build(tmp_path, {"page.html": page.encode(encoding)})

    assert result.exit_code == 0, result.output
    assert "warning:" not in result.output
    assert names(out, PAGE_URL) == {PAGE_URL: name}


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_html_utf16_with_byte_order_mark(encoding: str, tmp_path: Path):
    page = "\ufeff" + html(CANONICAL + script(webpage("Café ’ ☃")))
    result, _, out = build(tmp_path, {"page.html": page.encode(encoding)})

    assert result.exit_code == 0, result.output
    assert names(out, PAGE_URL) == {PAGE_URL: "Café ’ ☃"}


def test_html_undeclared_legacy_encoding_is_sniffed(tmp_path: Path):
    page = html(CANONICAL + script(webpage("Café ’")))
    result, _, out = build(tmp_path, {"page.html": page.encode("cp1252")})

    assert result.exit_code == 0, result.output
    assert "warning: page.html: no declared encoding and not UTF-8; read as windows-1252" in result.output
    assert names(out, PAGE_URL) == {PAGE_URL: "Café ’"}


def test_html_bytes_outside_the_declared_encoding_are_reported(tmp_path: Path):
    page = html('<meta charset="utf-8">' + CANONICAL + script(webpage("Café")))
    result, _, out = build(tmp_path, {"page.html": page.encode("cp1252")})

    assert result.exit_code == 0, result.output
    assert (
        "warning: page.html: bytes that are not utf-8, its declared encoding, were replaced by U+FFFD" in result.output
    )
    assert names(out, PAGE_URL) == {PAGE_URL: "Caf\ufffd"}


# JSON-LD files -----------------------------------------------------------------------------

JSONLD_FILES = {
    "object": {"@context": "https://schema.org", "@type": "Thing", "@id": "#a", "name": "A"},
    "array": [
        {"@context": "https://schema.org", "@type": "Thing", "@id": "#a", "name": "A"},
        {"@context": "https://schema.org", "@type": "Thing", "@id": "#b", "name": "B"},
    ],
    "graph": {
        "@context": "https://schema.org",
        "@graph": [{"@type": "Thing", "@id": "#a", "name": "A"}, {"@type": "Thing", "@id": "#b", "name": "B"}],
    },
}


@pytest.mark.parametrize("shape", list(JSONLD_FILES))
def test_jsonld_file_shapes(shape: str, tmp_path: Path):
    document = JSONLD_FILES[shape]
    result, _, out = build(tmp_path, {"things.jsonld": json.dumps(document)}, "--base-url", BASE)
    url = BASE + "things.jsonld"

    assert result.exit_code == 0, result.output
    assert "warning:" not in result.output
    expected = {url + "#a": "A"} if shape == "object" else {url + "#a": "A", url + "#b": "B"}
    assert names(out, url) == expected


def test_json_file_without_base_url_gets_a_file_iri_and_a_warning(tmp_path: Path):
    result, folder, out = build(tmp_path, {"things.json": json.dumps(JSONLD_FILES["graph"])})
    url = (folder / "things.json").resolve().as_uri()

    assert result.exit_code == 0, result.output
    assert (
        "warning: things.json: a JSON-LD file names no page URL; using its file: IRI "
        "(give --base-url to place it on the web)" in result.output
    )
    assert names(out, url) == {url + "#a": "A", url + "#b": "B"}


# Contexts ----------------------------------------------------------------------------------


def test_context_mapped_to_a_local_file(tmp_path: Path):
    context = tmp_path / "vocab.jsonld"
    context.write_text(json.dumps({"@context": {"@vocab": VOCAB, "title": VOCAB + "title"}}))
    page = dump(f"**Original URL:** {PAGE_URL}", thing("https://example.org/a", "A", context=f'"{VOCAB}ctx.jsonld"'))

    result, _, out = build(tmp_path, {"page.txt": page}, "--context", f"{VOCAB}ctx.jsonld={context}")

    assert result.exit_code == 0, result.output
    store = open_store(out)
    quad = ox.Quad(
        ox.NamedNode("https://example.org/a"), ox.NamedNode(VOCAB + "name"), ox.Literal("A"), ox.NamedNode(PAGE_URL)
    )
    assert quad in store


def test_context_prefix_mapped_to_a_local_folder(tmp_path: Path):
    folder = tmp_path / "contexts"
    (folder / "v1").mkdir(parents=True)
    (folder / "v1" / "ctx.jsonld").write_text(json.dumps({"@context": {"@vocab": VOCAB + "v1/"}}))
    page = dump(f"**Original URL:** {PAGE_URL}", thing("https://example.org/a", "A", context=f'"{VOCAB}v1/ctx.jsonld"'))

    result, _, out = build(tmp_path, {"page.txt": page}, "--context", f"{VOCAB}={folder}")

    assert result.exit_code == 0, result.output
    store = open_store(out)
    assert list(store.quads_for_pattern(None, ox.NamedNode(VOCAB + "v1/name"), ox.Literal("A"), ox.NamedNode(PAGE_URL)))


def test_context_mapped_to_a_file_that_is_not_json(tmp_path: Path):
    context = tmp_path / "vocab.jsonld"
    context.write_text("<html>not json</html>")
    good = dump("**Original URL:** https://example.org/good/", webpage("Good"))
    page = dump(f"**Original URL:** {PAGE_URL}", thing("https://example.org/a", "A", context=f'"{VOCAB}ctx.jsonld"'))

    result, _, out = build(tmp_path, {"good.txt": good, "page.txt": page}, "--context", f"{VOCAB}ctx.jsonld={context}")

    assert result.exit_code == 1, result.output
    assert (
        f"error: page.txt: block 1 (line 5): context {VOCAB}ctx.jsonld is mapped to {context}, which is not JSON"
        in result.output
    )
    assert "2 pages (1 built, 1 failed)" in result.output


# No sockets --------------------------------------------------------------------------------


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every attempt to resolve a host or open a connection, each refused and recorded."""
    attempts: list[str] = []

    def refuse(name: str):
        def guard(*args, **kwargs):
            attempts.append(f"{name}{args[1:] if name.startswith('socket.') else args}")
            raise OSError(f"a test tried to reach the network: {name}")

        return guard

    monkeypatch.setattr(socket.socket, "connect", refuse("socket.connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("socket.connect_ex"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    return attempts


def test_seeds_build_opens_no_socket(seeds_dir: Path, tmp_path: Path, connections: list[str]):
    result = run("build", str(seeds_dir), "-o", str(tmp_path / "out"))

    assert result.exit_code == 0, result.output
    assert connections == []


def test_remote_context_is_refused_without_a_socket(tmp_path: Path, connections: list[str]):
    good = dump("**Original URL:** https://example.org/good/", webpage("Good"))
    page = dump(f"**Original URL:** {PAGE_URL}", thing("https://example.org/a", "A", context=f'"{VOCAB}ctx.jsonld"'))
    result, _, _ = build(tmp_path, {"good.txt": good, "page.txt": page})

    assert result.exit_code == 1, result.output
    assert f"error: page.txt: block 1 (line 5): remote context {VOCAB}ctx.jsonld refused" in result.output
    assert connections == []


def test_a_string_block_is_not_fetched_even_when_fetching_is_allowed(tmp_path: Path, connections: list[str]):
    good = dump("**Original URL:** https://example.org/good/", webpage("Good"))
    page = dump(f"**Original URL:** {PAGE_URL}", f'"{VOCAB}document.jsonld"')
    result, _, _ = build(tmp_path, {"good.txt": good, "page.txt": page}, "--allow-remote-contexts")

    assert result.exit_code == 1, result.output
    assert "error: page.txt: block 1 (line 5): invalid JSON-LD: the block is a JSON string" in result.output
    assert connections == []


def test_the_guard_sees_a_fetch_when_fetching_is_allowed(tmp_path: Path, connections: list[str]):
    """The guard itself works: with --allow-remote-contexts kg does try, and is stopped."""
    page = dump(f"**Original URL:** {PAGE_URL}", thing("https://example.org/a", "A", context=f'"{VOCAB}ctx.jsonld"'))
    result, _, _ = build(tmp_path, {"page.txt": page}, "--allow-remote-contexts")

    assert result.exit_code == 2, result.output
    assert f"error: page.txt: block 1 (line 5): remote context {VOCAB}ctx.jsonld could not be fetched" in result.output
    assert connections
