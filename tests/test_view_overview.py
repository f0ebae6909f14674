"""`kg view`'s overview of a large network, in a real browser (Debian's chromium via Playwright).

A network of more than 500 concepts opens as its communities: few clusters with readable
labels, each opening into sub-clusters or concepts, and a search box that reaches every
concept. Every test also checks that the page made no request but its own file and logged
no console error (`Visit.assert_clean`).
"""

from __future__ import annotations

import random

import pytest
from concept_fixtures import Concept, concept_quads, synthetic, write_store
from test_view_browser import Visit, browser, view  # noqa: F401 (browser is a fixture)

from kg.communities import TOP_ITEMS
from kg.network.read import read_concepts
from kg.store import open_store

pytestmark = pytest.mark.timeout(300)
SITE = "https://islands.test/"


def islands(count: int, *, seed: int = 1) -> tuple[list[Concept], list[tuple[str, str, str]]]:
    """`count` little glossaries apart from everything: an area and its two definitions each,
    so the network has many more communities than a first screen may show."""
    rng = random.Random(seed)
    concepts, relations = [], []
    for i in range(count):
        area = f"{SITE}area/island-{i}/"
        concepts.append(Concept(area, "area", f"Island {i}", f"Island {i} and what it holds.", (area,)))
        for j in range(2):
            iri = f"{SITE}definition/island-{i}-{j}/"
            concepts.append(
                Concept(iri, "definition", f"Islet {i}.{j} {rng.randrange(10**6)}", "A small thing.", (area,))
            )
            relations.append((area, "narrower", iri))
    return concepts, relations


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """1,500 concepts of the synthetic glossary and 60 islands beside them (1,680 concepts)."""
    out = tmp_path_factory.mktemp("overview") / "out"
    concepts, relations = islands(60)
    write_store(out, synthetic(1500) + concept_quads(concepts, relations))
    return out


@pytest.fixture
def page(browser, big):  # noqa: F811
    opened = Visit(browser, view(big))
    yield opened
    opened.close()


LABEL_BOXES = """() => kg.nodes.getIds().map(id => {
    const n = kg.network.body.nodes[id];
    if (!n.options.label || n.labelModule.size.width === 0) return null;
    const s = n.labelModule.size, a = kg.network.canvasToDOM({x: s.left, y: s.top}),
          b = kg.network.canvasToDOM({x: s.left + s.width, y: s.top + s.height});
    return {id: id, left: a.x, top: a.y, right: b.x, bottom: b.y};
}).filter(Boolean)"""


# The view has glided to a concept and stopped there, zoomed in.
CENTERED = """id => {
    const p = kg.network.getPositions([id])[id], v = kg.network.getViewPosition();
    return Math.hypot(p.x - v.x, p.y - v.y) < 1 && kg.network.getScale() >= 1.2;
}"""


def overlaps(boxes: list[dict]) -> list[tuple]:
    return [
        (a["id"], b["id"])
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]
    ]


def test_the_first_screen_is_a_few_clusters_with_readable_labels_apart(page, big):
    table = read_concepts(open_store(big))
    drawn = page.js("() => kg.nodes.getIds()")
    assert 2 <= len(drawn) <= TOP_ITEMS <= 60
    assert all(isinstance(i, str) and i.startswith("c") for i in drawn)  # clusters, not concepts
    assert page.js("() => kg.data.communities") > TOP_ITEMS  # so some are bundled
    # Every concept of the network is in exactly one of the drawn clusters.
    sizes = page.js("() => kg.data.top.map(c => kg.data.clusters[c].end - kg.data.clusters[c].start)")
    assert sum(sizes) == len(table)
    boxes = page.js(LABEL_BOXES)
    assert len(boxes) == len(drawn), "a cluster's label is missing"
    assert overlaps(boxes) == []
    # Readable: at least 11 px high on screen for each line.
    assert min(b["bottom"] - b["top"] for b in boxes) >= 2 * 11
    assert page.page.inner_text("#kg-counts").startswith(f"{len(table):,} concepts")
    page.assert_clean()


def test_search_reaches_a_concept_no_screen_shows_and_focuses_it(page):
    target = page.js("() => kg.net().labels.length - 1")  # the least central concept
    label = page.js("k => kg.net().labels[k]", target)
    assert target not in page.js("() => kg.nodes.getIds()")
    page.page.click("#kg-search")
    page.page.keyboard.type(label)
    page.page.keyboard.press("Enter")
    assert page.js("() => kg.network.getSelectedNodes()") == [target]
    assert page.js("k => kg.nodes.get(k) !== null", target)
    page.page.wait_for_function(CENTERED, arg=target, timeout=15_000)
    kind = page.js("k => kg.data.kinds[kg.net().kinds[k]].kind", target)
    assert page.page.inner_text("#kg-status") == f"{label} ({kind})"
    # The clusters holding it were opened, outermost first.
    opened = page.js("() => kg.opened()")
    assert opened and page.js("c => kg.data.clusters[c].parent", opened[0]) == -1
    page.page.fill("#kg-search", "no such concept")
    page.page.keyboard.press("Enter")
    assert page.page.inner_text("#kg-status") == "No concept matches \u201cno such concept\u201d"
    page.assert_clean()


def test_the_area_finder_opens_an_area_s_cluster(page):
    page.page.fill("#kg-area-find", "Island 7")
    page.page.keyboard.press("Enter")
    selected = page.js("() => kg.network.getSelectedNodes()")
    assert len(selected) == 1 and page.js("k => kg.net().labels[k]", selected[0]) == "Island 7"
    assert page.js("k => kg.nodes.get(k) !== null", selected[0])
    page.assert_clean()


