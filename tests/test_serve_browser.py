"""`kg serve` in a real browser (Debian's Chromium, via Playwright): search, open, follow, the drawn
neighbourhood, YASGUI, nothing requested from anywhere but the server, hostile text staying text."""

from __future__ import annotations

import urllib.parse

import pytest
from concept_fixtures import LIGHTNING, P2P, SMALL_CONCEPTS, SMALL_RELATIONS, STATE_DEF, Concept, concept_quads
from concept_fixtures import write_store as write_concepts
from serve_helpers import running_server
from test_view_browser import browser  # noqa: F401 (the fixture: Chromium, or skip/fail as kg view's tests do)

HOSTILE_IRI = "https://glossary.test/definition/it's'onmouseover='window.__pwned=5/"
HOSTILE_LABEL = '<img src=x onerror="window.__pwned=1">Hostile <script>window.__pwned=2</script>'
HUGE = 200_000
HOSTILE = Concept(
    HOSTILE_IRI,
    "definition",
    HOSTILE_LABEL,
    "Hostile " * (HUGE // 8) + "<script>window.__pwned=3</script>",
    ("javascript:window.__pwned=4", P2P),
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    out = tmp_path_factory.mktemp("serve-browser") / "out"
    concepts = [*SMALL_CONCEPTS, HOSTILE]
    relations = [*SMALL_RELATIONS, (P2P, "narrower", HOSTILE_IRI), (HOSTILE_IRI, "related", LIGHTNING)]
    write_concepts(out, concept_quads(concepts, relations))
    with running_server(out) as running:
        yield running


class Session:
    """A browser page on the server that records every request and console error, and lets only the server answer."""

    def __init__(self, browser, server) -> None:  # noqa: F811
        self.server = server
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.context.route(
            "**/*", lambda route: route.continue_() if route.request.url.startswith(server.url) else route.abort()
        )
        self.page = self.context.new_page()
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        self.page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))

    def assert_clean(self) -> None:
        outside = [url for url in self.requests if not url.startswith(self.server.url)]
        assert outside == [], "a request left the page"
        assert self.errors == []
        assert self.page.evaluate("() => window.__pwned") is None


@pytest.fixture
def session(browser, server):  # noqa: F811
    opened = Session(browser, server)
    yield opened
    opened.context.close()


def test_search_open_follow_and_see_the_neighbourhood(session, server):
    """Must show 2: search as you type, open the concept, follow a related link, the neighbourhood drawn."""
    page = session.page
    page.goto(server.url)
    page.fill("#kg-q", "lightn")
    suggestion = page.locator("#kg-suggestions a", has_text="Lightning Network")
    suggestion.wait_for(timeout=15_000)
    suggestion.click()
    page.wait_for_url("**/concept?iri=*")
    assert page.locator("h1").inner_text().startswith("Lightning Network")
    related = page.locator("h2:text('Related') + ul a", has_text="State Channels")
    related.click()
    page.wait_for_url("**/concept?iri=*")
    assert page.url.endswith("iri=" + urllib.parse.quote(STATE_DEF, safe=""))
    assert page.locator("h1").inner_text().startswith("State Channels")
    frame = page.frame_locator("iframe")
    frame.locator("html[data-ready='true']").wait_for(timeout=30_000)
    drawn = page.frames[1].evaluate(
        "() => ({nodes: kg.network.body.data.nodes.length, edges: kg.network.body.data.edges.length,"
        " labels: kg.data.nodes.map(n => n.label)})"
    )
    assert drawn["nodes"] >= 4 and drawn["edges"] >= 3
    assert {"State Channels", "Lightning Network", "Multi-Party State Channels"} <= set(drawn["labels"])
    session.assert_clean()


def test_run_a_library_query_in_yasgui(session, server):
    page = session.page
    page.goto(server.url + "sparql")
    page.wait_for_function("() => window.kgReady === true", timeout=30_000)
    page.get_by_role("button", name="search", exact=True).click()
    page.wait_for_function("() => kgYasgui.getTab().getYasqe().getValue().includes('?text')")
    query = "SELECT ?label WHERE { GRAPH kgg:concepts { ?c kg:kind 'area' ; skos:prefLabel ?label } } ORDER BY ?label"
    page.evaluate("q => kgYasgui.getTab().getYasqe().setValue(q)", query)
    page.locator(".yasqe_queryButton").click()
    page.locator(".yasr .dataTable tbody tr").first.wait_for(timeout=30_000)
    text = page.locator(".yasr").inner_text()
    for label in ("Peer to Peer", "Peer to Peer Channels", "State Channels"):
        assert label in text
    session.assert_clean()


def test_a_hostile_concept_stays_text(session, server):
    page = session.page
    page.goto(server.url)
    page.fill("#kg-q", "hostile")
    suggestion = page.locator("#kg-suggestions a").first
    suggestion.wait_for(timeout=15_000)
    assert suggestion.inner_text().startswith(HOSTILE_LABEL)
    suggestion.click()
    page.wait_for_url("**/concept?iri=*")
    assert page.locator("h1").inner_text().startswith(HOSTILE_LABEL)
    assert page.locator("main img, main script").count() == 0
    hrefs = page.eval_on_selector_all("a", "links => links.map(a => a.getAttribute('href'))")
    assert not [h for h in hrefs if h.lower().startswith("javascript:")]
    assert "javascript:window.__pwned=4" in page.locator("main").inner_text()  # shown, as text
    assert page.locator("a[onmouseover]").count() == 0
    definition = page.locator(".definition").first.inner_text()
    assert "more characters" in definition and len(definition) < HUGE
    # The IRI with quotes round-trips through the concept URL and the drawn neighbourhood.
    page.locator("iframe").wait_for()
    page.frame_locator("iframe").locator("html[data-ready='true']").wait_for(timeout=30_000)
    # And the page the hostile concept is linked from lists it as text.
    page.goto(server.url + "concept?iri=" + urllib.parse.quote(P2P, safe=""))
    assert page.locator("main a", has_text="Hostile").count() == 1
    session.assert_clean()
