"""The concept layer the rules of queries/rules/ derive, and `kg link`, which reruns them."""

from __future__ import annotations

import fcntl
import hashlib
import re
from collections import Counter, defaultdict
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from pages import dump

from kg import BuildConfig, build
from kg.cli.common import main
from kg.errors import RuleError
from kg.facts import corpus_rules_of
from kg.link import run_rules
from kg.namespaces import CONCEPTS_GRAPH, SKOS, STATISTICS_GRAPH
from kg.relink import derive
from kg.rules import SCRATCH_GRAPH, Rule, load_rules, plan, shipped_rules_folder
from kg.store import bulk_load_file, open_store

SITE = "https://term.greeks.live/"
P2P = SITE + "area/peer-to-peer/"
P2P_CHANNELS = SITE + "area/peer-to-peer-channels/"
STATE_CHANNELS = SITE + "definition/state-channels/"
MULTI_PARTY = SITE + "definition/multi-party-state-channels/"
ORDER_BOOKS = SITE + "term/peer-to-peer-order-books/"

PREFIXES = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX kg: <urn:kg:vocab:>
PREFIX schema: <http://schema.org/>
"""


@pytest.fixture
def seeds_build(seeds_dir: Path, tmp_path: Path) -> Path:
    output = tmp_path / "out"
    report = build([str(seeds_dir)], BuildConfig(output=output))
    assert report.committed, report.messages()
    return output


@pytest.fixture(scope="module")
def example_store(tmp_path_factory) -> ox.Store:
    """The bundled example's pages, in memory, to derive the concept layer on again and again."""
    output = tmp_path_factory.mktemp("example") / "out"
    assert build(None, BuildConfig(output=output)).committed
    return open_store(output)


def copy_of(store: ox.Store) -> ox.Store:
    copy = ox.Store()
    copy.extend(store.quads_for_pattern(None, None, None, None))
    return copy


def settings_folder(folder: Path, **values: str) -> Path:
    """A rules folder whose 00-settings.ru is the shipped one with some settings changed."""
    settings = shipped_rules_folder().joinpath("00-settings.ru").read_text(encoding="utf-8")
    for name, value in values.items():
        settings, found = re.subn(rf"^(\s+kg:{name}) [^;.\n]+", rf"\1 {value} ", settings, flags=re.MULTILINE)
        assert found == 1, name
    folder.mkdir()
    (folder / "00-settings.ru").write_text(settings, encoding="utf-8")
    return folder


def concepts(store: ox.Store, where: str) -> list[dict[str, str]]:
    """Rows of a SELECT over the concept graph, as {variable: lexical value}."""
    rows = store.query(f"{PREFIXES} SELECT * WHERE {{ GRAPH <{CONCEPTS_GRAPH}> {{ {where} }} }}")
    names = [v.value for v in rows.variables]
    return [{n: t.value for n, t in zip(names, row, strict=True) if t is not None} for row in rows]


def has(store: ox.Store, subject: str, predicate: str, obj: str) -> bool:
    return bool(store.query(f"{PREFIXES} ASK {{ GRAPH <{CONCEPTS_GRAPH}> {{ <{subject}> {predicate} {obj} }} }}"))


def test_every_rule_file_explains_itself():
    rules = load_rules()
    assert [rule.filename for rule in rules] == sorted(rule.filename for rule in rules)
    assert len(rules) == len([e for e in shipped_rules_folder().iterdir() if e.name.endswith((".ru", ".sql"))])
    for rule in rules:
        header = rule.header
        for key in ("title", "derives", "why"):
            assert header.get(key) and header[key][0], f"{rule.filename} has no '# {key}:' line"


def test_kinds_and_labels_on_the_seeds(seeds_build: Path):
    store = open_store(seeds_build)
    kinds = {row["c"]: row["kind"] for row in concepts(store, "?c kg:kind ?kind")}
    assert kinds[P2P] == kinds[P2P_CHANNELS] == "area"
    assert kinds[STATE_CHANNELS] == kinds[MULTI_PARTY] == "definition"
    assert kinds[ORDER_BOOKS] == "term"  # a /term/ segment in its URL
    assert kinds[SITE] == kinds[SITE + "area/"] == "page"  # breadcrumb items
    assert sorted(k for k in kinds.values() if k != "facet").count("definition") == 5
    labels = {row["c"]: row["label"] for row in concepts(store, "?c skos:prefLabel ?label ; kg:kind ?k")}
    # The site's " ⎊ Area ⎊ Greeks.live" is cut from the headline.
    assert labels[P2P] == "Peer to Peer"
    assert labels[SITE + "area/"] == "Area"
    assert all(len(concepts(store, f"<{c}> skos:prefLabel ?l")) == 1 for c in kinds)


def test_definitions_lose_their_boilerplate_but_the_page_keeps_it(seeds_build: Path):
    store = open_store(seeds_build)
    definitions = {row["c"]: row["d"] for row in concepts(store, "?c skos:definition ?d")}
    assert definitions[ORDER_BOOKS] == (
        "P2P order books for options facilitate direct counterparty matching, optimizing capital efficiency "
        "and precise price discovery for non-linear derivative contracts."
    )
    assert definitions[P2P].startswith("In cryptocurrency and derivatives")  # "Action ⎊ " cut
    assert not [d for d in definitions.values() if "⎊" in d]
    raw = store.query(f"{PREFIXES} SELECT ?d WHERE {{ GRAPH <{P2P}> {{ <{ORDER_BOOKS}> schema:description ?d }} }}")
    assert next(iter(raw))["d"].value.startswith("Meaning ⎊ P2P order books")


def test_areas_narrower_definitions_and_back(seeds_build: Path):
    store = open_store(seeds_build)
    links = concepts(store, '?a kg:kind "area" ; skos:narrower ?d . ?d kg:kind ?k FILTER(?k IN ("definition", "term"))')
    assert len(links) == 9
    for link in links:
        assert has(store, link["d"], "skos:broader", f"<{link['a']}>")


def test_label_containment_links_multi_party_to_state_channels(seeds_build: Path):
    store = open_store(seeds_build)
    assert has(store, MULTI_PARTY, "skos:broader", f"<{STATE_CHANNELS}>")
    assert has(store, STATE_CHANNELS, "skos:narrower", f"<{MULTI_PARTY}>")
    # SKOS keeps related and broader apart: they share an area, but are not "related".
    assert not has(store, MULTI_PARTY, "skos:related", f"<{STATE_CHANNELS}>")


def test_related_areas_carry_what_they_share(seeds_build: Path):
    store = open_store(seeds_build)
    assert has(store, P2P, "skos:related", f"<{P2P_CHANNELS}>")
    assert has(store, P2P_CHANNELS, "skos:related", f"<{P2P}>")
    overlaps = concepts(
        store,
        f"?o a kg:Overlap ; kg:between <{P2P}> , <{P2P_CHANNELS}> ; kg:shared ?shared ; kg:sharedCount ?n",
    )
    assert [(row["shared"], row["n"]) for row in overlaps] == [(ORDER_BOOKS, "1")]