def test_a_cluster_opens_on_click_and_closes_again(page):
    first = sorted(page.js("() => kg.nodes.getIds()"))
    biggest = page.js("() => kg.data.top[0]")
    x, y = page.screen_point(f"c{biggest}")
    page.page.mouse.click(x, y)
    page.page.wait_for_function("c => kg.opened().includes(c)", arg=biggest, timeout=5_000)
    drawn = page.js("() => kg.nodes.getIds()")
    assert f"c{biggest}" not in drawn
    children = page.js("c => kg.data.clusters[c].children", biggest)
    inside = (
        [f"c{c}" for c in children]
        if children
        else page.js(
            "c => Array.from(kg.net().order.slice(kg.data.clusters[c].start, kg.data.clusters[c].end))", biggest
        )
    )
    assert set(inside) <= set(drawn)
    assert page.page.is_visible("#kg-open-section")
    # Open a second one too, then close the first from the legend: the second stays open.
    other = page.js("() => kg.data.top[1]")
    page.js("c => kg.openCluster(c)", other)
    assert page.js("() => kg.opened()") == [biggest, other]
    page.page.click("#kg-open li:first-child button")
    assert page.js("() => kg.opened()") == [other]
    assert f"c{biggest}" in page.js("() => kg.nodes.getIds()")
    page.page.click("#kg-close-all")
    assert sorted(page.js("() => kg.nodes.getIds()")) == first
    assert page.js("() => kg.opened()") == []
    page.assert_clean()


def test_hovering_a_concept_draws_its_relations_strongly(page):
    page.js("() => kg.openCluster(kg.data.top[0])")
    concept = page.js("() => kg.nodes.getIds().find(id => typeof id === 'number')")
    if concept is None:  # the biggest cluster opened into sub-clusters: open the first of them
        page.js("() => kg.openCluster(kg.data.clusters[kg.data.top[0]].children[0])")
        concept = page.js("() => kg.nodes.getIds().find(id => typeof id === 'number')")
    page.js("id => kg.network.selectNodes([id])", concept)
    page.js("id => kg.network.body.emitter.emit('selectNode', {nodes: [id]})", concept)
    # Its relations into closed clusters appear while it is selected, drawn strongly.
    reach = page.js("() => kg.edges.getIds().filter(id => String(id).startsWith('h'))")
    assert reach
    faint = page.js("() => kg.edges.get(kg.edges.getIds().find(id => String(id).startsWith('l'))).color.color")
    strong = page.js("id => kg.edges.get(id).color.color", reach[0])
    assert faint.endswith("0.16)") and strong.endswith("0.85)")
    page.assert_clean()


def test_a_click_opens_a_concept_s_page_and_a_double_click_closes_its_cluster(page):
    page.js("() => { window.__opened = []; window.open = (...args) => { window.__opened.push(args); return null; }; }")
    concept = page.js("() => kg.focusConcept(kg.net().labels[0])")  # the most central concept
    page.page.wait_for_function(CENTERED, arg=concept, timeout=15_000)
    page.page.wait_for_function("() => kg.net().iris !== null")
    x, y = page.screen_point(concept)
    page.page.mouse.click(x, y)
    page.page.wait_for_function("() => window.__opened.length === 1", timeout=3_000)
    url = page.js("k => kg.data.details[k].url", concept)
    assert page.js("() => window.__opened") == [[url, "_blank", "noopener,noreferrer"]]
    opened = page.js("() => kg.opened()")
    page.page.mouse.dblclick(x, y)
    page.page.wait_for_timeout(500)
    assert page.js("() => kg.opened()") == opened[:-1]  # the innermost cluster closed
    assert page.js("() => window.__opened.length") == 1  # and no page opened
    page.assert_clean()


HOSTILE_LABELS = [
    '<img src=x onerror="window.__pwned=1">',
    "</script><script>window.__pwned=2</script>",
    "<b onmouseover=window.__pwned=3>Bold</b>",
]


def test_hostile_labels_stay_text_in_the_overview(browser, tmp_path):  # noqa: F811
    hub = "https://hostile.test/area/hub/"
    concepts = [Concept(hub, "area", "<svg onload=window.__pwned=4>Hub", "<img src=y onerror=window.__pwned=5>")]
    relations = []
    for i, label in enumerate(HOSTILE_LABELS * 4):
        iri = f"https://hostile.test/definition/{i}/"
        concepts.append(Concept(iri, "definition", label, label, (hub,)))
        relations.append((hub, "narrower", iri))
    out = write_store(tmp_path / "out", synthetic(600) + concept_quads(concepts, relations))
    page = Visit(browser, view(out))
    try:
        page.page.fill("#kg-search", "img src")
        page.page.keyboard.press("Enter")
        selected = page.js("() => kg.network.getSelectedNodes()")
        assert page.js("k => kg.net().labels[k]", selected[0]) == HOSTILE_LABELS[0]
        page.page.wait_for_function(CENTERED, arg=selected[0], timeout=15_000)
        x, y = page.screen_point(selected[0])
        page.page.mouse.move(x - 3, y - 3)
        page.page.mouse.move(x, y)
        page.page.wait_for_function(
            "() => { const t = document.querySelector('div.vis-tooltip');"
            " return t && t.style.visibility !== 'hidden' && t.textContent.length > 0; }"
        )
        assert HOSTILE_LABELS[0] in page.js("() => document.querySelector('div.vis-tooltip').textContent")
        page.js("() => kg.openCluster(kg.data.top[0])")
        assert page.js("() => document.querySelectorAll('img, svg, b, #kg-network script').length") == 0
        assert page.js("() => window.__pwned") is None
        page.assert_clean()
    finally:
        page.close()
