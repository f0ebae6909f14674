"""Glossaries marked up with schema.org's own glossary vocabulary: DefinedTermSet, hasDefinedTerm,
inDefinedTermSet. The seeds list their definitions with schema:hasPart from an area page; many
other glossary sites describe the same structure this way, and must give the same concept layer."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import build_corpus, query_rows
from pages import html

SITE = "https://glossary.example/"
GLOSSARY = SITE + "glossary/"
NONCE = SITE + "glossary/nonce/"
HASH_RATE = SITE + "glossary/hash-rate/"
MEMPOOL = SITE + "glossary/mempool/"
ONE_PAGE = SITE + "wallet-words/"


def term_page(url: str, name: str, description: str, *, term_id: str | None = None) -> str:
    """A term page as many sites write it: a WebPage whose main entity is the DefinedTerm."""
    term = {
        "@type": "DefinedTerm",
        "name": name,
        "description": description,
        "inDefinedTermSet": GLOSSARY,
        "url": url,
    }
    if term_id:
        term["@id"] = term_id
    page = {"@context": "https://schema.org", "@type": "WebPage", "name": f"{name} | Example", "mainEntity": term}
    return html(url, page)


CORPUS = {
    # The glossary's index: the set is the page (its url), and lists two of its terms; one
    # only by URL, one with an @id anchor that its own page uses too.
    "glossary.html": html(
        GLOSSARY,
        {
            "@context": "https://schema.org",
            "@type": "DefinedTermSet",
            "name": "Mining glossary",
            "url": GLOSSARY,
            "hasDefinedTerm": [
                {"@type": "DefinedTerm", "name": "Nonce", "url": NONCE},
                {"@type": "DefinedTerm", "@id": HASH_RATE + "#term", "name": "Hash rate", "url": HASH_RATE},
            ],
        },
    ),
    "nonce.html": term_page(NONCE, "Nonce", "A number a miner varies until the block hash meets the target."),
    "hash-rate.html": term_page(
        HASH_RATE, "Hash rate", "How many hashes the miners compute per second.", term_id=HASH_RATE + "#term"
    ),
    # Not listed by the index: it says itself which set it belongs to.
    "mempool.html": term_page(MEMPOOL, "Mempool", "The transactions a node holds that no block includes yet."),
    # A one-page glossary: the set and its terms are fragments of one page.
    "wallet-words.html": html(
        ONE_PAGE,
        {
            "@context": "https://schema.org",
            "@type": "DefinedTermSet",
            "@id": ONE_PAGE + "#set",
            "name": "Wallet words",
            "hasDefinedTerm": [
                {"@type": "DefinedTerm", "@id": ONE_PAGE + "#seed-phrase", "name": "Seed phrase"},
                {"@type": "DefinedTerm", "@id": ONE_PAGE + "#cold-storage", "name": "Cold storage"},
            ],
        },
    ),
}


@pytest.fixture(scope="module")
def glossary_build(tmp_path_factory) -> Path:
    return build_corpus(tmp_path_factory.mktemp("glossary"), CORPUS)


def test_a_defined_term_set_is_an_area_of_its_terms(glossary_build: Path):
    rows = {(area, definition) for area, _, definition, _ in query_rows(glossary_build, "area-definitions")}
    assert rows == {
        (GLOSSARY, NONCE),  # listed by URL: one node with the term page
        (GLOSSARY, HASH_RATE + "#term"),  # listed by @id: the same node its page describes
        (GLOSSARY, MEMPOOL),  # not listed, but its page names the set
        (ONE_PAGE + "#set", ONE_PAGE + "#seed-phrase"),
        (ONE_PAGE + "#set", ONE_PAGE + "#cold-storage"),
    }


def test_labels_and_definitions_come_from_the_term_s_own_markup(glossary_build: Path):
    labels = {area: label for area, label, _, _ in query_rows(glossary_build, "area-definitions")}
    assert labels == {GLOSSARY: "Mining glossary", ONE_PAGE + "#set": "Wallet words"}
    found = query_rows(glossary_build, "search", "--bind", "text=hashes the miners")
    assert [row[0] for row in found] == [HASH_RATE + "#term"]


def test_a_term_page_about_a_listed_term_is_not_a_second_concept(glossary_build: Path):
    # The hash-rate page's main entity is the listed term: the term is the concept, the
    # page is only where it is described.
    rows = query_rows(
        glossary_build,
        "-e",
        f"SELECT ?kind WHERE {{ GRAPH kgg:concepts {{ <{HASH_RATE}> kg:kind ?kind }} }}",
    )
    assert rows == []
    kinds = query_rows(
        glossary_build,
        "-e",
        "SELECT ?kind (COUNT(?c) AS ?n) WHERE { GRAPH kgg:concepts { ?c kg:kind ?kind } } GROUP BY ?kind",
    )
    assert dict(kinds) == {"area": "2", "definition": "5"}
