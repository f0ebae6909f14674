"""The concept layer on pages that are not glossaries (issue 20 parts 4 and 5): recipe and news
pages, written here in the shape such sites give them (a WordPress recipe plugin's graph, a
"more recipes" list beside the recipe, a news article with its "most read" list, category and
section pages whose main entity is the list)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import build_corpus, query_rows
from pages import html

from kg.cli.common import main
from kg.store import open_store

CRUMBS = "https://crumbs.example/"
LEDGER = "https://dailyledger.example/"
LEMON_BARS = CRUMBS + "lemon-bars/"
BROWNIES = CRUMBS + "brownies/"
SHORTBREAD = CRUMBS + "shortbread/"  # listed by url only, never built: a fallback label
OAT_SQUARES = CRUMBS + "oat-squares.html"  # likewise, with a file extension
COOKIES_AND_BARS = CRUMBS + "category/cookies-and-bars/"
ALL_RECIPES = CRUMBS + "recipes/"
ARTICLE = LEDGER + "2026/03/bakeries-raise-prices/"
BUSINESS = LEDGER + "business/"
RATES = LEDGER + "2026/03/rates-hold/"  # in the business section, never built
LEDGER_BROWNIES = LEDGER + "food/brownies/"  # a concept labelled "Brownies" on the other site
STAGFLATION = LEDGER + "glossary/stagflation/"  # a glossary page no section lists: an orphan


def item_list(name: str, urls: list[str], *, names: dict[str, str] | None = None) -> dict:
    elements = []
    for position, url in enumerate(urls, 1):
        element = {"@type": "ListItem", "position": position, "url": url}
        if names and url in names:
            element["name"] = names[url]
        elements.append(element)
    return {"@context": "https://schema.org", "@type": "ItemList", "name": name, "itemListElement": elements}


def wordpress_recipe(url: str, title: str, more: list[str]) -> str:
    """A recipe plugin's graph (WebPage, WebSite with its search, Article, Recipe) and a
    "more recipes" list in a script of its own."""
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {
                "@type": "WebPage",
                "@id": url,
                "url": url,
                "name": f"{title} &#8211; Crumbs",
                "isPartOf": {"@id": CRUMBS + "#website"},
            },
            {
                "@type": "WebSite",
                "@id": CRUMBS + "#website",
                "url": CRUMBS,
                "name": "Crumbs",
                "potentialAction": {"@type": "SearchAction", "target": CRUMBS + "?s={search_term_string}"},
            },
            {"@type": "Article", "@id": url + "#article", "headline": title, "mainEntityOfPage": {"@id": url}},
            {
                "@type": "Recipe",
                "@id": url + "#recipe",
                "name": title,
                "description": "Sharp, sweet &amp; quick.",
                "isPartOf": {"@id": url + "#article"},
                "recipeIngredient": ["3 lemons", "1 cup sugar"],
            },
        ],
    }
    return html(url, graph, item_list("More recipes", more))


def plain_recipe(url: str, title: str, more: dict[str, str]) -> str:
    """A recipe on its own (no mainEntityOfPage), and a "you may also like" list beside it."""
    recipe = {"@context": "https://schema.org", "@type": "Recipe", "name": title, "url": url, "recipeYield": "16"}
    return html(url, recipe, item_list("You may also like", list(more), names=more))


def news_article(url: str, headline: str, most_read: list[str]) -> str:
    article = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": headline,
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "datePublished": "2026-03-02T08:00:00Z",
        "author": {"@type": "Person", "name": "R. Reporter"},
    }
    return html(url, article, item_list("Most read", most_read))


def index_page(url: str, name: str, description: str, members: dict[str, str], *, main_entity: bool) -> str:
    listing = item_list(name, list(members), names={k: v for k, v in members.items() if v})
    page = {
        "@context": "https://schema.org",
        "@type": "CollectionPage",
        "url": url,
        "name": name,
        "description": description,
    }
    if main_entity:
        del listing["@context"]
        return html(url, {**page, "mainEntity": listing})
    return html(url, page, listing)


CORPUS = {
    "crumbs/lemon-bars.html": wordpress_recipe(LEMON_BARS, "Lemon Bars", [BROWNIES, SHORTBREAD, OAT_SQUARES]),
    "crumbs/brownies.html": plain_recipe(BROWNIES, "Brownies", {LEMON_BARS: "Lemon Bars", SHORTBREAD: "Shortbread"}),
    "crumbs/cookies-and-bars.html": index_page(
        COOKIES_AND_BARS,
        "Cookies &amp; Bars",
        "Bars, squares &amp; cookies &#8211; baked in a tray.",
        {LEMON_BARS: "", BROWNIES: "", OAT_SQUARES: ""},
        main_entity=True,
    ),
    "crumbs/recipes.html": index_page(
        ALL_RECIPES, "All recipes", "Every recipe.", {LEMON_BARS: "", SHORTBREAD: ""}, main_entity=False
    ),
    "ledger/article.html": news_article(ARTICLE, "Bakeries raise prices", [RATES, BUSINESS]),
    "ledger/business.html": index_page(
        BUSINESS,
        "Business",
        "Markets and money.",
        {ARTICLE: "", RATES: "", LEDGER_BROWNIES: "Brownies"},
        main_entity=True,
    ),
    "ledger/stagflation.html": html(
        STAGFLATION, {"@context": "https://schema.org", "@type": "WebPage", "url": STAGFLATION, "name": "Stagflation"}
    ),
}


@pytest.fixture(scope="module")
def everyday(tmp_path_factory) -> Path:
    return build_corpus(tmp_path_factory.mktemp("everyday"), CORPUS)


def concepts(out: Path) -> dict[str, dict[str, str]]:
    """Each concept's kind, label, definition and kg:labelFromIri, as the concept graph holds them."""
    store = open_store(out)
    found: dict[str, dict[str, str]] = {}
    query = """SELECT ?c ?p ?o WHERE { GRAPH <urn:kg:graph:concepts> { ?c <urn:kg:vocab:kind> ?kind ; ?p ?o
               FILTER(?p IN (<urn:kg:vocab:kind>, skos:prefLabel, skos:definition, <urn:kg:vocab:labelFromIri>)) } }"""
    prefixes = "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
    for row in store.query(prefixes + query):
        found.setdefault(row["c"].value, {})[row["p"].value.rsplit("#", 1)[-1].rsplit(":", 1)[-1]] = row["o"].value
    return found


