"""`kg view`'s page in a real browser: headless Chromium (Debian's package) driven by Playwright.

Each test opens the generated file:// page, waits until the page says it is drawn and
idle (`window.kg.ready`), and checks what a user would see. Every test also checks that
the page made no request but its own file and logged no console error.

Without Playwright or /usr/bin/chromium these tests skip; with KG_REQUIRE_BROWSER=1
(set by .ci/run) they fail instead. KG_UPDATE_SCREENSHOT=1 also writes docs/graph.png.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from concept_fixtures import GOSSIP, LIGHTNING, STATE_AREA, small_store, synthetic, write_store

from kg.cli.common import main
from kg.network.read import load_network
from kg.view import PHYSICS_LIMIT

CHROMIUM = os.environ.get("KG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DOCS = Path(__file__).resolve().parent.parent / "docs"

HOSTILE_DESCRIPTION = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> Hostile text.'
HOSTILE_HEADLINE = 'Markup <b onmouseover="window.__pwned=3">Definition</b>'
# Rule 45 takes the tags out of a definition (a label keeps its text as written).
HOSTILE_DEFINITION = "window.__pwned=2 Hostile text."
HOSTILE_PAGE = """# Hostile Area \u238a Area \u238a Test Glossary

---

## What is the Risk of Hostile Area?

Page text that tries to become markup.

```json
{
    "@context": "https://schema.org",
    "@type": "BreadcrumbList",
    "itemListElement": [
        {"@type": "ListItem", "position": 1, "name": "Home", "item": "https://glossary.test/"},
        {"@type": "ListItem", "position": 2, "name": "Area", "item": "https://glossary.test/area/"},
        {"@type": "ListItem", "position": 3, "name": "Hostile Area", "item": "https://glossary.test/area/hostile-area/"}
    ]
}
```

```json
{
    "@context": "https://schema.org",
    "@type": "CollectionPage",
    "@id": "https://glossary.test/area/hostile-area/",
    "url": "https://glossary.test/area/hostile-area/",
    "name": "Hostile Area \u238a Area \u238a Test Glossary",
    "hasPart": [
        {
            "@type": "Article",
            "@id": "https://glossary.test/definition/markup-definition/",
            "url": "https://glossary.test/definition/markup-definition/",
            "headline": HEADLINE,
            "description": DESCRIPTION
        },
        {
            "@type": "Article",
            "@id": "https://glossary.test/definition/plain-definition/",
            "url": "https://glossary.test/definition/plain-definition/",
            "headline": "Plain Definition",
            "description": "An ordinary definition beside the hostile one."
        }
    ]
}
```


---

**Original URL:** https://glossary.test/area/hostile-area/
"""


@pytest.fixture(scope="module")
def browser():
    reason = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = "Playwright is not installed (pip install -e '.[test]')"
    if reason is None and not Path(CHROMIUM).exists():
        reason = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    if reason is not None:
        if os.environ.get("KG_REQUIRE_BROWSER") == "1":
            pytest.fail(f"KG_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Visit:
    """One opened page, with every request it made and every console error it logged."""

    def __init__(self, browser, path: Path) -> None:
        self.url = path.resolve().as_uri()
        self.context = browser.new_context(viewport={"width": 1280, "height": 800})
        self.requests: list[str] = []
        self.errors: list[str] = []
        # Nothing may leave the machine, even if the page tried.
        self.context.route(
            "**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort()
        )
        self.page = self.context.new_page()
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        self.page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        self.page.goto(self.url)
        self.page.wait_for_function("() => window.kg && window.kg.ready === true", timeout=30_000)

    def js(self, expression: str, argument=None):
        return self.page.evaluate(expression, argument)

    def node_id(self, iri: str) -> int:
        return self.js("iri => kg.data.nodes.find(n => n.iri === iri).id", iri)

    def screen_point(self, node_id: int) -> tuple[float, float]:
        """Where a node is drawn, in page coordinates."""
        return tuple(
            self.js(
                """id => {
            const p = kg.network.canvasToDOM(kg.network.getPositions([id])[id]);
            const box = document.getElementById('kg-network').getBoundingClientRect();
            return [box.left + p.x, box.top + p.y];
        }""",
                node_id,
            )
        )

    def assert_clean(self) -> None:
        assert self.requests == [self.url], "the page requested something besides itself"
        assert self.errors == []

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(browser):
    opened: list[Visit] = []

    def open_page(path: Path) -> Visit:
        opened.append(Visit(browser, path))
        return opened[-1]

    yield open_page
    for page in opened:
        page.close()


def view(output: Path, *args: str) -> Path:
    result = CliRunner().invoke(main, ["view", "-o", str(output), *args])
    assert result.exit_code == 0, result.output
    return output / "graph.html"


def drawn_counts(page: Visit) -> dict:
    return page.js("""() => ({
        nodes: kg.network.body.data.nodes.length,
        edges: kg.network.body.data.edges.length,
        nodeObjects: Object.keys(kg.network.body.nodes).length,
        edgeObjects: Object.keys(kg.network.body.edges).length,
        positioned: Object.keys(kg.network.getPositions()).length,
    })""")


def test_the_example_corpus_is_drawn_whole_and_offline(visit, tmp_path):
    """Must show 2: drawn counts equal networkx's, zero requests, zero console errors; a screenshot."""
    out = tmp_path / "example"
    assert CliRunner().invoke(main, ["build", "-o", str(out)]).exit_code == 0
    network = load_network(out)
    page = visit(view(out))
    expected = {"nodes": network.number_of_nodes(), "edges": network.number_of_edges()}
    counts = drawn_counts(page)
    assert counts == {
        **expected,
        "nodeObjects": expected["nodes"],
        "edgeObjects": expected["edges"],
        "positioned": expected["nodes"],
    }
    header = page.page.inner_text("#kg-counts")
    assert header == f"{expected['nodes']} concepts \u00b7 {expected['edges']} relations"
    legend = page.page.inner_text("#kg-kinds")
    for kind in {kind for _, kind in network.nodes(data="kind")}:
        assert kind in legend
    shot = tmp_path / "graph.png"
    page.page.screenshot(path=str(shot))
    assert shot.stat().st_size > 20_000  # a drawn network, not a blank page
    if os.environ.get("KG_UPDATE_SCREENSHOT") == "1":
        DOCS.mkdir(exist_ok=True)
        shutil.copy(shot, DOCS / "graph.png")
    page.assert_clean()