def closest_pairs(store: ox.Store, max_areas: int, keep: int, max_members: int | None = None) -> tuple[set, set]:
    """Rule 80 done again in Python: the area pairs and the definition pairs it should keep."""
    rows = concepts(store, '?a kg:kind "area" ; skos:narrower ?m . ?m kg:kind ?k FILTER(?k IN ("definition", "term"))')
    listed_by = Counter(row["m"] for row in rows)
    size = Counter(row["a"] for row in rows)
    members, areas = defaultdict(set), defaultdict(set)
    for row in rows:
        if listed_by[row["m"]] <= max_areas:
            members[row["a"]].add(row["m"])
            areas[row["m"]].add(row["a"])

    def closest(one: str, shared: Counter) -> list[tuple[str, str]]:
        def digest(text: str) -> str:
            return hashlib.md5(text.encode()).hexdigest()[:15]

        def tie(other):
            return digest("".join(sorted((digest(one), digest(other)))))

        return [tuple(sorted((one, other))) for other in sorted(shared, key=lambda o: (-shared[o], tie(o)))[:keep]]

    area_pairs = {
        pair
        for area in members
        for pair in closest(area, Counter(o for m in members[area] for o in areas[m] if o != area))
    }
    grouping = {area for area in members if max_members is None or size[area] <= max_members}
    member_pairs = {
        pair
        for member in areas
        for pair in closest(member, Counter(o for a in areas[member] & grouping for o in members[a] if o != member))
    }
    return area_pairs, member_pairs


def test_each_concept_keeps_its_closest_related_concepts(example_store: ox.Store, tmp_path: Path):
    store = copy_of(example_store)
    derive(store, rules_dir=settings_folder(tmp_path / "mine", maxAreasPerMember="3", maxRelatedPerConcept="2"))
    area_pairs, member_pairs = closest_pairs(store, max_areas=3, keep=2)
    overlaps = concepts(store, "?o a kg:Overlap ; kg:between ?a , ?b ; kg:sharedCount ?n FILTER(STR(?a) < STR(?b))")
    assert {(row["a"], row["b"]) for row in overlaps} == area_pairs
    related = {(row["a"], row["b"]) for row in concepts(store, "?a skos:related ?b FILTER(STR(?a) < STR(?b))")}
    hierarchy = {(row["a"], row["b"]) for row in concepts(store, "?a skos:broader|skos:narrower ?b")}
    hierarchy |= {(b, a) for a, b in hierarchy}
    assert related == (area_pairs | member_pairs) - hierarchy
    # With the defaults nothing in the example is cut: every pair that shares something is related.
    derive(store)
    assert closest_pairs(store, max_areas=10**6, keep=10**6)[0] == {
        (row["a"], row["b"])
        for row in concepts(store, "?o a kg:Overlap ; kg:between ?a , ?b FILTER(STR(?a) < STR(?b))")
    }


def test_an_area_listing_too_many_members_relates_none_of_them(example_store: ox.Store, tmp_path: Path):
    store = copy_of(example_store)
    rows = concepts(store, '?a kg:kind "area" ; skos:narrower ?m . ?m kg:kind ?k FILTER(?k IN ("definition", "term"))')
    sizes = sorted(Counter(row["a"] for row in rows).values())
    bound = sizes[len(sizes) // 2]  # the larger half of the areas is over it
    assert sizes[-1] > bound
    unbounded = closest_pairs(store, max_areas=50, keep=10)
    derive(store, rules_dir=settings_folder(tmp_path / "mine", maxMembersPerArea=str(bound)))
    area_pairs, member_pairs = closest_pairs(store, max_areas=50, keep=10, max_members=bound)
    assert area_pairs == unbounded[0]  # areas still overlap through the members of large areas
    assert member_pairs < unbounded[1]  # but the members of a large area are not related through it
    related = {(row["a"], row["b"]) for row in concepts(store, "?a skos:related ?b FILTER(STR(?a) < STR(?b))")}
    hierarchy = {(row["a"], row["b"]) for row in concepts(store, "?a skos:broader|skos:narrower ?b")}
    hierarchy |= {(b, a) for a, b in hierarchy}
    assert related == (area_pairs | member_pairs) - hierarchy
    assert len(concepts(store, '?a kg:kind "area" ; skos:narrower ?m')) == len(
        concepts(example_store, '?a kg:kind "area" ; skos:narrower ?m')
    )  # every member stays narrower than its area


def test_a_member_listed_by_too_many_areas_relates_nothing(seeds_build: Path, tmp_path: Path):
    store = copy_of(open_store(seeds_build))
    # The order books are listed by both seed areas, the only member they share.
    derive(store, rules_dir=settings_folder(tmp_path / "mine", maxAreasPerMember="1"))
    assert not concepts(store, "?o a kg:Overlap")
    assert not has(store, P2P, "skos:related", f"<{P2P_CHANNELS}>")
    assert not concepts(store, f"<{ORDER_BOOKS}> skos:related ?other")
    assert has(store, P2P, "skos:narrower", f"<{ORDER_BOOKS}>")
    assert has(store, STATE_CHANNELS, "skos:related", f"<{SITE}definition/lightning-network/>")


def test_faq_questions_become_facets(seeds_build: Path):
    store = open_store(seeds_build)
    facets = concepts(store, f"<{P2P}> kg:facet ?f . ?f kg:kind ?k ; skos:prefLabel ?label ; kg:answer ?answer")
    assert sorted(row["label"] for row in facets) == ["Action", "Architecture", "Risk"]
    risk = next(row for row in facets if row["label"] == "Risk")
    assert risk["f"] == P2P + "#facet-risk" and risk["k"] == "facet"
    assert risk["answer"].startswith("P2P trading introduces unique risk considerations")


def test_breadcrumbs_make_a_hierarchy_up_to_the_home_page(seeds_build: Path):
    store = open_store(seeds_build)
    assert has(store, P2P, "skos:broader", f"<{SITE}area/>")
    assert has(store, SITE + "area/", "skos:broader", f"<{SITE}>")
    scheme = concepts(store, f"?s skos:hasTopConcept <{SITE}> ; skos:prefLabel ?label ; kg:site ?site")
    assert scheme == [{"s": "urn:kg:scheme:term.greeks.live", "label": "Greeks.live", "site": SITE}]
    assert len(concepts(store, "?c a skos:Concept FILTER NOT EXISTS { ?c skos:inScheme ?s }")) == 0


def test_sources_name_the_pages_that_mention_a_concept(seeds_build: Path):
    store = open_store(seeds_build)
    sources = sorted(row["page"] for row in concepts(store, f"<{ORDER_BOOKS}> kg:source ?page"))
    assert sources == [P2P_CHANNELS, P2P]


def test_derive_starts_from_scratch_and_leaves_no_settings(seeds_build: Path):
    store = ox.Store()
    store.extend(open_store(seeds_build).quads_for_pattern(None, None, None, None))
    before = set(store.quads_for_pattern(None, None, None, ox.NamedNode(CONCEPTS_GRAPH)))
    counts = derive(store)
    after = set(store.quads_for_pattern(None, None, None, ox.NamedNode(CONCEPTS_GRAPH)))
    assert before == after
    assert counts["area"] == 2 and counts["definition"] == 5 and counts["term"] == 3 and counts["facet"] == 6
    assert not store.contains_named_graph(ox.NamedNode(SCRATCH_GRAPH))


def test_label_containment_can_be_switched_off(seeds_build: Path, tmp_path: Path):
    store = ox.Store()
    store.extend(open_store(seeds_build).quads_for_pattern(None, None, None, None))
    derive(store, skip=["label-containment"])
    assert not has(store, MULTI_PARTY, "skos:broader", f"<{STATE_CHANNELS}>")
    # ... or in the settings, with a copy of 00-settings.ru passed as a rules folder.
    settings = shipped_rules_folder().joinpath("00-settings.ru").read_text(encoding="utf-8")
    assert "kg:labelContainment true" in settings
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "00-settings.ru").write_text(
        settings.replace("kg:labelContainment true", "kg:labelContainment false")
    )
    derive(store, rules_dir=tmp_path / "mine")
    assert not has(store, MULTI_PARTY, "skos:broader", f"<{STATE_CHANNELS}>")
    derive(store)
    assert has(store, MULTI_PARTY, "skos:broader", f"<{STATE_CHANNELS}>")


