"""Bad input: every kind gets one clear message naming the file, the rest of the corpus builds,
the summary counts it, and the exit code says so; repairable blocks build with a warning."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pages
import pyoxigraph as ox
import pytest
from click.testing import CliRunner, Result
from conftest import write_files
from pages import dump

from kg.cli.common import main
from kg.readers import READERS
from kg.store import open_store

GOOD_URL = "https://example.org/good/"
BAD_URL = "https://example.org/bad/"
NAME = ox.NamedNode("http://schema.org/name")
KNOWN = ", ".join(sorted(READERS))  # as messages list the kinds kg reads


def html(head: str, body: str = "<p>hello</p>") -> str:
    return pages.html(head=head, body=body)


def webpage(name: str) -> str:
    return f'{{"@context": "https://schema.org", "@type": "WebPage", "name": "{name}"}}'


GOOD_PAGE = dump(GOOD_URL, webpage("Good page"))


def run(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output
    # Every user error ends in an exit code, never in an uncaught exception (CliRunner keeps
    # a SystemExit other than 0 as result.exception).
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def corpus(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    return write_files(tmp_path / "corpus", files)


def graphs(out: Path) -> set[str]:
    store = open_store(out)
    return {graph.value for graph in store.named_graphs()}


def name_of(out: Path, page: str) -> str:
    store = open_store(out)
    names = [quad.object.value for quad in store.quads_for_pattern(ox.NamedNode(page), NAME, None, ox.NamedNode(page))]
    assert len(names) == 1, names
    return names[0]


@dataclass
class Bad:
    file: str
    content: str | bytes
    reason: str  # what follows "error: <file>: "


BAD_PAGES = {
    "json-does-not-parse": Bad(
        "broken.txt",
        dump(BAD_URL, '{"@context": "https://schema.org", "name": }'),
        "block 1 (line 5): JSON does not parse: Expecting value at line 1 column 44",
    ),
    "json-does-not-parse-in-html": Bad(
        "broken.html",
        html(f'<link rel="canonical" href="{BAD_URL}"><script type="application/ld+json">{{"name": "x" "y"}}</script>'),
        "script 1: JSON does not parse: Expecting ',' delimiter at line 1 column 14",
    ),
    "json-does-not-parse-in-jsonld-file": Bad(
        "broken.jsonld", '[{"@id": "https://example.org/x"', "document: JSON does not parse: Expecting ',' delimiter"
    ),
    "invalid-jsonld": Bad(
        "invalid.txt",
        dump(BAD_URL, '{"@context": "https://schema.org", "@id": 42, "name": "x"}'),
        'block 1 (line 5): invalid JSON-LD: invalid @id value: Invalid JSON-LD syntax; "@id" value must be a string.',
    ),
    "invalid-jsonld-context": Bad(
        "context.txt",
        dump(BAD_URL, '{"@context": 42, "name": "x"}'),
        "block 1 (line 5): invalid JSON-LD: invalid local context: Invalid JSON-LD syntax; @context must be an object.",
    ),
    "invalid-jsonld-scalar-document": Bad(
        "scalar.txt",
        dump(BAD_URL, '"https://example.org/elsewhere.jsonld"'),
        "block 1 (line 5): invalid JSON-LD: the block is a JSON string, not an object or array",
    ),
    "invalid-jsonld-null-file": Bad(
        "null.jsonld", "null", "document: invalid JSON-LD: the block is a JSON null, not an object or array"
    ),
    "empty-jsonld-file": Bad("empty.jsonld", "", "empty file: no JSON-LD in it"),
    "binary-dump": Bad(
        "image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary file, not a text dump"
    ),
    "binary-html": Bad("image.html", b"GIF89a\x01\x00\x01\x00\x00\xff\x00,", "binary file, not HTML"),
    "binary-jsonld": Bad("data.jsonld", b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "binary file, not JSON-LD"),
    "undecodable-dump": Bad(
        "latin1.txt",
        dump(BAD_URL, webpage("Caf\xe9")).encode("latin-1"),
        "not UTF-8 text (undecodable byte at offset 98)",
    ),
    "remote-context-refused": Bad(
        "remote.txt",
        dump(BAD_URL, '{"@context": "https://vocab.example.net/ctx.jsonld", "name": "x"}'),
        "block 1 (line 5): remote context https://vocab.example.net/ctx.jsonld refused: kg builds offline; "
        "map it to a local file with --context https://vocab.example.net/ctx.jsonld=FILE "
        "or allow fetching with --allow-remote-contexts",
    ),
}


@pytest.mark.parametrize("kind", list(BAD_PAGES))
def test_bad_page_fails_alone_and_the_good_page_builds(kind: str, tmp_path: Path):
    bad = BAD_PAGES[kind]
    folder = corpus(tmp_path, {"good.txt": GOOD_PAGE, bad.file: bad.content})
    out = tmp_path / "out"

    result = run("build", str(folder), "-o", str(out))

    assert result.exit_code == 1, result.output
    assert f"error: {bad.file}: {bad.reason}" in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, errors  # one message per bad page, not a cascade
    assert "2 pages (1 built, 1 failed)" in result.output
    assert "1 error " in result.output
    assert GOOD_URL in graphs(out)
    assert name_of(out, GOOD_URL) == "Good page"
    assert BAD_URL not in graphs(out)


@pytest.mark.parametrize("kind", ["json-does-not-parse", "binary-dump", "remote-context-refused"])
def test_allow_errors_exits_zero_but_still_reports(kind: str, tmp_path: Path):
    bad = BAD_PAGES[kind]
    folder = corpus(tmp_path, {"good.txt": GOOD_PAGE, bad.file: bad.content})

    result = run("build", str(folder), "-o", str(tmp_path / "out"), "--allow-errors")

    assert result.exit_code == 0, result.output
    assert f"error: {bad.file}: {bad.reason}" in result.output
    assert "2 pages (1 built, 1 failed)" in result.output


def test_messages_and_summary_go_to_stderr(tmp_path: Path):
    bad = BAD_PAGES["binary-dump"]
    folder = corpus(tmp_path, {"good.txt": GOOD_PAGE, bad.file: bad.content})

    result = run("build", str(folder), "-o", str(tmp_path / "out"))

    assert f"error: {bad.file}: {bad.reason}" in result.stderr
    assert "2 pages (1 built, 1 failed)" in result.stderr
    assert result.stdout == ""


def test_only_bad_pages_builds_nothing_and_exits_2(tmp_path: Path):
    bad = BAD_PAGES["invalid-jsonld"]
    folder = corpus(tmp_path, {bad.file: bad.content})
    out = tmp_path / "out"

    result = run("build", str(folder), "-o", str(out), "--allow-errors")

    assert result.exit_code == 2, result.output
    assert f"error: {bad.file}: {bad.reason}" in result.output
    assert "1 page (0 built, 1 failed)" in result.output
    # There was no previous output, so the summary does not claim to have kept one.
    assert "; nothing built\n" in result.output and "previous output kept" not in result.output
    assert not (out / "graph.ttl").exists()


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("missing", "no such file or directory"),
        ("empty-folder", f"no pages found in this folder (kg reads {KNOWN})"),
        ("nothing-*.txt", "no files match this pattern"),
        ("dangling.txt", "broken symbolic link"),
    ],
)
def test_bad_source_beside_a_good_corpus(source: str, reason: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder = corpus(tmp_path, {"good.txt": GOOD_PAGE})
    (tmp_path / "empty-folder").mkdir()
    (tmp_path / "dangling.txt").symlink_to(tmp_path / "gone.txt")
    monkeypatch.chdir(tmp_path)  # sources as the user types them, relative

    result = run("build", "corpus", source, "-o", "out")

    assert result.exit_code == 1, result.output
    assert f"error: {source}: {reason}" in result.output
    assert "1 page (1 built, 1 failed)" in result.output
    assert GOOD_URL in graphs(folder.parent / "out")


def test_missing_path_alone_exits_2_and_keeps_the_previous_build(tmp_path: Path):
    folder = corpus(tmp_path, {"good.txt": GOOD_PAGE})
    out = tmp_path / "out"
    first = run("build", str(folder), "-o", str(out))
    assert first.exit_code == 0, first.output
    before = (out / "graph.ttl").read_bytes()

    missing = tmp_path / "no-such-folder"
    result = run("build", str(missing), "-o", str(out))

    assert result.exit_code == 2, result.output
    assert f"error: {missing}: no such file or directory" in result.output
    assert "0 pages (0 built, 1 failed)" in result.output
    assert "nothing built, previous output kept" in result.output
    assert (out / "graph.ttl").read_bytes() == before
    assert graphs(out) >= {GOOD_URL}


def test_a_corpus_that_only_fails_keeps_the_previous_build(tmp_path: Path):
    out = tmp_path / "out"
    good = corpus(tmp_path, {"good.txt": GOOD_PAGE})
    assert run("build", str(good), "-o", str(out)).exit_code == 0
    before = (out / "graph.ttl").read_bytes()
    bad = BAD_PAGES["binary-dump"]
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / bad.file).write_bytes(bad.content)

    result = run("build", str(broken), "-o", str(out))

    assert result.exit_code == 2, result.output
    assert f"error: {bad.file}: {bad.reason}" in result.output
    assert (out / "graph.ttl").read_bytes() == before
    assert name_of(out, GOOD_URL) == "Good page"


def test_empty_folder_alone_exits_2(tmp_path: Path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.pdf").write_bytes(b"%PDF-1.4")  # not a kind kg reads: the folder has no pages

    result = run("build", str(empty), "-o", str(tmp_path / "out"))

    assert result.exit_code == 2, result.output
    assert f"error: {empty}: no pages found in this folder (kg reads {KNOWN})" in result.output


def test_unsupported_file_named_on_the_command_line(tmp_path: Path):
    folder = corpus(tmp_path, {"good.txt": GOOD_PAGE, "photo.png": b"\x89PNG\r\n"})

    result = run("build", str(folder / "good.txt"), str(folder / "photo.png"), "-o", str(tmp_path / "out"))

    assert result.exit_code == 1, result.output
    assert f"error: photo.png: unsupported file type '.png'; kg reads {KNOWN}" in result.output
    assert "2 pages (1 built, 1 failed)" in result.output


def test_context_mapped_to_a_missing_file(tmp_path: Path):
    url = "https://vocab.example.net/ctx.jsonld"
    folder = corpus(
        tmp_path, {"good.txt": GOOD_PAGE, "mapped.txt": dump(BAD_URL, f'{{"@context": "{url}", "name": "x"}}')}
    )
    missing = tmp_path / "ctx.jsonld"

    result = run("build", str(folder), "-o", str(tmp_path / "out"), "--context", f"{url}={missing}")

    assert result.exit_code == 1, result.output
    expected = f"error: mapped.txt: block 1 (line 5): context {url} is mapped to {missing}, which cannot be read"
    assert expected in result.output
    assert "2 pages (1 built, 1 failed)" in result.output


def test_malformed_context_option_is_a_usage_error(tmp_path: Path):
    result = run("build", "-o", str(tmp_path / "out"), "--context", "https://vocab.example.net/ctx.jsonld")

    assert result.exit_code == 2
    assert "is not URL=FILE" in result.output


def test_a_page_with_one_bad_block_keeps_its_good_blocks(tmp_path: Path):
    page = dump(BAD_URL, webpage("Half good"), '{"@context": "https://schema.org", "name": ')
    folder = corpus(tmp_path, {"good.txt": GOOD_PAGE, "half.txt": page})
    out = tmp_path / "out"

    result = run("build", str(folder), "-o", str(out))

    assert result.exit_code == 1, result.output
    assert "error: half.txt: block 2 (line 9): JSON does not parse" in result.output
    assert "2 pages (1 built, 1 partly built, 0 failed)" in result.output
    assert name_of(out, BAD_URL) == "Half good"


def test_every_bad_kind_in_one_corpus(tmp_path: Path):
    files: dict[str, str | bytes] = {"good.txt": GOOD_PAGE}
    files.update({f"{kind}/{bad.file}": bad.content for kind, bad in BAD_PAGES.items()})
    folder = corpus(tmp_path, files)
    out = tmp_path / "out"

    result = run("build", str(folder), "-o", str(out))

    assert result.exit_code == 1, result.output
    for kind, bad in BAD_PAGES.items():
        assert f"error: {kind}/{bad.file}: {bad.reason}" in result.output
    assert f"{len(BAD_PAGES) + 1} pages (1 built, {len(BAD_PAGES)} failed)" in result.output
    assert graphs(out) & {GOOD_URL, BAD_URL} == {GOOD_URL}


# Repairs: common breakage in the wild builds, with a warning naming the file and the repair.

REPAIRS = {
    "trailing-comma": (
        "trailing.txt",
        dump(BAD_URL, '{"@context": "https://schema.org", "@type": "WebPage", "name": "Repaired",}'),
        "block 1 (line 5): repaired: trailing commas or comments (Expecting property name enclosed in double quotes",
        "Repaired",
    ),
    "trailing-comma-in-array": (
        "array.txt",
        dump(BAD_URL, '[{"@context": "https://schema.org", "@type": "WebPage", "name": "Repaired"},]'),
        "block 1 (line 5): repaired: trailing commas or comments",
        "Repaired",
    ),
    "html-comment-around-block": (
        "commented.html",
        html(
            f'<link rel="canonical" href="{BAD_URL}">'
            f'<script type="application/ld+json"><!--\n{webpage("Repaired")}\n--></script>'
        ),
        "script 1: repaired: removed HTML comment or CDATA markers around the block",
        "Repaired",
    ),
    "cdata-around-block": (
        "cdata.html",
        html(
            f'<link rel="canonical" href="{BAD_URL}">'
            f'<script type="application/ld+json">//<![CDATA[\n{webpage("Repaired")}\n//]]></script>'
        ),
        "script 1: repaired: removed HTML comment or CDATA markers around the block",
        "Repaired",
    ),
    "raw-newline-and-tab-in-string": (
        "controls.txt",
        dump(BAD_URL, '{"@context": "https://schema.org", "@type": "WebPage", "name": "line one\nline\ttwo"}'),
        "block 1 (line 5): repaired: escaped control characters inside strings",
        "line one\nline\ttwo",
    ),
}


@pytest.mark.parametrize("kind", list(REPAIRS))
def test_repairable_block_builds_with_a_warning(kind: str, tmp_path: Path):
    file, content, warning, name = REPAIRS[kind]
    folder = corpus(tmp_path, {"good.txt": GOOD_PAGE, file: content})
    out = tmp_path / "out"

    result = run("build", str(folder), "-o", str(out))

    assert result.exit_code == 0, result.output
    assert f"warning: {file}: {warning}" in result.output
    assert "error:" not in result.output
    assert "2 pages (2 built, 0 failed)" in result.output
    assert name_of(out, BAD_URL) == name
    assert name_of(out, GOOD_URL) == "Good page"


def test_empty_script_is_skipped_with_a_warning(tmp_path: Path):
    page = html(
        f'<link rel="canonical" href="{BAD_URL}"><script type="application/ld+json">  </script>'
        f'<script type="application/ld+json">{webpage("Second script")}</script>'
    )
    folder = corpus(tmp_path, {"good.txt": GOOD_PAGE, "page.html": page})
    out = tmp_path / "out"

    result = run("build", str(folder), "-o", str(out))

    assert result.exit_code == 0, result.output
    assert "warning: page.html: script 1 is empty; skipped" in result.output
    assert name_of(out, BAD_URL) == "Second script"


def test_jsonld_without_triples_is_counted_apart(tmp_path: Path):
    folder = corpus(tmp_path, {"good.txt": GOOD_PAGE, "bare.txt": dump(BAD_URL, '{"name": "no context"}')})

    result = run("build", str(folder), "-o", str(tmp_path / "out"))

    assert result.exit_code == 0, result.output
    assert "warning: bare.txt: its JSON-LD holds no triples" in result.output
    assert "2 pages (1 built, 0 failed, 1 without triples)" in result.output


def test_a_block_without_triples_beside_good_ones_is_named(tmp_path: Path):
    page = dump(BAD_URL, webpage("Has a second block"), '{"name": "no context"}')
    folder = corpus(tmp_path, {"good.txt": GOOD_PAGE, "mixed.txt": page})
    out = tmp_path / "out"

    result = run("build", str(folder), "-o", str(out))

    assert result.exit_code == 0, result.output
    assert "warning: mixed.txt: block 2 (line 9): holds no triples (no @context" in result.output
    assert "2 pages (2 built, 0 failed)" in result.output
    assert name_of(out, BAD_URL) == "Has a second block"


# Unusual but legal JSON-LD: whichever path converts it, the page builds and nothing crashes.

UNUSUAL_PAGE = '{"@context": "https://schema.org", "@type": "WebPage", "name": "Unusual", '
UNUSUAL = {
    "empty-key": UNUSUAL_PAGE + '"": 1}',
    "lone-surrogate": UNUSUAL_PAGE + '"alternateName": "a\\ud800b"}',
    "huge-integer": UNUSUAL_PAGE + '"position": 1234567890123456789012345}',
    "nan-and-infinity": UNUSUAL_PAGE + '"width": NaN, "height": 1e400}',
    "empty-type": '{"@context": "https://schema.org", "@type": ["WebPage", ""], "name": "Unusual"}',
    "nulls": UNUSUAL_PAGE + '"about": [null, {}, []]}',
    "nul-character": UNUSUAL_PAGE + '"text": "a\\u0000b"}',
    "context-list": '{"@context": ["http://schema.org/", {"ex": "https://example.org/v#"}], '
    '"@type": "WebPage", "name": "Unusual", "ex:p": 1}',
}


@pytest.mark.parametrize("kind", list(UNUSUAL))
def test_unusual_jsonld_builds(kind: str, tmp_path: Path):
    folder = corpus(tmp_path, {"good.txt": GOOD_PAGE, "unusual.txt": dump(BAD_URL, UNUSUAL[kind])})
    out = tmp_path / "out"

    result = run("build", str(folder), "-o", str(out))

    assert result.exit_code == 0, result.output
    assert "2 pages (2 built, 0 failed)" in result.output
    assert name_of(out, BAD_URL) == "Unusual"


def test_unpaired_surrogate_is_replaced_with_a_warning(tmp_path: Path):
    folder = corpus(tmp_path, {"good.txt": GOOD_PAGE, "odd.txt": dump(BAD_URL, webpage("a\\ud800b"))})
    out = tmp_path / "out"

    result = run("build", str(folder), "-o", str(out))

    assert result.exit_code == 0, result.output
    assert (
        "warning: odd.txt: block 1 (line 5): repaired: replaced unpaired surrogate escapes (not Unicode) with U+FFFD"
        in result.output
    )
    assert name_of(out, BAD_URL) == "a\ufffdb"
