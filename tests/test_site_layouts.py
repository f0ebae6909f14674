"""How a glossary site spreads its areas and definitions over pages, beyond the seeds: an area
listed over several numbered pages (/area/x/resource/2/), and definition pages that no area
of the corpus lists."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import build_corpus, query_rows
from pages import dump

SITE = "https://glossary.example.net/"
TRADING = SITE + "area/short-term-trading/"
PRICING = SITE + "area/option-pricing/"  # only its numbered pages are in the corpus


def definition(slug: str, kind: str = "definition") -> str:
    return f"{SITE}{kind}/{slug}/"


SPREAD = definition("spread")
ASK = definition("ask-price")
THETA = definition("theta")
TIME_SPREAD = definition("time-spread", "term")
VEGA = definition("vega")
GAMMA = definition("gamma")  # a page of its own, listed by no area
DELTA = SITE + "words/delta/"  # a DefinedTerm page outside the definition paths, listed by no area
NONCE = SITE + "glossary/nonce/"  # a WordPress page: its name is its title tag
A_TO_Z = SITE + "a-z/"  # an index page that lists its definitions as an ItemList
ROLLOVER = definition("rollover")  # only a title tag for a label, HTML in its description
RHO = definition("rho")
CONDOR = definition("iron-condor", "term")


def area_page(url: str, headline: str, members: dict[str, str], *more: dict) -> str:
    parts = [{"@type": "Article", "@id": iri, "url": iri, "headline": name} for iri, name in members.items()]
    page = {
        "@context": "https://schema.org",
        "@type": "CollectionPage",
        "headline": headline,
        "description": f"What {headline.split(' ⎊ ')[0]} covers.",
        "url": url,
        "hasPart": parts,
    }
    crumbs = {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": 1, "name": "Home", "item": SITE},
            {"@type": "ListItem", "position": 2, "name": "Area", "item": SITE + "area/"},
            {"@type": "ListItem", "position": 3, "name": headline.split(" ⎊ ")[0], "item": url},
        ],
    }
    return dump(url, crumbs, page, *more)


CORPUS = {
    "trading.txt": area_page(
        TRADING,
        "Short Term Trading ⎊ Area ⎊ Greeks.live",
        {SPREAD: "Spread", ASK: "Ask Price"},
        {
            "@context": "https://schema.org",
            "@type": "FAQPage",
            "mainEntity": [
                {
                    "@type": "Question",
                    "name": "What is the Horizon of Short Term Trading?",
                    "acceptedAnswer": {
                        "@type": "Answer",
                        "text": "<p>Days, <strong>not</strong> months.</p><p>Often hours.</p>",
                    },
                }
            ],
        },
    ),
    "rollover.txt": dump(
        ROLLOVER,
        {
            "@context": "https://schema.org",
            "@type": "WebPage",
            "name": "Rollover | Coin Words",
            "description": "<p>Moving a position to a later expiry.</p>",
            "url": ROLLOVER,
        },
    ),
    "trading-2.txt": area_page(
        TRADING + "resource/2/", "Short Term Trading ⎊ Area ⎊ Resource 2", {THETA: "Theta", TIME_SPREAD: "Time Spread"}
    ),
    "pricing-1.txt": area_page(
        PRICING + "resource/1/", "Option Pricing ⎊ Area ⎊ Resource 1", {THETA: "Theta", VEGA: "Vega"}
    ),
    "gamma.txt": dump(
        GAMMA,
        {
            "@context": "https://schema.org",
            "@type": "Article",
            "headline": "Gamma",
            "description": "How fast an option's delta moves with the underlying price. ⎊ Definition",
            "url": GAMMA,
            # A list the article holds (related reading) does not make its page an area.
            "citation": {"@type": "ItemList", "itemListElement": [{"@type": "ListItem", "position": 1, "url": VEGA}]},
        },
    ),
    "delta.txt": dump(
        DELTA,
        {
            "@context": "https://schema.org",
            "@type": "DefinedTerm",
            "name": "Delta",
            "description": "How much an option's price moves with the underlying price.",
            "url": DELTA,
        },
    ),
    "nonce.txt": dump(
        NONCE,
        {
            "@context": "https://schema.org",
            "@graph": [
                {
                    "@type": "Article",
                    "@id": NONCE + "#article",
                    "headline": "Nonce",
                    "mainEntityOfPage": {"@id": NONCE},
                    "isPartOf": {"@id": NONCE},
                },
                {
                    "@type": "WebPage",
                    "@id": NONCE,
                    "url": NONCE,
                    "name": "Nonce - Coin Words",
                    "description": "A number used once, which a miner varies.",
                    "isPartOf": {"@id": SITE + "#website"},
                },
                {"@type": "WebSite", "@id": SITE + "#website", "url": SITE, "name": "Coin Words"},
            ],
        },
    ),
    "a-z.txt": dump(
        A_TO_Z,
        {
            "@context": "https://schema.org",
            "@type": "CollectionPage",
            "name": "A to Z",
            "url": A_TO_Z,
            "mainEntity": {
                "@type": "ItemList",
                "itemListElement": [
                    {"@type": "ListItem", "position": 1, "name": "Rho", "url": RHO},
                    {"@type": "ListItem", "position": 2, "item": {"@id": CONDOR, "name": "Iron Condor"}},
                ],
            },
        },
    ),
}


@pytest.fixture(scope="module")
def layout_build(tmp_path_factory) -> Path:
    return build_corpus(tmp_path_factory.mktemp("layouts"), CORPUS)


def test_an_area_over_numbered_pages_is_one_area_with_every_member(layout_build: Path):
    rows = query_rows(layout_build, "area-definitions")
    assert {(area, label, member) for area, label, member, _ in rows} == {
        (TRADING, "Short Term Trading", SPREAD),
        (TRADING, "Short Term Trading", ASK),
        (TRADING, "Short Term Trading", THETA),
        (TRADING, "Short Term Trading", TIME_SPREAD),
        # Its own page is not in the corpus: the numbered page names and describes it.
        (PRICING, "Option Pricing", THETA),
        (PRICING, "Option Pricing", VEGA),
        # A list of the page's (ItemList) is what the page lists.
        (A_TO_Z, "A to Z", RHO),
        (A_TO_Z, "A to Z", CONDOR),
    }


def test_numbered_pages_are_not_concepts_of_their_own(layout_build: Path):
    rows = query_rows(
        layout_build,
        "-e",
        "SELECT ?c WHERE { GRAPH kgg:concepts { ?c kg:kind ?kind } FILTER(CONTAINS(STR(?c), '/resource/')) }",
    )
    assert rows == []
    related = {
        tuple(row[:2])
        for row in query_rows(
            layout_build, "-e", "SELECT ?a ?b WHERE { GRAPH kgg:concepts { ?a skos:related ?b ; kg:kind 'area' } }"
        )
    }
    assert related == {(TRADING, PRICING), (PRICING, TRADING)}  # they share Theta


def test_a_definition_page_no_area_lists_is_still_a_definition(layout_build: Path):
    rows = query_rows(layout_build, "orphans")
    assert sorted(row[0] for row in rows) == [GAMMA, ROLLOVER, NONCE, DELTA]  # by their IRIs, by its type
    found = query_rows(layout_build, "search", "--bind", "text=delta moves")
    assert [(row[0], row[2]) for row in found] == [(GAMMA, "Gamma")]


def test_a_page_s_label_is_its_article_s_headline_rather_than_its_title_tag(layout_build: Path):
    found = query_rows(layout_build, "search", "--bind", "text=number used once")
    assert [(row[0], row[2]) for row in found] == [(NONCE, "Nonce")]


def test_a_title_tag_loses_the_site_name_and_texts_lose_their_html(layout_build: Path):
    found = query_rows(layout_build, "search", "--bind", "text=later expiry")
    assert [(row[0], row[2], row[3]) for row in found] == [
        (ROLLOVER, "Rollover", "Moving a position to a later expiry.")
    ]
    answers = query_rows(layout_build, "-e", "SELECT ?answer WHERE { GRAPH kgg:concepts { ?facet kg:answer ?answer } }")
    assert answers == [["Days, not months. Often hours."]]