def test_kg_link_reruns_the_rules_and_rewrites_the_export(seeds_build: Path):
    runner = CliRunner()
    result = runner.invoke(main, ["link", "-o", str(seeds_build), "--skip", "label-containment"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("concept layer: 2 areas, 5 definitions, 6 facets, 2 pages, 3 terms; links:")
    assert not has(open_store(seeds_build), MULTI_PARTY, "skos:broader", f"<{STATE_CHANNELS}>")
    turtle = (seeds_build / "graph.ttl").read_text()
    assert "multi-party-state-channels" in turtle and "urn:kg:overlap:" in turtle
    result = runner.invoke(main, ["link", "-o", str(seeds_build)])
    assert result.exit_code == 0, result.output
    assert has(open_store(seeds_build), MULTI_PARTY, "skos:broader", f"<{STATE_CHANNELS}>")


def test_kg_link_verbose_says_which_rule_finished_and_how_long_each_took(seeds_build: Path):
    result = CliRunner().invoke(main, ["link", "-o", str(seeds_build), "-v"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    names = [rule.stem for rule in corpus_rules_of(load_rules())]
    # Each corpus rule once (the page rules ran in the build's workers), as it finishes,
    # counted in finishing order; two may run side by side, so a rule may finish before
    # one listed above it.
    finished = [line for line in lines if line.startswith("concept rules:")]
    pattern = r"concept rules: (\S+) done in [\d.]+ s \((\d+) of (\d+)\)"
    matches = [re.fullmatch(pattern, line) for line in finished]
    assert all(matches), finished
    assert sorted(match.group(1) for match in matches) == sorted(names)
    assert [match.group(2) for match in matches] == [str(n) for n in range(1, len(names) + 1)]
    assert matches[0].group(1) == "00-settings" and matches[-1].group(1) == "95-statistics"
    assert lines.index("writing graph.ttl") > lines.index(finished[-1])
    timed = [line.split()[0] for line in lines if line.endswith(" ms")]
    assert timed == [rule.filename for rule in corpus_rules_of(load_rules())]


def test_kg_link_lists_its_rules():
    result = CliRunner().invoke(main, ["link", "--list"])
    assert result.exit_code == 0, result.output
    assert "70-label-containment.sql     Label containment\n" in result.output


def test_kg_link_refuses_an_unknown_rule(seeds_build: Path):
    result = CliRunner().invoke(main, ["link", "-o", str(seeds_build), "--skip", "label-containmnet"])
    assert result.exit_code == 1
    assert result.output.startswith(
        "Error: no rule named label-containmnet; the rules are: settings, page-facts, areas, "
    )


def test_a_broken_rule_names_its_file_and_position_and_leaves_the_build_as_it_was(seeds_build: Path, tmp_path: Path):
    layer = set(open_store(seeds_build).quads_for_pattern(None, None, None, ox.NamedNode(CONCEPTS_GRAPH)))
    turtle = (seeds_build / "graph.ttl").read_bytes()
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "95-broken.ru").write_text("# title: broken\nINSERT { GRAPH <urn:x> { ?s ?p } }\nWHERE { ?s ?p ?o }\n")
    result = CliRunner().invoke(main, ["link", "-o", str(seeds_build), "--rules", str(mine), "--skip", "related"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith(f"Error: {mine / '95-broken.ru'}: syntax error at line 2, column 32: ")
    assert lines[1:] == ["  INSERT { GRAPH <urn:x> { ?s ?p } }", "                                 ^"]
    assert "Traceback" not in result.output
    # The rules ran on a copy: the live store and the export are as the build left them.
    assert set(open_store(seeds_build).quads_for_pattern(None, None, None, ox.NamedNode(CONCEPTS_GRAPH))) == layer
    assert (seeds_build / "graph.ttl").read_bytes() == turtle
    names = sorted(path.name for path in seeds_build.iterdir())
    assert names == [".kg-build", ".lock", "facts.sqlite", "graph.ttl", "store"]


def test_a_rule_is_a_series_of_construct_queries(seeds_build: Path, tmp_path: Path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "95-named-areas.ru").write_text(
        "# title: Named areas\nPREFIX kg: <urn:kg:vocab:>\nPREFIX kgg: <urn:kg:graph:>\n\n"
        "# Areas with a label, for the next query.\n# into: kgg:link-scratch\nCONSTRUCT { ?area kg:named true }\n"
        'WHERE { GRAPH kgg:concepts { ?area kg:kind "area" ; skos:prefLabel ?l } }\n\n'
        "CONSTRUCT { ?area kg:tag 'named' }\nWHERE { GRAPH kgg:link-scratch { ?area kg:named true } }\n"
    )
    store = copy_of(open_store(seeds_build))
    derive(store, rules_dir=mine)
    assert sorted(row["a"] for row in concepts(store, "?a kg:tag 'named'")) == [P2P_CHANNELS, P2P]
    assert not store.contains_named_graph(ox.NamedNode(SCRATCH_GRAPH))
    (mine / "95-named-areas.ru").write_text("# title: Bad\n# into: kgg:pages\nCONSTRUCT { ?s ?p ?o }\nWHERE {}\n")
    with pytest.raises(RuleError, match="95-named-areas.ru: line 2: '# into:' takes kgg:concepts or kgg:link-scratch"):
        load_rules(mine)


def test_kg_link_waits_for_a_build_writing_to_the_same_folder(seeds_build: Path, seeds_dir: Path):
    # Refused by the lock, nothing was done: one line and exit 2, for kg link and kg build alike.
    with open(seeds_build / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        results = [
            CliRunner().invoke(main, ["link", "-o", str(seeds_build)]),
            CliRunner().invoke(main, ["build", str(seeds_dir), "--full", "-o", str(seeds_build)]),
        ]
    for result in results:
        assert result.exit_code == 2
        assert result.output == f"Error: another kg build is writing to {seeds_build}/; wait for it to finish\n"


def test_a_rule_s_triples_load_in_pieces_cut_at_line_ends(tmp_path: Path):
    # Rules load their triples in pieces so the bulk loader's memory stays bounded; no piece
    # may cut a triple, whatever the piece size (here smaller than one line).
    text = '"line {n}\\nwith an escaped newline, \\"quotes\\" and é"'
    lines = [f"<urn:x:{n}> <urn:x:says> {text.format(n=n)} .\n" for n in range(500)]
    path = tmp_path / "triples.nt"
    path.write_text("".join(lines), encoding="utf-8")
    graph = ox.NamedNode("urn:x:graph")
    for batch_bytes in (10, 4096, 10**9):
        store = ox.Store()
        bulk_load_file(store, path, ox.RdfFormat.N_TRIPLES, to_graph=graph, batch_bytes=batch_bytes)
        assert len(store) == 500
        says = ox.Literal('line 7\nwith an escaped newline, "quotes" and é')
        assert ox.Quad(ox.NamedNode("urn:x:7"), ox.NamedNode("urn:x:says"), says, graph) in store


# ---------------------------------------------------------------------------- steps side by side


def layer(store: ox.Store) -> set[ox.Quad]:
    """What the rules wrote: the concept and statistics graphs."""
    return {
        quad
        for graph in (CONCEPTS_GRAPH, STATISTICS_GRAPH)
        for quad in store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
    }


def derived(pages: ox.Store, rules: list[Rule], jobs: int, prefer_last: bool = False) -> set[ox.Quad]:
    store = copy_of(pages)
    run_rules(store, rules, jobs=jobs, prefer_last=prefer_last)
    return layer(store)


def rules_with(folder: Path, filename: str, old: str, new: str) -> Path:
    """A rules folder holding the shipped `filename` (a path under queries/rules/) with `old`
    replaced by `new`, under the file's own name."""
    text = shipped_rules_folder().joinpath(filename).read_text(encoding="utf-8")
    assert old in text, old
    folder.mkdir(exist_ok=True)
    (folder / Path(filename).name).write_text(text.replace(old, new), encoding="utf-8")
    return folder


# Rule 80 ships as SQL (80-related.sql, run by DuckDB); the same rule in SPARQL is
# sparql/80-related.ru, which a --rules folder can put in its place.
SPARQL_RELATED = "sparql/80-related.ru"


@pytest.fixture
def layouts_build(tmp_path: Path) -> Path:
    """Other sites' layouts (test_glossary_markup, test_site_layouts) in one corpus."""
    from conftest import build_corpus
    from test_glossary_markup import CORPUS as GLOSSARY
    from test_site_layouts import CORPUS as LAYOUTS

    return build_corpus(tmp_path, GLOSSARY | LAYOUTS)


@pytest.mark.parametrize("corpus", ["example", "seeds", "layouts"])
def test_the_rules_make_the_same_layer_in_every_order_their_plan_allows(corpus, request):
    # One step at a time in file order is how the rule files read; two at a time, and the
    # last ready step first, are orders their `# after:` lines allow. No triple may differ.
    pages = (
        request.getfixturevalue("example_store")
        if corpus == "example"
        else open_store(request.getfixturevalue(f"{corpus}_build"))
    )
    rules = load_rules()
    expected = derived(pages, rules, jobs=1)
    made = {quad.predicate.value for quad in expected}
    assert {
        str(SKOS[name]) for name in ("broader", "narrower", "related", "prefLabel", "definition", "inScheme")
    } <= made
    for jobs, prefer_last in ((1, True), (2, False), (2, True)):
        assert derived(pages, rules, jobs, prefer_last) == expected, (jobs, prefer_last)


@pytest.mark.parametrize("corpus", ["example", "seeds", "layouts"])
def test_rule_80_in_sql_makes_the_layer_rule_80_in_sparql_makes_in_any_number_of_parts(corpus, request, tmp_path: Path):
    # The shipped rule 80 is SQL run by DuckDB; its SPARQL text ranks the related areas and
    # definitions in sixteen parts (`# partition: 16`), to bound what each CONSTRUCT holds.
    # In one part, sixteen or 256 it makes the layer the SQL rule makes, triple for triple.
    pages = (
        request.getfixturevalue("example_store")
        if corpus == "example"
        else open_store(request.getfixturevalue(f"{corpus}_build"))
    )
    shipped = load_rules()
    assert next(rule for rule in shipped if rule.name == "related").filename == "80-related.sql"
    expected = derived(pages, shipped, jobs=2)
    overlaps = {quad.subject for quad in expected if quad.object.value == "urn:kg:vocab:Overlap"}
    assert overlaps and any(quad.predicate.value == str(SKOS.related) for quad in expected)
    assert {quad.predicate.value for quad in expected if quad.subject in overlaps} == {
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
        *(f"urn:kg:vocab:{name}" for name in ("between", "shared", "sharedCount")),
    }
    for parts in (1, 16, 256):
        folder = rules_with(tmp_path / str(parts), SPARQL_RELATED, "# partition: 16", f"# partition: {parts}")
        rules = load_rules(folder)
        assert next(rule for rule in rules if rule.name == "related").filename == "80-related.ru"
        assert derived(pages, rules, jobs=2) == expected, parts


def _sparql_texts() -> list[str]:
    return sorted(path.name for path in Path(str(shipped_rules_folder().joinpath("sparql"))).glob("*.ru"))


@pytest.mark.parametrize("corpus", ["example", "seeds", "layouts"])
@pytest.mark.parametrize("filename", _sparql_texts())
def test_each_sql_rule_makes_the_layer_its_sparql_text_makes(filename, corpus, request, tmp_path: Path):
    # A shipped SQL rule (run by DuckDB over the corpus tables) ships with its SPARQL text
    # under sparql/; put in a --rules folder, that text runs on Oxigraph instead, in the same
    # plan. The layer, concept and statistics graphs, must be the same triple for triple.
    pages = (
        request.getfixturevalue("example_store")
        if corpus == "example"
        else open_store(request.getfixturevalue(f"{corpus}_build"))
    )
    shipped = load_rules()
    stem = filename.removesuffix(".ru")
    assert next(rule for rule in shipped if rule.stem == stem).filename == f"{stem}.sql"
    expected = derived(pages, shipped, jobs=2)
    assert expected
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / filename).write_text(shipped_rules_folder().joinpath(f"sparql/{filename}").read_text(encoding="utf-8"))
    rules = load_rules(folder)
    assert next(rule for rule in rules if rule.stem == stem).filename == filename
    assert derived(pages, rules, jobs=2) == expected


# Labels and hosts beyond ASCII: SPARQL's LCASE maps a capital sigma that ends a word to ς
# and İ to i and a combining dot, and its \s is Unicode's white space (a no-break space).
GREEK = "https://ΣΟΦΙΑΣ.example/"


def unicode_corpus() -> dict[str, str]:
    from pages import dump, thing

    labels = {
        "sofias": "ΣΟΦΙΑΣ",
        "sofias-index": "Ευρετήριο ΣΟΦΙΑΣ",
        "istanbul": "İstanbul",
        "istanbul-rate": "İstanbul\u00a0Rate",
        "wide": "Wide\u2003Spread",
        "wide-spread": "Very Wide Spread",
        "sofias-as-typed": "σοφιασ",
        "istanbul-as-typed": "istanbul",
    }
    pages = {
        f"{slug}.txt": dump(
            f"{GREEK}definition/{slug}/",
            thing("DefinedTerm", url=f"{GREEK}definition/{slug}/", name=label, description="A word."),
        )
        for slug, label in labels.items()
    }
    pages["area.txt"] = dump(
        f"{GREEK}area/words/",
        thing(
            "CollectionPage",
            url=f"{GREEK}area/words/",
            headline="Λέξεις",
            hasPart=[
                {"@type": "Article", "@id": f"{GREEK}definition/{slug}/", "headline": label}
                for slug, label in labels.items()
            ],
        ),
    )
    return pages


def test_sql_rules_lower_case_and_split_words_as_sparql_does(tmp_path: Path):
    from conftest import build_corpus

    pages = open_store(build_corpus(tmp_path / "corpus", unicode_corpus()))
    expected = derived(pages, load_rules(), jobs=2)
    broader = {
        (quad.subject.value, quad.object.value) for quad in expected if quad.predicate.value == str(SKOS.broader)
    }
    assert (f"{GREEK}definition/sofias-index/", f"{GREEK}definition/sofias/") in broader
    assert (f"{GREEK}definition/istanbul-rate/", f"{GREEK}definition/istanbul/") in broader
    assert (f"{GREEK}definition/wide-spread/", f"{GREEK}definition/wide/") in broader
    # ... but not "σοφιασ" (as typed, not as LCASE writes it) nor a dotless "istanbul".
    assert (f"{GREEK}definition/sofias-index/", f"{GREEK}definition/sofias-as-typed/") not in broader
    assert (f"{GREEK}definition/istanbul-rate/", f"{GREEK}definition/istanbul-as-typed/") not in broader
    schemes = {quad.object.value for quad in expected if quad.predicate.value == str(SKOS.inScheme)}
    assert schemes == {
        "urn:kg:scheme:%CF%83%CE%BF%CF%86%CE%B9%CE%B1%CF%83.example"
    }  # σοφιας: Σ before "." is not final
    folder = tmp_path / "rules"
    folder.mkdir()
    for filename in ("50-schemes.ru", "70-label-containment.ru", "95-statistics.ru"):
        (folder / filename).write_text(
            shipped_rules_folder().joinpath(f"sparql/{filename}").read_text(encoding="utf-8")
        )
    assert derived(pages, load_rules(folder), jobs=2) == expected


# ------------------------------------------------ lists, sets, numbered and definition pages

# A corpus of the edge cases of rules 10 (areas), 20 (members) and 25 (definition pages):
# lists that count and lists that do not, list items that are literals or fragments of
# their own page, numbered pages, sets of defined terms, and pages that are, or are about,
# a definition. Every SQL rule must make from it what its SPARQL text makes.
EDGE = "https://lexicon.example.net/"


def edge_item(position: int, **values) -> dict:
    return {"@type": "ListItem", "position": position, **values}


def edge_page(path: str, *nodes: dict, crumbs: list[str] | None = None) -> str:
    """A page at EDGE + path with one JSON-LD block per node (a breadcrumb trail first)."""
    blocks = [{"@context": "https://schema.org", **node} for node in nodes]
    if crumbs:
        trail = [
            edge_item(n, item=EDGE + crumb, name=crumb.split("/")[-2].title() if crumb else "Home")
            for n, crumb in enumerate(crumbs, 1)
        ]
        blocks.insert(0, {"@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": trail})
    return dump(EDGE + path, *blocks)


EDGE_CORPUS = {
    # Lists: the page's main entity (named by @id) counts even beside an article; a list
    # item with a url and no item is named by its url (kg.reconcile), so it is the member.
    "main-list.txt": edge_page(
        "indexes/main-list/",
        {
            "@type": "WebPage",
            "@id": EDGE + "indexes/main-list/",
            "name": "Main List | Lexicon",
            "mainEntity": {"@id": EDGE + "indexes/main-list/#items"},
        },
        {
            "@type": "ItemList",
            "@id": EDGE + "indexes/main-list/#items",
            "itemListElement": [
                edge_item(1, item=EDGE + "definition/liquidity/"),
                edge_item(2, url=EDGE + "definition/slippage/"),
            ],
        },
        {"@type": "Article", "headline": "Reading the main list"},
    ),
    # A list standing alone beside a recipe nothing holds: the recipe is the page's subject.
    "loose-recipe.txt": edge_page(
        "indexes/loose-recipe/",
        {"@type": "ItemList", "itemListElement": [edge_item(1, item=EDGE + "definition/margin/")]},
        {"@type": "Recipe", "name": "Margin pie"},
    ),
    # ... but a recipe the page holds is not a main thing: the list counts; an item that is a
    # fragment of the page itself is no member.
    "held-recipe.txt": edge_page(
        "indexes/held-recipe/",
        {
            "@type": "ItemList",
            "itemListElement": [
                edge_item(1, item=EDGE + "definition/collateral/"),
                edge_item(2, item={"@id": EDGE + "indexes/held-recipe/#howto"}),
            ],
        },
        {
            "@type": "WebPage",
            "@id": EDGE + "indexes/held-recipe/",
            "headline": "Held Recipe ⎊ Index ⎊ Lexicon",
            "hasPart": {"@type": "Recipe", "name": "Collateral cake"},
        },
    ),
    # A list an article holds (its "see also") does not count, nor one that holds itself.
    "article-list.txt": edge_page(
        "indexes/article-list/",
        {
            "@type": "Article",
            "headline": "Notes",
            "hasPart": {"@type": "ItemList", "itemListElement": [edge_item(1, item=EDGE + "definition/basis/")]},
        },
    ),
    "self-held.txt": edge_page(
        "indexes/self-held/",
        {
            "@type": "ItemList",
            "@id": EDGE + "indexes/self-held/#l",
            "hasPart": {"@id": EDGE + "indexes/self-held/#l"},
            "itemListElement": [edge_item(1, item=EDGE + "definition/carry/")],
        },
    ),
    # Elements: an IRI element with no item is the member; a literal item, or an item that
    # is a fragment of the page, hides the element's IRI.
    "elements.txt": edge_page(
        "indexes/elements/",
        {
            "@type": "ItemList",
            "itemListElement": [
                {"@id": EDGE + "definition/hedge/"},
                {"@type": "ListItem", "item": "just words"},
                {"@id": EDGE + "indexes/elements/#third"},
                {"@id": EDGE + "definition/premium/", "item": "a literal item"},
                {"@id": EDGE + "definition/strike/", "item": {"@id": EDGE + "indexes/elements/#strike"}},
            ],
        },
    ),
    # Only fragments of its own page: no area.
    "own-fragments.txt": edge_page(
        "indexes/own-fragments/",
        {"@type": "ItemList", "itemListElement": [{"@id": EDGE + "indexes/own-fragments/#a"}]},
    ),
    # A thing that names the page as its mainEntityOfPage is the page's subject; the list
    # naming the page so is not another thing beside itself.
    "named-subject.txt": edge_page(
        "indexes/named-subject/",
        {"@type": "ItemList", "itemListElement": [edge_item(1, item=EDGE + "definition/yield/")]},
        {"@type": "Thing", "name": "Yield curve poster", "mainEntityOfPage": EDGE + "indexes/named-subject/"},
    ),
    "list-names-page.txt": edge_page(
        "indexes/list-names-page/",
        {
            "@type": "ItemList",
            "@id": EDGE + "indexes/list-names-page/#l",
            "name": "Duration &amp; Convexity",
            "mainEntityOfPage": EDGE + "indexes/list-names-page/",
            "itemListElement": [edge_item(1, item=EDGE + "definition/duration/")],
        },
    ),
    # A main entity that is not the list, and one that is a blank list.
    "other-main.txt": edge_page(
        "indexes/other-main/",
        {"@type": "WebPage", "@id": EDGE + "indexes/other-main/", "mainEntity": {"@type": "Thing", "name": "A poster"}},
        {"@type": "ItemList", "itemListElement": [edge_item(1, item=EDGE + "definition/spread-risk/")]},
    ),
    "blank-main-list.txt": edge_page(
        "indexes/blank-main-list/",
        {
            "@type": "WebPage",
            "@id": EDGE + "indexes/blank-main-list/",
            "description": "Every word ⎊ Definition",
            "mainEntity": {"@type": "ItemList", "itemListElement": [edge_item(1, item=EDGE + "term/bid/")]},
        },
    ),
    # Numbered pages: a list on the second page of an area whose first page is not in the
    # corpus; a collection's third page beside its first; a numbered page of the site root.
    "rates-2.txt": edge_page(
        "area/rates/page/2/",
        {"@type": "ItemList", "itemListElement": [edge_item(1, item=EDGE + "term/repo-rate/")]},
        {
            "@type": "WebPage",
            "@id": EDGE + "area/rates/page/2/",
            "headline": "Rates ⎊ Area ⎊ Page 2",
            "description": "Interest in all its forms.",
        },
    ),
    "options-3.txt": edge_page(
        "area/options/resource/3",
        {
            "@type": "CollectionPage",
            "@id": EDGE + "area/options/resource/3",
            "name": "Options, part 3",
            "hasPart": [{"@id": EDGE + "definition/vanna/"}, {"@id": EDGE + "area/options/resource/3#more"}],
        },
        crumbs=["", "area/", "area/options/resource/3"],
    ),
    "options.txt": edge_page(
        "area/options/",
        {
            "@type": "CollectionPage",
            "@id": EDGE + "area/options/",
            "headline": "Options ⎊ Area ⎊ Lexicon",
            "hasPart": [{"@id": EDGE + "term/charm/"}],
        },
        {
            "@type": "FAQPage",
            "mainEntity": {
                "@type": "Question",
                "name": "What are the Risks of Options?",
                "acceptedAnswer": {"@type": "Answer", "text": "<p>Many.</p>"},
            },
        },
        crumbs=["", "area/", "area/options/"],
    ),
    "root-2.txt": edge_page(
        "page/2/",
        {"@type": "CollectionPage", "@id": EDGE + "page/2/", "hasPart": [{"@id": EDGE + "definition/basis/"}]},
    ),
    # Sets of defined terms: terms that are fragments of the set's page and a term page; a
    # term that names a set on a page the corpus lacks; a set whose only part is itself;
    # unnamed sets (a fragment of their page, as kg names a blank node), one with a member
    # and one a term names; a set described on another page than its own.
    "glossary.txt": edge_page(
        "glossary/",
        {
            "@type": "DefinedTermSet",
            "@id": EDGE + "glossary/#set",
            "name": "Lexicon glossary",
            "hasDefinedTerm": [
                {
                    "@type": "DefinedTerm",
                    "@id": EDGE + "glossary/#tick",
                    "name": "Tick",
                    "description": "The smallest move.",
                },
                {"@type": "DefinedTerm", "@id": EDGE + "term/lot/", "name": "Lot"},
            ],
        },
    ),
    "pip.txt": edge_page(
        "term/pip/",
        {
            "@type": "DefinedTerm",
            "@id": EDGE + "term/pip/",
            "name": "Pip",
            "description": "A unit of price ⎊ Definition",
            "inDefinedTermSet": EDGE + "elsewhere/fx-words/",
        },
    ),
    "self-set.txt": edge_page(
        "sets/self/",
        {"@type": "DefinedTermSet", "@id": EDGE + "sets/self/#set", "hasPart": {"@id": EDGE + "sets/self/#set"}},
    ),
    "blank-set.txt": edge_page(
        "sets/blank/",
        {"@type": "DefinedTermSet", "name": "No name set", "hasDefinedTerm": {"@id": EDGE + "term/lot-size/"}},
        {"@type": "DefinedTerm", "@id": EDGE + "term/odd-lot/", "inDefinedTermSet": {"@type": "DefinedTermSet"}},
    ),
    "set-elsewhere.txt": edge_page(
        "notes/sets/",
        {
            "@type": "DefinedTermSet",
            "@id": EDGE + "elsewhere/fx-words/",
            "name": "FX words",
            "hasDefinedTerm": [{"@id": EDGE + "term/pip/"}, {"@id": EDGE + "notes/sets/#local"}],
        },
    ),
    # Definition pages: a page about a fragment term; a page whose main entity is a concept
    # already (listed by an area, or a term of a set); an article under /definition/; a
    # /definition/ page about a page of the first kind, and one about a page of the second;
    # a /term/ page that is a DefinedTerm; a /glossary/ page about nothing known.
    "about-fragment.txt": edge_page(
        "words/leverage/",
        {
            "@type": "WebPage",
            "@id": EDGE + "words/leverage/",
            "name": "Leverage",
            "about": {"@type": "DefinedTerm", "@id": EDGE + "words/leverage/#term", "name": "Leverage (term)"},
        },
    ),
    "main-known.txt": edge_page(
        "words/liquidity/",
        {
            "@type": "WebPage",
            "@id": EDGE + "words/liquidity/",
            "mainEntity": {"@type": "DefinedTerm", "@id": EDGE + "definition/liquidity/"},
        },
    ),
    "main-set-term.txt": edge_page(
        "words/tick/",
        {
            "@type": "WebPage",
            "@id": EDGE + "words/tick/",
            "mainEntity": {"@type": "DefinedTerm", "@id": EDGE + "glossary/#tick"},
        },
    ),
    "plain-definition.txt": edge_page(
        "definition/arbitrage/",
        {"@type": "Article", "headline": "Arbitrage", "description": "Buying low here, selling high there."},
    ),
    "about-step-one.txt": edge_page(
        "definition/leverage-ratio/",
        {"@type": "WebPage", "@id": EDGE + "definition/leverage-ratio/", "about": {"@id": EDGE + "words/leverage/"}},
    ),
    "about-step-two.txt": edge_page(
        "definition/arbitrage-window",
        {
            "@type": "WebPage",
            "@id": EDGE + "definition/arbitrage-window",
            "about": {"@id": EDGE + "definition/arbitrage/"},
        },
    ),
    "defined-term.txt": edge_page(
        "term/notional/",
        {"@type": "DefinedTerm", "@id": EDGE + "term/notional/", "name": "Notional"},
    ),
    "glossary-page.txt": edge_page(
        "glossary/fill/",
        {"@type": "WebPage", "@id": EDGE + "glossary/fill/", "about": {"@id": EDGE + "nowhere/"}},
    ),
    # An area listing another area, a set and a term: each area stays an area.
    "hub.txt": edge_page(
        "area/hub/",
        {
            "@type": "CollectionPage",
            "@id": EDGE + "area/hub/",
            "headline": "Hub",
            "hasPart": [{"@id": EDGE + "area/options/"}, {"@id": EDGE + "glossary/#set"}, {"@id": EDGE + "term/lot/"}],
        },
    ),
}


# Settings a user's own 00-settings.ru may hold besides the shipped ones, each line
# `kg:NAME VALUES ;` replaced (None: left out). Patterns are Turtle strings here, with a
# backslash doubled.
EDGE_SETTINGS = {
    "shipped": {},
    # No continuation, term or definition IRI pattern: every OPTIONAL stays unbound.
    "missing": {"continuationPattern": None, "termIriPattern": None, "definitionIriPattern": None},
    # Several values: each pattern matched per row (one without a group, which cuts the
    # numbered part off; a member matching one term pattern of two gets both kinds),
    # breadcrumb trails as lists, and any Thing as a definition type.
    "several": {
        "continuationPattern": r'"^(.+/)(resource|page)/[0-9]+/?$" , "/resource/[0-9]+$"',
        "termIriPattern": r'"/term/" , "/words/"',
        "listType": "schema:ItemList , schema:BreadcrumbList",
        "definitionType": "schema:DefinedTerm , schema:Thing",
    },
    # One value each, but not what a pattern should be: a continuation pattern that matches
    # the whole IRI and has no group (an empty IRI, an error: rule 20 then adds the numbered
    # page's members to every area), a term pattern that is an IRI, a definition IRI
    # pattern with a language tag.
    "odd": {
        "continuationPattern": r'"^.+/page/[0-9]+/$"',
        "termIriPattern": "<https://lexicon.example.net/term/>",
        "definitionIriPattern": r'"/(definition|glossary)/"@en',
    },
}


def edge_rules(folder: Path, settings: str, sparql: str | None = None) -> list[Rule]:
    """The shipped rules with the EDGE_SETTINGS `settings` and the SPARQL text `sparql`
    (a file name under sparql/) in place of its SQL rule."""
    folder.mkdir(parents=True, exist_ok=True)
    text = shipped_rules_folder().joinpath("00-settings.ru").read_text(encoding="utf-8")
    for name, value in EDGE_SETTINGS[settings].items():
        text, found = re.subn(
            rf"^(\s+kg:{name}) .*;\n",
            lambda line, value=value: "" if value is None else f"{line[1]} {value} ;\n",
            text,
            flags=re.MULTILINE,
        )
        assert found == 1, name
    if EDGE_SETTINGS[settings]:
        (folder / "00-settings.ru").write_text(text, encoding="utf-8")
    if sparql:
        text = shipped_rules_folder().joinpath(f"sparql/{sparql}").read_text(encoding="utf-8")
        (folder / sparql).write_text(text, encoding="utf-8")
    return load_rules(folder)


@pytest.fixture(scope="module")
def edge_layers(tmp_path_factory):
    """The EDGE_CORPUS build's pages and, by settings, the layer the shipped rules make."""
    from conftest import build_corpus

    folder = tmp_path_factory.mktemp("edges")
    pages = open_store(build_corpus(folder, EDGE_CORPUS))
    made: dict[str, set[ox.Quad]] = {}

    def layer_of(settings: str) -> set[ox.Quad]:
        if settings not in made:
            made[settings] = derived(pages, edge_rules(folder / f"shipped-{settings}", settings), jobs=2)
        return made[settings]

    return pages, layer_of


def test_the_edge_corpus_makes_areas_members_and_definitions(edge_layers):
    _, layer_of = edge_layers
    made = layer_of("shipped")
    kinds = {(quad.subject.value, quad.object.value) for quad in made if quad.predicate.value == "urn:kg:vocab:kind"}
    narrower = {(quad.subject.value, quad.object.value) for quad in made if quad.predicate.value == str(SKOS.narrower)}
    assert Counter(kind for _, kind in kinds) >= Counter(area=10, definition=10, term=6)
    assert len(narrower) >= 20
    assert {str(SKOS.prefLabel), str(SKOS.definition), str(SKOS.broader)} <= {quad.predicate.value for quad in made}
    areas = {concept for concept, kind in kinds if kind == "area"}
    indexes = EDGE + "indexes/"
    assert {indexes + name + "/" for name in ("main-list", "held-recipe", "elements", "list-names-page")} <= areas
    assert (
        not {
            indexes + name + "/"
            for name in ("loose-recipe", "article-list", "self-held", "own-fragments", "named-subject", "other-main")
        }
        & areas
    )
    assert {EDGE, EDGE + "area/rates/", EDGE + "elsewhere/fx-words/", EDGE + "glossary/#set"} <= areas
    assert EDGE + "sets/self/#set" not in areas
    assert (EDGE + "area/options/", EDGE + "definition/vanna/") in narrower  # from its third page
    assert (EDGE + "indexes/elements/", EDGE + "definition/hedge/") in narrower
    assert not {part for area, part in narrower if area == EDGE + "indexes/elements/"} - {EDGE + "definition/hedge/"}
    definitions = {concept for concept, kind in kinds if kind != "area"}
    made_here = {EDGE + path for path in ("words/leverage/", "definition/arbitrage/", "definition/arbitrage-window")}
    assert made_here <= definitions
    # A page about a page rule 25 made, or whose main entity is a concept, is no second one.
    not_made = {EDGE + path for path in ("definition/leverage-ratio/", "words/liquidity/", "words/tick/")}
    assert not not_made & definitions
    assert (EDGE + "term/notional/", "term") in kinds


# (settings, SPARQL text) -> why the SQL rule's layer differs there, for the coordinator
# to decide on (each an xfail(strict=True): it fails once they agree).
# A continuation pattern whose group is empty makes IRI("") fail in SPARQL: ?concept is left
# unbound and the next pattern binds it to every concept, so every concept without a label
# (or definition) would take the numbered page's. The SQL rules leave that page out instead.
_UNBOUND_CONCEPT = "SPARQL joins an unbound ?concept with every concept; the SQL rule skips the page"
EDGE_DIFFERENCES: dict[tuple[str, str], str] = {
    ("odd", "40-labels.ru"): _UNBOUND_CONCEPT,
    ("odd", "45-definitions.ru"): _UNBOUND_CONCEPT,
}


def _edge_cases() -> list:
    """Every SPARQL text with the shipped settings; with the other settings, those that read
    one of the settings changed (a rule that reads none makes the same with either)."""
    cases = []
    for settings, changed in EDGE_SETTINGS.items():
        for filename in _sparql_texts():
            text = shipped_rules_folder().joinpath(f"sparql/{filename}").read_text(encoding="utf-8")
            if changed and not any(f"kg:{name}" in text for name in changed):
                continue
            reason = EDGE_DIFFERENCES.get((settings, filename))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            cases.append(pytest.param(settings, filename, marks=marks, id=f"{settings}-{filename}"))
    return cases


@pytest.mark.parametrize(("settings", "filename"), _edge_cases())
def test_each_sql_rule_makes_its_sparql_text_s_layer_on_lists_sets_and_definition_pages(
    settings, filename, edge_layers, tmp_path: Path
):
    # EDGE_CORPUS holds the cases where a SQL rule is most likely to part from its SPARQL
    # text (the SPARQL semantics of unbound values, EXISTS within one page graph, errors
    # that leave a variable unbound), with the shipped settings and with settings that are
    # missing, several, or of an unexpected kind.
    pages, layer_of = edge_layers
    expected = layer_of(settings)
    assert any(quad.object.value == "area" for quad in expected)
    rules = edge_rules(tmp_path / "rules", settings, filename)
    assert next(rule for rule in rules if rule.stem == filename.removesuffix(".ru")).filename == filename
    got = derived(pages, rules, jobs=2)
    sql_only, sparql_only = sorted(map(str, expected - got)), sorted(map(str, got - expected))
    assert (sql_only, sparql_only) == ([], [])


def test_the_parts_of_a_step_are_the_hexadecimal_prefixes_of_one_length(tmp_path: Path):
    def partitions(parts: str) -> list[str]:
        folder = rules_with(tmp_path / parts, SPARQL_RELATED, "# partition: 16", f"# partition: {parts}")
        rule = next(rule for rule in load_rules(folder) if rule.name == "related")
        return rule.steps()[1].partitions()

    assert partitions("1") == ['""']
    assert partitions("16") == [f'"{digit}"' for digit in "0123456789abcdef"]
    assert len(set(partitions("256"))) == 256 and partitions("256")[:2] == ['"00"', '"01"']
    assert load_rules()[0].steps()[0].partitions() == []  # no `# partition:` line: one run, as written
    with pytest.raises(RuleError, match=r"80-related.ru: line \d+: '# partition:' takes 1, 16, 256, not '10'"):
        partitions("10")
    unused = rules_with(tmp_path / "unused", SPARQL_RELATED, "FILTER(STRSTARTS(?oneHash, ?partition))", "")
    with pytest.raises(RuleError, match=r"80-related.ru: line \d+: a step with '# partition:' must use \?partition"):
        load_rules(unused)  # which reads every step


def test_a_rule_that_does_not_wait_for_what_it_reads_is_caught(seeds_build: Path, tmp_path: Path):
    # The test above has teeth: label containment reads the labels rule 40 makes. Told to
    # wait only for the facets and schemes, it runs before the labels exist when the last
    # ready step goes first, and its broader link (multi-party state channels, state channels)
    # is missing.
    early = rules_with(
        tmp_path / "early",
        "70-label-containment.sql",
        "-- after: 40-labels, 50-schemes",
        "-- after: 35-facets, 50-schemes",
    )
    rules, pages = load_rules(early), open_store(seeds_build)
    missing = derived(pages, rules, jobs=1) - derived(pages, rules, jobs=1, prefer_last=True)
    assert (
        ox.Quad(
            ox.NamedNode(MULTI_PARTY),
            ox.NamedNode(str(SKOS.broader)),
            ox.NamedNode(STATE_CHANNELS),
            ox.NamedNode(CONCEPTS_GRAPH),
        )
        in missing
    )


def test_a_rule_without_an_after_line_runs_alone_between_the_others(tmp_path: Path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "42-mine.ru").write_text("# title: Mine\nCONSTRUCT { ?s ?p ?o }\nWHERE { GRAPH <urn:x> { ?s ?p ?o } }\n")
    rules = load_rules(mine)
    steps = plan(rules)
    names = [item.rule.filename for item in steps]
    mine_at = names.index("42-mine.ru")
    # It waits for every step before it (40-labels waited only for the facets) ...
    assert steps[mine_at].needs == frozenset(range(mine_at))

    # ... and every later step waits for it, directly or through the steps it waits for.
    def waits_for(index: int) -> set[int]:
        found, todo = set(), list(steps[index].needs)
        while todo:
            if (need := todo.pop()) not in found:
                found.add(need)
                todo.extend(steps[need].needs)
        return found

    assert all(mine_at in waits_for(index) for index in range(mine_at + 1, len(steps)))
    # Among the shipped rules alone, 45-definitions may run beside 40-labels: neither waits
    # for the other.
    steps = plan(load_rules())
    stems = [item.rule.stem for item in steps]
    labels, definitions = stems.index("40-labels"), stems.index("45-definitions")
    assert labels not in waits_for(definitions) and definitions not in waits_for(labels)


def test_an_after_line_names_rules_before_it(tmp_path: Path):
    later = rules_with(
        tmp_path / "later", "sparql/40-labels.ru", "# after: 35-facets", "# after: 35-facets, 70-label-containment"
    )
    with pytest.raises(
        RuleError, match=r"40-labels.ru: '# after: 70-label-containment': 70-label-containment runs later"
    ):
        load_rules(later)
    typo = rules_with(tmp_path / "typo", "sparql/40-labels.ru", "# after: 35-facets", "# after: 35-facet")
    with pytest.raises(RuleError, match=r"'# after: 35-facet': 35-facet is not a rule before it"):
        load_rules(typo)
    step = rules_with(
        tmp_path / "step",
        SPARQL_RELATED,
        "# after: step 1, 70-label-containment\n# partition: 16\nCONSTRUCT {\n",
        "# after: step 2\n# partition: 16\nCONSTRUCT {\n",
    )
    with pytest.raises(
        RuleError, match=r"80-related.ru: line \d+: '# after: step 2' names no step before this one \(this is step 2\)"
    ):
        load_rules(step)
    # A rule left out counts as done: the rules waiting for it still run.
    assert "70-label-containment.sql" in [rule.filename for rule in load_rules(skip=["labels"])]