def test_a_list_beside_a_recipe_or_article_is_not_an_area_and_an_index_list_is(everyday: Path):
    areas = {iri for iri, concept in concepts(everyday).items() if concept["kind"] == "area"}
    # The recipe pages (a plugin's graph; a Recipe on its own) and the news article carry
    # "more recipes" and "most read" lists; the category, index and section pages are lists.
    assert areas == {COOKIES_AND_BARS, ALL_RECIPES, BUSINESS}


def test_every_concept_has_a_label_and_area_definitions_lists_every_link(everyday: Path):
    found = concepts(everyday)
    assert all(concept.get("prefLabel") for concept in found.values()), found
    # Members no page names take their IRI's last path segment, marked as such.
    assert found[SHORTBREAD]["prefLabel"] == "Shortbread" and "labelFromIri" not in found[SHORTBREAD]
    assert (found[OAT_SQUARES]["prefLabel"], found[OAT_SQUARES]["labelFromIri"]) == ("oat squares", "true")
    assert (found[RATES]["prefLabel"], found[RATES]["labelFromIri"]) == ("rates hold", "true")
    stats = dict(query_rows(everyday, "stats"))
    rows = query_rows(everyday, "area-definitions")
    assert stats["links: area to definition"] == "8"
    assert len(rows) == 8
    assert [row[3] for row in rows if row[0] == COOKIES_AND_BARS] == ["Brownies", "Lemon Bars", "oat squares"]
    assert len(query_rows(everyday, "definitions-of", "--bind", "area=Business")) == 3


