"""A corpus of hostile and broken pages beside good ones: each gets a message naming it,
the good pages build, nothing hangs or crashes, and the exports still parse.

The build runs as a real process (`python -m kg build`), under a wall-clock limit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pages
import pyoxigraph as ox
import pytest
from pages import dump

from kg.store import open_store

SITE = "https://hostile.example.org"
GOOD_URLS = [f"{SITE}/area/good-one/", f"{SITE}/area/good-two/"]


def thing(name: str, **extra) -> str:
    return json.dumps({"@context": "https://schema.org", "@type": "DefinedTerm", "name": name, **extra})


def html(url: str | None, script: str, charset: str = "utf-8") -> str:
    return pages.html(url, script, charset=charset, body="x")


# name -> (content: str | bytes, level, what the message says)
KINDS: dict[str, tuple[str | bytes, str, str]] = {
    "trailing comma.txt": (
        dump(f"{SITE}/t/1", '{"@context": "https://schema.org", "name": "A",}'),
        "warning",
        "repaired: trailing commas or comments",
    ),
    "truncated.txt": (
        dump(f"{SITE}/t/2", '{"@context": "https://schema.org", "name": "A'),
        "error",
        "JSON does not parse",
    ),
    "control-characters.txt": (
        dump(f"{SITE}/t/3", '{"@context": "https://schema.org", "name": "A\tB\nC"}'),
        "warning",
        "escaped control characters",
    ),
    "duplicate-keys.txt": (
        dump(f"{SITE}/t/4", '{"@context": "https://schema.org", "name": "A", "name": "B"}'),
        "warning",
        "duplicate key 'name' in an object: the last value is kept",
    ),
    "comments.txt": (
        dump(f"{SITE}/t/5", '{"@context": "https://schema.org", /* note */ "name": "A" // end\n}'),
        "warning",
        "repaired: trailing commas or comments",
    ),
    "context-number.txt": (
        dump(f"{SITE}/t/6", '{"@context": 5, "name": "A"}'),
        "error",
        "invalid JSON-LD: invalid local context",
    ),
    "context-cycle.txt": (
        dump(f"{SITE}/t/7", '{"@context": "http://cycle.example/a.jsonld", "name": "A"}'),
        "error",
        "Cyclical @context URLs detected",
    ),
    "unknown-keyword.txt": (
        dump(f"{SITE}/t/8", '{"@context": "https://schema.org", "@foo": 1, "name": "A"}'),
        "warning",
        "unknown keyword '@foo' ignored",
    ),
    "remote-context.txt": (
        dump(f"{SITE}/t/9", '{"@context": "https://contexts.example.net/c.jsonld", "name": "A"}'),
        "error",
        "remote context https://contexts.example.net/c.jsonld refused",
    ),
    "graph-document.jsonld": (
        json.dumps(
            {
                "@context": "https://schema.org",
                "@graph": [{"@type": "DefinedTerm", "@id": f"{SITE}/g/1", "name": "In a graph"}],
            }
        ),
        "warning",
        "a JSON-LD file names no page URL",
    ),
    "deep-nesting.txt": (
        dump(
            f"{SITE}/t/10", '{"@context": "https://schema.org", "about": ' + '{"about": ' * 20000 + "{}" + "}" * 20001
        ),
        "error",
        "nested too deeply",
    ),
    "iri-space.txt": (
        dump(f"{SITE}/t/11", thing("Spaced", url="https://x.example/a b")),
        "warning",
        "ill-formed IRI 'https://x.example/a b' in 'url'",
    ),
    "iri-angle.txt": (
        dump(f"{SITE}/t/12", thing("Angled", **{"@id": "https://x.example/<b>"})),
        "warning",
        "ill-formed IRI 'https://x.example/<b>' in '@id'",
    ),
    "iri-quote.txt": (
        dump(f"{SITE}/t/13", thing("Quoted", sameAs='https://x.example/"q"')),
        "warning",
        "ill-formed IRI 'https://x.example/\"q\"' in 'sameAs'",
    ),
    "html-comment.html": (
        html(f"{SITE}/t/14", "<!-- " + thing("Commented") + " -->"),
        "warning",
        "removed HTML comment or CDATA markers",
    ),
    "script-in-string.html": (html(f"{SITE}/t/15", thing("Ends </script> early")), "error", "JSON does not parse"),
    "binary.txt": (bytes(range(256)) * 4, "error", "binary file"),
    "no-url.txt": (dump(None, thing("Nowhere")), "warning", "no **Original URL:** line; using its file: IRI"),
    "undecodable.txt": ("Caf\xe9 ".encode("latin-1") * 10, "error", "not UTF-8 text"),
}
# Kinds that build (with or without a warning) and must come out right.
BUILDS = {
    "utf16.html": (html(f"{SITE}/t/16", thing("Sixteen bits: ü")).encode("utf-16"), "Sixteen bits: ü"),
    "latin1.html": (
        html(f"{SITE}/t/17", thing("Latin-1: café"), charset="iso-8859-1").encode("latin-1"),
        "Latin-1: café",
    ),
    "big-string.txt": (dump(f"{SITE}/t/18", thing("Big", description="x" * 5_000_000)), "Big"),
    "javascript-url.txt": (dump(f"{SITE}/t/19", thing("Scripted", url="javascript:alert(1)")), "Scripted"),
    "ünïcødé 页面.txt": (dump(f"{SITE}/t/20", thing("Unicode file name")), "Unicode file name"),
}


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path, float]:
    root = tmp_path_factory.mktemp("hostile")
    corpus = root / "corpus"
    corpus.mkdir()
    for url, name in zip(GOOD_URLS, ("good-one.txt", "good-two.txt"), strict=True):
        (corpus / name).write_text(dump(url, thing(f"Good {name}")), "utf-8")
    for name, (content, _, _) in KINDS.items():
        target = corpus / name
        target.write_bytes(content) if isinstance(content, bytes) else target.write_text(content, "utf-8")
    for name, (content, _) in BUILDS.items():
        target = corpus / name
        target.write_bytes(content) if isinstance(content, bytes) else target.write_text(content, "utf-8")
    os.symlink(".", corpus / "loop")  # a folder link back to itself
    contexts = root / "contexts"
    contexts.mkdir()
    (contexts / "a.jsonld").write_text('{"@context": "http://cycle.example/b.jsonld"}', "utf-8")
    (contexts / "b.jsonld").write_text('{"@context": "http://cycle.example/a.jsonld"}', "utf-8")
    out = root / "out"
    started = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kg",
            "build",
            str(corpus),
            "-o",
            str(out),
            "-v",
            "--context",
            f"http://cycle.example/={contexts}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    return result, out, time.monotonic() - started


def test_no_crash_and_a_failing_exit_code(hostile_build):
    result, _, seconds = hostile_build
    assert "Traceback" not in result.stderr
    assert result.returncode == 1, result.stderr
    assert seconds < 120


@pytest.mark.parametrize("name", sorted(KINDS))
def test_each_kind_is_named_with_its_reason(hostile_build, name: str):
    result, _, _ = hostile_build
    _, level, reason = KINDS[name]
    lines = [line for line in result.stderr.splitlines() if line.startswith(f"{level}: {name}")]
    assert any(reason in line for line in lines), f"{level} for {name} saying {reason!r}:\n{result.stderr}"


def test_symlink_loop_is_noted_not_followed(hostile_build):
    result, _, _ = hostile_build
    assert "warning: loop: symbolic link to a folder not followed" in result.stderr


def test_good_pages_and_odd_but_valid_pages_build(hostile_build):
    _, out, _ = hostile_build
    store = open_store(out)
    for url in GOOD_URLS:
        assert store.contains_named_graph(ox.NamedNode(url))
    text = (out / "graph.ttl").read_text("utf-8")
    for name, (_, expected) in BUILDS.items():
        assert expected in text, name


def test_exports_parse_back(hostile_build, tmp_path: Path):
    # Oxigraph's parsers are strict (and fast on the 5 MB literal, where rdflib's are not).
    _, out, _ = hostile_build
    turtle = list(ox.parse(path=str(out / "graph.ttl"), format=ox.RdfFormat.TURTLE))
    assert len(turtle) > 20
    nquads = tmp_path / "all.nq"
    subprocess.run(
        [sys.executable, "-m", "kg", "export", "-o", str(out), "-f", "nquads", "--to", str(nquads)],
        check=True,
        timeout=120,
    )
    quads = list(ox.parse(path=str(nquads), format=ox.RdfFormat.N_QUADS))
    assert len(quads) > len(turtle)
    assert {q.graph_name.value for q in quads} >= set(GOOD_URLS)


def test_time_budget_stops_a_page(tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "slow.txt").write_text(dump(f"{SITE}/slow/", thing("Slow", description="y" * 3_000_000)), "utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "kg", "build", str(corpus), "-o", str(tmp_path / "out"), "--page-timeout", "0.0001"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "error: slow.txt: took longer than 0.0001 s to read; stopped" in result.stderr
    assert "Traceback" not in result.stderr
