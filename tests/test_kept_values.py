"""Values kept where they used to be dropped (issue 20 part 3) and one page that cannot sink a
build (issue 21 part 4): the pages are written here, in the shape of WordPress recipe and
news pages."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pages
import pyoxigraph as ox
import pytest
from click.testing import CliRunner, Result
from conftest import write_files

from kg.cli.common import main
from kg.store import open_store

SITE = "https://crumbs.example/"
SCHEMA = "http://schema.org/"


def page(url: str, *scripts: str, head: str = "") -> str:
    """A saved HTML page: a canonical link and its JSON-LD scripts, written as given."""
    return pages.html(url, *scripts, head=head, charset="utf-8", title="t", body="<p>Text.</p>")


def recipe(url: str, name: str, **extra) -> dict:
    return {"@context": "https://schema.org", "@type": "Recipe", "@id": url + "#recipe", "name": name, **extra}


def run(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def objects(out: Path, subject: str, predicate: str) -> set[str]:
    store = open_store(out)
    found = store.quads_for_pattern(ox.NamedNode(subject), ox.NamedNode(SCHEMA + predicate), None, None)
    return {quad.object.value for quad in found}


def warnings_of(result: Result, file: str) -> list[str]:
    prefix = f"warning: {file}: "
    return [line[len(prefix) :] for line in result.output.splitlines() if line.startswith(prefix)]


# -- 3a: IRIs RDF cannot hold are kept percent-encoded --------------------------------------

WEBSITE = {
    "@context": "https://schema.org",
    "@graph": [
        {
            "@type": "WebSite",
            "@id": SITE + "#website",
            "url": SITE,
            "name": "Crumbs",
            "potentialAction": {
                "@type": "SearchAction",
                "target": SITE + "?s={search_term_string}",
                "query-input": "required name=search_term_string",
            },
        },
        {
            "@type": "Recipe",
            "@id": SITE + "lemon-bars/#recipe",
            "name": "Lemon Bars",
            "image": "https://cdn.crumbs.example/2026/lemon|bars.jpg",
            "sameAs": ["https://crumbs.example/lemon-bars}", "ht tp://crumbs.example/"],
        },
    ],
}


@pytest.mark.parametrize("path", ["fast", "pyld"])
def test_ill_formed_iris_are_kept_percent_encoded_with_one_warning_each(path: str, tmp_path: Path):
    document = json.loads(json.dumps(WEBSITE))
    if path == "pyld":  # @reverse is JSON-LD the fast path leaves to pyld
        document["@graph"][0]["@reverse"] = {"publisher": {"@id": SITE + "about/"}}
    folder = write_files(tmp_path / "pages", {"lemon-bars.html": page(SITE + "lemon-bars/", json.dumps(document))})
    out = tmp_path / "out"

    result = run("build", str(folder), "-o", str(out))

    assert result.exit_code == 0, result.output
    assert f"JSON-LD: {1 if path == 'fast' else 0} blocks by the fast path" in result.output
    search = next(iter(objects(out, SITE + "#website", "potentialAction")))
    assert objects(out, search, "target") == {SITE + "?s=%7Bsearch_term_string%7D"}
    assert objects(out, SITE + "lemon-bars/#recipe", "image") == {"https://cdn.crumbs.example/2026/lemon%7Cbars.jpg"}
    assert objects(out, SITE + "lemon-bars/#recipe", "sameAs") == {"https://crumbs.example/lemon-bars%7D"}
    # One warning per value, kept or dropped; nothing else about IRIs.
    assert warnings_of(result, "lemon-bars.html") == [
        f"script 1: ill-formed IRI {SITE + '?s={search_term_string}'!r} in 'target': kept, percent-encoded as "
        f"{SITE + '?s=%7Bsearch_term_string%7D'!r}",
        "script 1: ill-formed IRI 'https://cdn.crumbs.example/2026/lemon|bars.jpg' in 'image': kept, "
        "percent-encoded as 'https://cdn.crumbs.example/2026/lemon%7Cbars.jpg'",
        "script 1: ill-formed IRI 'https://crumbs.example/lemon-bars}' in 'sameAs': kept, "
        "percent-encoded as 'https://crumbs.example/lemon-bars%7D'",
        "script 1: ill-formed IRI 'ht tp://crumbs.example/' in 'sameAs': no encoding makes it valid; "
        "dropped with its triple",
    ]


def test_an_ill_formed_iri_in_two_scripts_of_a_page_is_reported_once(tmp_path: Path):
    # A theme and an SEO plugin each print the site's search action.
    search = {
        "@context": "https://schema.org",
        "@type": "WebSite",
        "url": SITE,
        "potentialAction": {"@type": "SearchAction", "target": SITE + "?s={search_term_string}"},
    }
    scripts = (json.dumps(search), json.dumps({**search, "name": "Crumbs"}))
    folder = write_files(tmp_path / "pages", {"home.html": page(SITE, *scripts)})

    result = run("build", str(folder), "-o", str(tmp_path / "out"))

    assert result.exit_code == 0, result.output
    assert len(warnings_of(result, "home.html")) == 1, result.output


# -- 3c: comments with text and a statement's ";" around the JSON ---------------------------

REPAIRED_SCRIPTS = {
    "comment-before": (
        "<!-- This site is optimized with a SEO plugin v21 --> " + json.dumps(recipe(SITE + "a/", "Flapjacks")),
        "repaired: removed HTML comments before or after the block",
    ),
    "comment-after": (
        json.dumps(recipe(SITE + "a/", "Flapjacks")) + "\n<!-- / SEO plugin -->",
        "repaired: removed HTML comments before or after the block",
    ),
    "semicolon": (json.dumps(recipe(SITE + "a/", "Flapjacks")) + ";", "repaired: removed ';' after the JSON"),
    "brace-and-semicolon": (
        json.dumps(recipe(SITE + "a/", "Flapjacks")) + "};",
        "repaired: removed '};' after the JSON",
    ),
}


@pytest.mark.parametrize("kind", list(REPAIRED_SCRIPTS))
def test_comments_and_semicolons_around_a_script_are_repaired_and_reported(kind: str, tmp_path: Path):
    script, warning = REPAIRED_SCRIPTS[kind]
    folder = write_files(tmp_path / "pages", {"flapjacks.html": page(SITE + "a/", script)})
    out = tmp_path / "out"

    result = run("build", str(folder), "-o", str(out))

    assert result.exit_code == 0, result.output
    assert warnings_of(result, "flapjacks.html") == [f"script 1: {warning}"]
    assert objects(out, SITE + "a/#recipe", "name") == {"Flapjacks"}


# -- 3d: schema.org's own hosts resolve to the bundled context, offline ---------------------

SCHEMAORG_SPELLINGS = [
    f"{scheme}://{host}{slash}"
    for host in (
        "schema.org",
        "schema.googleapis.com",
        "pending.schema.org",
        "health-lifesci.schema.org",
        "bib.schema.org",
        "auto.schema.org",
    )
    for scheme in ("http", "https")
    for slash in ("", "/")
] + ["https://schema.org/docs/jsonldcontext.jsonld", "http://schema.org/docs/jsonldcontext.json"]


def test_every_spelling_of_schema_org_s_context_builds_offline(tmp_path: Path):
    files = {
        f"p{number:02}.html": page(
            f"{SITE}p/{number}/", json.dumps({**recipe(f"{SITE}p/{number}/", f"Cake {number}"), "@context": context})
        )
        for number, context in enumerate(SCHEMAORG_SPELLINGS)
    }
    folder = write_files(tmp_path / "pages", files)
    out = tmp_path / "out"

    result = run("build", str(folder), "-o", str(out))  # no --allow-remote-contexts: offline

    assert result.exit_code == 0, result.output
    assert f"{len(SCHEMAORG_SPELLINGS)} pages ({len(SCHEMAORG_SPELLINGS)} built, 0 failed)" in result.output
    assert "0 warnings, 0 errors" in result.output
    for number in range(len(SCHEMAORG_SPELLINGS)):
        assert objects(out, f"{SITE}p/{number}/#recipe", "name") == {f"Cake {number}"}


# -- issue 21 part 4: one page cannot sink the build ----------------------------------------

BIG_TEXT = "Stir the batter. " * 1_000_000  # one JSON string of 17 MB


def test_a_page_with_a_17_mb_string_builds_and_so_do_the_others(tmp_path: Path):
    big = recipe(SITE + "big/", "Endless Instructions", recipeInstructions=BIG_TEXT)
    folder = write_files(
        tmp_path / "pages",
        {
            "big.html": page(SITE + "big/", json.dumps(big)),
            "small.html": page(SITE + "small/", json.dumps(recipe(SITE + "small/", "Shortbread"))),
        },
    )
    out = tmp_path / "out"

    result = run("build", str(folder), "-o", str(out))

    assert result.exit_code == 0, result.output
    assert "2 pages (2 built, 0 failed)" in result.output
    assert objects(out, SITE + "small/#recipe", "name") == {"Shortbread"}
    assert {len(text) for text in objects(out, SITE + "big/#recipe", "recipeInstructions")} == {len(BIG_TEXT)}


def test_a_failure_inside_one_page_s_conversion_is_that_page_s_error(tmp_path: Path, monkeypatch):
    # Whatever a library raises on one page (here a MemoryError from reconciliation, as
    # Oxigraph's parser raised on a 17 MB string), that page fails and the rest commits.
    build_module = importlib.import_module("kg.convert")  # where a page is reconciled
    real = build_module.reconcile

    def failing(quads, page, *args, **kwargs):
        if page.value == SITE + "bad/":
            raise MemoryError("Reached the buffer maximal size of 16777216")
        return real(quads, page, *args, **kwargs)

    monkeypatch.setattr(build_module, "reconcile", failing)
    folder = write_files(
        tmp_path / "pages",
        {
            "bad.html": page(SITE + "bad/", json.dumps(recipe(SITE + "bad/", "Trouble"))),
            "good.html": page(SITE + "good/", json.dumps(recipe(SITE + "good/", "Scones"))),
        },
    )
    out = tmp_path / "out"

    result = run("build", str(folder), "-o", str(out))

    assert result.exit_code == 1, result.output
    assert (
        "error: bad.html: conversion failed (MemoryError: Reached the buffer maximal size of 16777216)" in result.output
    )
    assert "2 pages (1 built, 1 failed)" in result.output
    assert objects(out, SITE + "good/#recipe", "name") == {"Scones"}


# -- 3b: two files of one page: the second is merged into the page's graph ------------------

KG = "urn:kg:vocab:"
PROVENANCE = ox.NamedNode("urn:kg:graph:provenance")
LEMON = SITE + "lemon-curd/"
# A crawl saved the page twice: a thin copy (the site's WebPage node) and the full one (a Recipe).
THIN = page(
    LEMON, json.dumps({"@context": "https://schema.org", "@type": "WebPage", "@id": LEMON, "name": "Lemon Curd"})
)
FULL = page(LEMON, json.dumps(recipe(LEMON, "Lemon Curd", recipeYield="2 jars", recipeIngredient=["4 lemons"])))


def provenance(out: Path, subject: str) -> dict[str, set[str]]:
    store = open_store(out)
    found: dict[str, set[str]] = {}
    for quad in store.quads_for_pattern(ox.NamedNode(subject), None, None, PROVENANCE):
        found.setdefault(quad.predicate.value.removeprefix(KG), set()).add(quad.object.value)
    return found


def merged_sources(out: Path, page_url: str) -> set[str]:
    store = open_store(out)
    merged = store.quads_for_pattern(None, ox.NamedNode(KG + "mergedInto"), ox.NamedNode(page_url), PROVENANCE)
    return {next(iter(provenance(out, quad.subject.value)["sourcePath"])) for quad in merged}


def test_two_files_of_one_page_are_merged_into_its_graph_with_both_as_sources(tmp_path: Path):
    folder = write_files(tmp_path / "pages", {"a-lemon-curd.html": THIN, "b-lemon-curd-full.html": FULL})
    out = tmp_path / "out"

    result = run("build", str(folder), "-o", str(out))

    assert result.exit_code == 0, result.output
    assert (
        "warning: b-lemon-curd-full.html: same page URL as a-lemon-curd.html: its JSON-LD is merged into that "
        "page's graph" in result.output
    )
    assert "1 file with the page URL of another, merged into its page" in result.output
    # Both files' JSON-LD is in the page's one graph: nothing of the second is lost.
    assert objects(out, LEMON, "name") == {"Lemon Curd"}
    assert objects(out, LEMON + "#recipe", "recipeYield") == {"2 jars"}
    assert {graph.value for graph in open_store(out).named_graphs()} >= {LEMON}
    # Both are its sources in provenance.
    assert provenance(out, LEMON)["sourcePath"] == {"a-lemon-curd.html"}
    assert merged_sources(out, LEMON) == {"b-lemon-curd-full.html"}


def test_an_incremental_build_reads_both_files_of_a_merged_page_again(tmp_path: Path):
    other = page(SITE + "scones/", json.dumps(recipe(SITE + "scones/", "Scones")))
    files = {"a-lemon-curd.html": THIN, "b-lemon-curd-full.html": FULL, "c-scones.html": other}
    folder = write_files(tmp_path / "pages", files)
    out = tmp_path / "out"
    assert run("build", str(folder), "-o", str(out)).exit_code == 0

    # The thin copy changes: the page's graph goes, and both files fill it again.
    (folder / "a-lemon-curd.html").write_text(THIN.replace('"Lemon Curd"', '"Lemon Curd, Quick"'), "utf-8")
    result = run("build", str(folder), "-o", str(out))

    assert result.exit_code == 0, result.output
    assert "incremental: 1 pages unchanged, 2 read, 0 removed" in result.output
    assert objects(out, LEMON, "name") == {"Lemon Curd, Quick"}
    assert objects(out, LEMON + "#recipe", "recipeYield") == {"2 jars"}

    # The full copy goes: the page keeps only what the thin one says.
    (folder / "b-lemon-curd-full.html").unlink()
    result = run("build", str(folder), "-o", str(out))

    assert result.exit_code == 0, result.output
    assert "incremental: 1 pages unchanged, 1 read, 1 removed" in result.output
    assert objects(out, LEMON + "#recipe", "recipeYield") == set()
    assert objects(out, LEMON, "name") == {"Lemon Curd, Quick"}
    assert merged_sources(out, LEMON) == set()