def test_html_entities_are_decoded_in_the_concept_layer_and_kept_in_the_page_graph(everyday: Path):
    area = concepts(everyday)[COOKIES_AND_BARS]
    assert area["prefLabel"] == "Cookies & Bars"
    assert area["definition"] == "Bars, squares & cookies – baked in a tray."
    assert concepts(everyday)[LEMON_BARS]["prefLabel"] == "Lemon Bars"  # its page's "Lemon Bars &#8211; Crumbs"
    store = open_store(everyday)
    given = {
        row["name"].value
        for row in store.query(
            "PREFIX schema: <http://schema.org/> "
            f"SELECT ?name WHERE {{ GRAPH <{COOKIES_AND_BARS}> {{ <{COOKIES_AND_BARS}> schema:name ?name }} }}"
        )
    }
    assert given == {"Cookies &amp; Bars"}


# Each library query with the parameters it needs here.
LIBRARY = {
    "area-definitions": [],
    "definitions-of": ["--bind", f"area={BUSINESS}"],
    "hierarchy": [],
    "related-areas": [],
    "orphans": [],
    "search": ["--bind", "text=s"],
}


UNLABELLED = [RATES, BUSINESS, LEMON_BARS, STAGFLATION]


def test_no_library_query_drops_a_row_for_a_missing_label(everyday: Path, tmp_path: Path):
    import shutil

    before = {name: query_rows(everyday, name, *args) for name, args in LIBRARY.items()}
    unlabelled = tmp_path / "out"
    shutil.copytree(everyday, unlabelled)
    chosen = ", ".join(f"<{iri}>" for iri in UNLABELLED)
    update = (
        "DELETE { GRAPH kgg:concepts { ?c skos:prefLabel ?l } } "
        f"WHERE {{ GRAPH kgg:concepts {{ ?c skos:prefLabel ?l FILTER(?c IN ({chosen})) }} }}"
    )
    result = CliRunner().invoke(main, ["query", "-o", str(unlabelled), "--update", "-e", update])
    assert result.exit_code == 0, result.output

    for name, args in LIBRARY.items():
        if name == "search":  # a concept without a label can still be found by its definition
            continue
        rows = query_rows(unlabelled, name, *args)
        assert len(rows) == len(before[name]) > 0, (name, rows, before[name])


def test_path_and_view_take_an_iri_and_tell_identical_labels_apart_by_site(everyday: Path, tmp_path: Path):
    runner = CliRunner()
    ambiguous = runner.invoke(main, ["path", "-o", str(everyday), "Brownies", LEMON_BARS])
    assert ambiguous.exit_code != 0
    assert (
        "'Brownies' names 2 concepts: Brownies (definition, crumbs.example), "
        "Brownies (definition, dailyledger.example);" in ambiguous.output
    )
    assert "or give the concept's IRI" in ambiguous.output

    by_site = runner.invoke(main, ["path", "-o", str(everyday), "Brownies (crumbs.example)", LEMON_BARS])
    by_iri = runner.invoke(main, ["path", "-o", str(everyday), BROWNIES, f"<{LEMON_BARS}>"])
    for result in (by_site, by_iri):
        assert result.exit_code == 0, result.output
        assert result.output.startswith("Brownies --related--> Lemon Bars\n")

    view = runner.invoke(
        main, ["view", "-o", str(everyday), "--around", BUSINESS, "--depth", "1", "--to", str(tmp_path / "b.html")]
    )
    assert view.exit_code == 0, view.output
    assert "The neighbourhood of Business (area)" in view.output
    assert "(4 concepts, 6 relations)" in view.output
    for command in (["path", "--help"], ["view", "--help"]):
        assert "IRI" in runner.invoke(main, command).output