def test_page_text_is_shown_literally_and_never_runs(visit, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    text = HOSTILE_PAGE.replace("HEADLINE", _json(HOSTILE_HEADLINE)).replace("DESCRIPTION", _json(HOSTILE_DESCRIPTION))
    (corpus / "area-hostile.txt").write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    built = CliRunner().invoke(main, ["build", str(corpus), "-o", str(out)])
    assert built.exit_code == 0, built.output
    page = visit(view(out))
    hostile = page.js("l => kg.data.nodes.find(n => n.label === l)", HOSTILE_HEADLINE)
    assert hostile is not None, "the hostile headline did not reach the page, so this test would prove nothing"
    assert hostile["definition"] == HOSTILE_DEFINITION
    # Hover it: the tooltip shows the markup as characters.
    x, y = page.screen_point(hostile["id"])
    page.page.mouse.move(x - 3, y - 3)
    page.page.mouse.move(x, y)
    page.page.wait_for_function(
        "() => { const t = document.querySelector('div.vis-tooltip');"
        " return t && t.style.visibility !== 'hidden' && t.textContent.length > 0; }"
    )
    tooltip = page.js("() => document.querySelector('div.vis-tooltip').textContent")
    assert HOSTILE_DEFINITION in tooltip and HOSTILE_HEADLINE in tooltip
    page.js("() => document.querySelector('div.vis-tooltip .kg-tip-label').dispatchEvent(new MouseEvent('mouseover'))")
    assert page.js("() => document.querySelectorAll('img, b, #kg-network script').length") == 0
    assert page.js("() => window.__pwned") is None
    page.assert_clean()  # and no request for "x"


def _json(text: str) -> str:
    import json

    return json.dumps(text)


def test_the_search_box_focuses_a_typed_concept(visit, tmp_path):
    page = visit(view(small_store(tmp_path / "out")))
    lightning = page.node_id(LIGHTNING)
    page.page.click("#kg-search")
    page.page.keyboard.type("lightning")
    page.page.keyboard.press("Enter")
    assert page.js("() => kg.network.getSelectedNodes()") == [lightning]
    # The view glides to the concept and stops there.
    page.page.wait_for_function(
        """id => {
        const p = kg.network.getPositions([id])[id], v = kg.network.getViewPosition();
        return Math.hypot(p.x - v.x, p.y - v.y) < 1 && kg.network.getScale() >= 1.2;
    }""",
        arg=lightning,
        timeout=5_000,
    )
    assert page.page.inner_text("#kg-status") == "Lightning Network (definition)"
    page.page.fill("#kg-search", "no such concept")
    page.page.keyboard.press("Enter")
    assert page.page.inner_text("#kg-status") == "No concept matches \u201cno such concept\u201d"
    assert page.js("() => kg.network.getSelectedNodes()") == [lightning]
    page.assert_clean()


def test_the_area_menu_shows_one_area(visit, tmp_path):
    out = small_store(tmp_path / "out")
    network = load_network(out)
    page = visit(view(out))
    visible = "() => kg.nodes.get({filter: n => !n.hidden}).map(n => kg.data.nodes[n.id].iri).sort()"
    page.page.select_option("#kg-area", label="State Channels")
    expected = {STATE_AREA, *network.to_undirected(as_view=True)[STATE_AREA]}
    assert set(page.js(visible)) == expected
    page.page.select_option("#kg-area", label="all areas")
    assert len(page.js(visible)) == network.number_of_nodes()
    page.assert_clean()


def test_a_click_opens_the_source_page(visit, tmp_path):
    page = visit(view(small_store(tmp_path / "out")))
    page.js("() => { window.__opened = []; window.open = (...args) => { window.__opened.push(args); return null; }; }")
    gossip = page.node_id(GOSSIP)
    page.js("id => kg.network.moveTo({position: kg.network.getPositions([id])[id], scale: 2})", gossip)
    x, y = page.screen_point(gossip)
    page.page.mouse.click(x, y)
    assert page.js("() => window.__opened") == [[GOSSIP, "_blank", "noopener,noreferrer"]]
    assert page.js("() => kg.network.getSelectedNodes()") == [gossip]
    page.assert_clean()


def test_a_big_network_appears_at_once_and_stays_still(visit, tmp_path):
    out = write_store(tmp_path / "big", synthetic(PHYSICS_LIMIT + 150))
    network = load_network(out)
    page = visit(view(out))
    counts = drawn_counts(page)
    assert (counts["nodes"], counts["edges"]) == (network.number_of_nodes(), network.number_of_edges())
    assert page.js("() => kg.data.physics") is False
    # Drawn where Python put them, and nothing moves or redraws afterwards.
    moved = page.js("""() => { const at = kg.network.getPositions();
        return kg.data.nodes.filter(n => Math.abs(at[n.id].x - n.x) + Math.abs(at[n.id].y - n.y) > 1).length; }""")
    assert moved == 0
    draws = page.js("() => kg.draws")
    page.page.wait_for_timeout(700)
    assert page.js("() => kg.draws") == draws
    page.assert_clean()


def test_a_cut_network_says_so_on_the_page(visit, tmp_path):
    out = small_store(tmp_path / "out")
    page = visit(view(out, "--max-nodes", "5"))
    assert drawn_counts(page)["nodes"] == 5
    note = page.page.inner_text("#kg-note")
    assert note == "Showing the 5 most central of 12 concepts (by PageRank; see --max-nodes)."
    assert page.page.is_visible("#kg-note")
    page.assert_clean()


def test_the_hostile_corpus_is_drawn_as_text(visit, tmp_path):
    """Issue 6: every page of the hostile corpus (tests/test_hostile.py), plus names and URLs
    that are markup or script, reaches the page as text only."""
    import json

    from test_hostile import BUILDS, KINDS, SITE, dump

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, (content, *_) in {**KINDS, **BUILDS}.items():
        if name.endswith((".txt", ".html", ".jsonld")) and name != "context-cycle.txt":
            target = corpus / name
            target.write_bytes(content) if isinstance(content, bytes) else target.write_text(content, "utf-8")
    hostile_texts = [
        ('<img src=x onerror="window.__pwned=4">', "javascript:window.__pwned=5"),
        ("</script><script>window.__pwned=6</script>", "<svg onload=window.__pwned=7>"),
        ("{{ 7*7 }} ${window.__pwned=8}", "&lt;b&gt; &amp; \u2028 \u2029"),
    ]
    parts = [
        {"@type": "Article", "@id": f"{SITE}/definition/payload-{i}/", "headline": headline, "description": text}
        for i, (headline, text) in enumerate(hostile_texts)
    ]
    area = {
        "@context": "https://schema.org",
        "@type": "CollectionPage",
        "url": f"{SITE}/area/payloads/",
        "headline": "<b onmouseover=window.__pwned=9>Payloads</b>",
        "hasPart": parts,
    }
    (corpus / "area-payloads.txt").write_text(dump(f"{SITE}/area/payloads/", json.dumps(area)), "utf-8")
    out = tmp_path / "out"
    built = CliRunner().invoke(main, ["build", str(corpus), "-o", str(out)])
    assert built.exit_code == 1, built.output  # the corpus holds failing pages on purpose
    network = load_network(out)
    page = visit(view(out))
    assert drawn_counts(page)["nodes"] == network.number_of_nodes()
    labels = page.js("() => kg.data.nodes.map(n => n.label)")
    assert '<img src=x onerror="window.__pwned=4">' in labels
    assert "<b onmouseover=window.__pwned=9>Payloads</b>" in labels
    assert "</script><script>window.__pwned=6</script>" in labels
    page.page.fill("#kg-search", "img src")
    page.page.keyboard.press("Enter")
    assert page.js("() => window.__pwned") is None
    assert page.js("() => document.querySelectorAll('img, svg, #kg-network script').length") == 0
    page.assert_clean()
