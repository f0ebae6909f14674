"""The page-facts build: page rules in the workers, facts kept by page, corpus rules over the
facts, the layer reaching the store as a delta (issue 22)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from conftest import write_files
from test_glossary_markup import CORPUS as GLOSSARY_CORPUS
from test_site_layouts import CORPUS as LAYOUT_CORPUS

from kg import BuildConfig, build
from kg.cli.common import main
from kg.facts import page_rules_of, runs_where
from kg.factstore import FACTS_FILE
from kg.link import run_rules
from kg.namespaces import CONCEPTS_GRAPH, STATISTICS_GRAPH
from kg.rules import load_rules, shipped_rules_folder
from kg.sources import example_corpus
from kg.store import open_store


def layer_lines(store: ox.Store, graph: str = CONCEPTS_GRAPH) -> list[str]:
    """A graph of `store` as sorted N-Triples lines."""
    return sorted(
        f"{q.subject} {q.predicate} {q.object} .\n"
        for q in store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
    )


def rules_over_page_graphs(output: Path) -> ox.Store:
    """The layer as kg made it before page facts: every rule over the whole store, page graphs
    and all (the corpus rules read the page graphs themselves; the page rules are not run)."""
    store = ox.Store()
    live = open_store(output)
    store.extend(q for q in live if q.graph_name.value not in (CONCEPTS_GRAPH, STATISTICS_GRAPH))
    run_rules(store, load_rules(), jobs=1)
    return store


def corpus_folder(name: str, folder: Path, seeds_dir_factory) -> Path:
    if name == "example":
        return example_corpus()
    if name == "seeds":
        return seeds_dir_factory()
    return write_files(folder, {"site layouts": LAYOUT_CORPUS, "glossary markup": GLOSSARY_CORPUS}[name])


@pytest.mark.parametrize("corpus", ["example", "seeds", "site layouts", "glossary markup"])
def test_the_layer_from_page_facts_is_the_layer_of_the_rules_over_the_page_graphs(corpus, tmp_path, request):
    pages = corpus_folder(corpus, tmp_path / "pages", lambda: request.getfixturevalue("seeds_dir"))
    report = build([str(pages)], BuildConfig(output=tmp_path / "out"))
    assert report.committed and report.failed == 0
    built = open_store(tmp_path / "out")
    reference = rules_over_page_graphs(tmp_path / "out")
    for graph in (CONCEPTS_GRAPH, STATISTICS_GRAPH):
        lines = layer_lines(built, graph)
        assert lines, (corpus, graph)
        assert lines == layer_lines(reference, graph), (corpus, graph)


def test_each_rule_file_says_where_it_runs():
    for path in sorted(Path(str(shipped_rules_folder())).glob("*.ru")):
        assert any(line.startswith("# runs: ") for line in path.read_text().splitlines()), path.name
    for path in sorted(Path(str(shipped_rules_folder())).glob("*.sql")):
        assert "-- runs: corpus" in path.read_text().splitlines(), path.name
    rules = load_rules()
    assert [rule.filename for rule in page_rules_of(rules)] == ["00-settings.ru", "05-page-facts.ru"]
    assert runs_where(rules[0]) == {"page", "corpus"}


def facts_rows(output: Path) -> dict[str, bytes]:
    with sqlite3.connect(output / FACTS_FILE) as db:
        return dict(db.execute("SELECT url, facts FROM pages"))


def test_one_changed_page_derives_the_facts_of_that_page_only(tmp_path: Path):
    pages = tmp_path / "pages"
    shutil.copytree(example_corpus(), pages)
    out = tmp_path / "out"
    first = build([str(pages)], BuildConfig(output=out))
    assert first.facts_derived == 8
    before = facts_rows(out)
    changed = pages / "definition-state-channels.txt"
    changed.write_text(changed.read_text().replace("State Channels", "State Channelz"))
    second = build([str(pages)], BuildConfig(output=out))
    assert second.committed and second.facts_derived == 1
    after = facts_rows(out)
    assert sorted(after) == sorted(before)
    differ = [url for url in after if after[url] != before[url]]
    assert differ == ["https://glossary.example.org/definition/state-channels/"]
    assert any("State Channelz" in line for line in layer_lines(open_store(out)))
    # The layer the delta left is the one a full build makes.
    full = build([str(pages)], BuildConfig(output=tmp_path / "full"))
    assert layer_lines(open_store(out)) == layer_lines(open_store(tmp_path / "full"))
    assert (out / "graph.ttl").read_bytes() == (tmp_path / "full" / "graph.ttl").read_bytes()
    assert full.facts_derived == 8


def test_a_changed_page_rule_derives_every_page_s_facts_and_a_corpus_rule_only_the_corpus_pass(tmp_path: Path):
    out = tmp_path / "out"
    build(None, BuildConfig(output=out))
    before = facts_rows(out)
    shipped = Path(str(shipped_rules_folder()))

    # A page rule that no longer passes on descriptions: every page's facts change, and
    # no concept has a definition any more.
    page_rules = tmp_path / "page-rules"
    page_rules.mkdir()
    text = (shipped / "05-page-facts.ru").read_text()
    (page_rules / "05-page-facts.ru").write_text(text.replace("schema:description\n", "\n"))
    result = CliRunner().invoke(main, ["link", "-o", str(out), "--rules", str(page_rules)])
    assert result.exit_code == 0, result.output
    after = facts_rows(out)
    assert sorted(after) == sorted(before) and all(after[url] != before[url] for url in before)
    assert not any("#definition>" in line for line in layer_lines(open_store(out)))

    from kg.relink import relink

    assert relink(out, rules_dir=page_rules).facts_derived == 0  # the same page rules again
    # A corpus rule changed (labels off): the corpus pass runs, the facts are kept.
    corpus_rules = tmp_path / "corpus-rules"
    corpus_rules.mkdir()
    (corpus_rules / "05-page-facts.ru").write_text((page_rules / "05-page-facts.ru").read_text())
    (corpus_rules / "40-labels.ru").write_text("")
    report = relink(out, rules_dir=corpus_rules)
    assert report.facts_derived == 0
    assert facts_rows(out) == after
    labelled = [line for line in layer_lines(open_store(out)) if "#prefLabel>" in line]
    # Only the schemes (50-schemes) and facets (35-facets) have labels now.
    assert labelled and all(line.startswith("<urn:kg:scheme:") or "#facet-" in line.split()[0] for line in labelled)
    assert "Peer to Peer" not in "".join(labelled)
    # The shipped rules again: every page's facts as the build made them, and its layer.
    assert relink(out).facts_derived == 8
    assert facts_rows(out) == before
    fresh = tmp_path / "fresh"
    build(None, BuildConfig(output=fresh))
    assert layer_lines(open_store(out)) == layer_lines(open_store(fresh))


def test_facts_that_do_not_match_the_store_are_derived_again_from_its_pages(tmp_path: Path):
    """What a kill between the store's swap and the facts' commit leaves (or an update):
    the next build does not trust the facts, derives those of every page again from the
    store, loads the layer whole, and gets it right."""
    pages = tmp_path / "pages"
    shutil.copytree(example_corpus(), pages)
    out = tmp_path / "out"
    build([str(pages)], BuildConfig(output=out))
    with sqlite3.connect(out / FACTS_FILE) as db:
        db.execute("UPDATE meta SET value = 'another build' WHERE key = 'token'")
        db.execute("UPDATE pages SET facts = x''")
    changed = pages / "area-payment-channels.txt"
    changed.write_text(changed.read_text().replace("Payment Channels", "Payment Lanes"))
    report = build([str(pages)], BuildConfig(output=out))
    assert report.committed and report.facts_derived == 8
    assert sum(page.reused for page in report.pages) == 7  # the pages themselves are kept
    build([str(pages)], BuildConfig(output=tmp_path / "full"))
    assert layer_lines(open_store(out)) == layer_lines(open_store(tmp_path / "full"))
    assert facts_rows(out) == facts_rows(tmp_path / "full")
    assert (out / "graph.ttl").read_bytes() == (tmp_path / "full" / "graph.ttl").read_bytes()


def test_the_corpus_pass_on_disk_makes_the_same_layer(tmp_path: Path, monkeypatch):
    import sys

    build(None, BuildConfig(output=tmp_path / "memory"))
    monkeypatch.setattr(sys.modules["kg.layer"], "CORPUS_ON_DISK_FROM_PAGES", 1)
    build(None, BuildConfig(output=tmp_path / "disk"))
    for graph in (CONCEPTS_GRAPH, STATISTICS_GRAPH):
        assert layer_lines(open_store(tmp_path / "disk"), graph) == layer_lines(open_store(tmp_path / "memory"), graph)
    assert (tmp_path / "disk" / "graph.ttl").read_bytes() == (tmp_path / "memory" / "graph.ttl").read_bytes()
    assert not list((tmp_path / "disk").glob(".staging-*"))


def test_a_rule_that_updates_the_layer_reaches_the_store(tmp_path: Path):
    """The layer is read from what the CONSTRUCTs wrote unless an update may have changed
    it; a SPARQL Update of your own that writes the concepts graph is kept too."""
    out = tmp_path / "out"
    build(None, BuildConfig(output=out))
    mine = tmp_path / "rules"
    mine.mkdir()
    (mine / "96-flag.ru").write_text(
        "# title: Flag areas\n# runs: corpus\n# derives: kg:flagged on areas\n# why: a test\n"
        "PREFIX kg: <urn:kg:vocab:>\nPREFIX kgg: <urn:kg:graph:>\n"
        'INSERT { GRAPH kgg:concepts { ?c kg:flagged true } } WHERE { GRAPH kgg:concepts { ?c kg:kind "area" } }\n'
    )
    result = CliRunner().invoke(main, ["link", "-o", str(out), "--rules", str(mine)])
    assert result.exit_code == 0, result.output
    flagged = [line for line in layer_lines(open_store(out)) if "flagged" in line]
    assert len(flagged) == 5
    # Without it again, the flags go (the layer's delta removes them).
    from kg.relink import relink

    relink(out)
    assert not [line for line in layer_lines(open_store(out)) if "flagged" in line]
    fresh = tmp_path / "fresh"
    build(None, BuildConfig(output=fresh))
    assert layer_lines(open_store(out)) == layer_lines(open_store(fresh))


def test_the_corpus_tables_a_build_keeps_take_only_the_pages_that_changed(tmp_path: Path, monkeypatch):
    import sys

    from kg.corpusdb import CORPUS_FILE, CorpusDB

    monkeypatch.setattr(sys.modules["kg.layer"], "CORPUS_ON_DISK_FROM_PAGES", 0)
    pages = tmp_path / "pages"
    shutil.copytree(example_corpus(), pages)
    out = tmp_path / "out"

    def loaded() -> int:
        report = build([str(pages)], BuildConfig(output=out))
        assert report.committed and report.failed == 0
        return report.layer["facts loaded"]

    def tables_token() -> str | None:
        db = CorpusDB(tmp_path / "scratch", 1, path=out / CORPUS_FILE)
        try:
            return db.get("token")
        finally:
            db.close()

    def facts_token() -> str:
        with sqlite3.connect(out / FACTS_FILE) as db:
            return db.execute("SELECT value FROM meta WHERE key = 'token'").fetchone()[0]

    assert loaded() == 8
    assert tables_token() == facts_token()
    changed = pages / "area-state-channels.txt"
    changed.write_text(changed.read_text("utf-8").replace("Mechanism ⎊", "Mechanism (revised) ⎊", 1), "utf-8")
    assert loaded() == 1
    assert tables_token() == facts_token()
    build([str(pages)], BuildConfig(output=tmp_path / "full"))
    for graph in (CONCEPTS_GRAPH, STATISTICS_GRAPH):
        assert layer_lines(open_store(out), graph) == layer_lines(open_store(tmp_path / "full"), graph)

    # kg link with a rule that fails changes nothing kept but the tables' token: the next
    # build loads them whole, and its layer is still a full build's.
    broken = tmp_path / "rules"
    broken.mkdir()
    (broken / "96-broken.sql").write_text("-- title: Broken\n-- runs: corpus\nSELECT * FROM no_such_table;\n")
    failed = CliRunner().invoke(main, ["link", "-o", str(out), "--rules", str(broken)])
    assert failed.exit_code == 1 and "96-broken.sql" in failed.output
    assert tables_token() is None
    changed.write_text(changed.read_text("utf-8").replace("(revised)", "(revised twice)", 1), "utf-8")
    assert loaded() == 8
    assert tables_token() == facts_token()
    build([str(pages)], BuildConfig(output=tmp_path / "full2"))
    for graph in (CONCEPTS_GRAPH, STATISTICS_GRAPH):
        assert layer_lines(open_store(out), graph) == layer_lines(open_store(tmp_path / "full2"), graph)
