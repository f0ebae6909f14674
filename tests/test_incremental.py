"""Incremental builds: only changed files are read, and the result equals a full build."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from kg.cli.common import main
from kg.sources import example_corpus

FORMATS = ("turtle", "trig", "nquads")


def build(corpus: Path, out: Path, *extra: str):
    result = CliRunner().invoke(main, ["build", str(corpus), "-o", str(out), *extra])
    assert result.exit_code == 0, result.output
    return result


def exports(out: Path) -> dict[str, bytes]:
    found = {}
    for fmt in FORMATS:
        target = out / f"check.{fmt}"
        assert CliRunner().invoke(main, ["export", "-o", str(out), "-f", fmt, "--to", str(target)]).exit_code == 0
        found[fmt] = target.read_bytes()
    return found


def test_incremental_rebuild_equals_full_build(tmp_path: Path):
    corpus = tmp_path / "corpus"
    shutil.copytree(example_corpus(), corpus)
    incremental = tmp_path / "incremental"
    build(corpus, incremental)

    # Change one page, remove one, add one.
    changed = corpus / "area-state-channels.txt"
    changed.write_text(changed.read_text("utf-8").replace("Mechanism ⎊", "Mechanism (revised) ⎊", 1), "utf-8")
    (corpus / "area-layer-two-scaling.txt").unlink()
    added = corpus / "area-copy.txt"
    added.write_text(
        (example_corpus() / "area-peer-to-peer.txt").read_text("utf-8").replace("/area/peer-to-peer/", "/area/copy/"),
        "utf-8",
    )

    result = build(corpus, incremental)
    assert "incremental: 6 pages unchanged, 2 read, 1 removed" in result.output

    full = tmp_path / "full"
    build(corpus, full)
    assert exports(incremental) == exports(full)
    assert (incremental / "graph.ttl").read_bytes() == (full / "graph.ttl").read_bytes()
    assert b"Mechanism (revised)" in (incremental / "graph.ttl").read_bytes()
    assert b"/area/layer-two-scaling/" not in (incremental / "check.trig").read_bytes()


def test_unchanged_corpus_rereads_only_failed_pages(tmp_path: Path):
    corpus = tmp_path / "corpus"
    shutil.copytree(example_corpus(), corpus)
    (corpus / "broken.txt").write_text('# Broken\n\n```json\n{"@context": "https://schema.org",,}\n```\n', "utf-8")
    out = tmp_path / "out"
    first = CliRunner().invoke(main, ["build", str(corpus), "-o", str(out)])
    assert first.exit_code == 1
    second = CliRunner().invoke(main, ["build", str(corpus), "-o", str(out)])
    # The broken page is read again (its cause may lie outside the file), still reported,
    # and still fails the build; the good pages are not read again.
    assert second.exit_code == 1, second.output
    assert "error: broken.txt:" in second.output
    assert "incremental: 8 pages unchanged, 1 read, 0 removed" in second.output


def test_full_flag_and_changed_settings_rebuild_everything(tmp_path: Path):
    out = tmp_path / "out"
    build(example_corpus(), out)
    assert "incremental" not in build(example_corpus(), out, "--full").output
    assert "incremental" not in build(example_corpus(), out, "--base-url", "https://elsewhere.example/").output


def test_nothing_changed_keeps_the_store_and_exports_untouched(tmp_path: Path):
    out = tmp_path / "out"
    first = build(example_corpus(), out)
    assert "wrote" in first.output
    store_inode = (out / "store").stat().st_ino
    written = (out / "graph.ttl").stat().st_mtime_ns

    again = build(example_corpus(), out)
    assert "nothing changed, the store and exports were kept as they were" in again.output
    assert f"kept {out / 'graph.ttl'} (up to date)" in again.output
    assert "8 pages (8 built, 0 failed)" in again.output
    assert first.output.split(" nodes,")[0].rsplit(" ", 1)[1] == again.output.split(" nodes,")[0].rsplit(" ", 1)[1]
    # A build swaps a new store in by rename; the kept one is the same directory, and
    # graph.ttl was not rewritten.
    assert (out / "store").stat().st_ino == store_inode
    assert (out / "graph.ttl").stat().st_mtime_ns == written
    assert not list(out.glob(".staging-*"))


def test_a_missing_or_edited_export_is_written_again(tmp_path: Path):
    out = tmp_path / "out"
    build(example_corpus(), out)
    original = (out / "graph.ttl").read_bytes()
    (out / "graph.ttl").unlink()
    assert "wrote" in build(example_corpus(), out).output
    assert (out / "graph.ttl").read_bytes() == original
    (out / "graph.ttl").write_bytes(original.replace(b"State Channels", b"Edited by hand"))
    assert "wrote" in build(example_corpus(), out).output
    assert (out / "graph.ttl").read_bytes() == original


def test_after_kg_link_or_an_update_the_build_derives_again(tmp_path: Path):
    out = tmp_path / "out"
    build(example_corpus(), out)
    original = (out / "graph.ttl").read_bytes()

    # kg link with a rule left out records its own rules; the build's are the shipped ones.
    linked = CliRunner().invoke(main, ["link", "-o", str(out), "--skip", "label-containment"])
    assert linked.exit_code == 0, linked.output
    assert (out / "graph.ttl").read_bytes() != original
    assert "wrote" in build(example_corpus(), out).output
    assert (out / "graph.ttl").read_bytes() == original
    assert "kept" in build(example_corpus(), out).output

    # An update changes the store outside any build: the next build derives and exports again.
    page = "<https://glossary.example.org/area/state-channels/>"
    insert = f'INSERT DATA {{ GRAPH {page} {{ {page} schema:alternateName "Channels, by hand" }} }}'
    updated = CliRunner().invoke(main, ["query", "-o", str(out), "--update", "-e", insert])
    assert updated.exit_code == 0, updated.output
    after = build(example_corpus(), out)
    assert "wrote" in after.output and "kept" not in after.output
    assert b"Channels, by hand" in (out / "graph.ttl").read_bytes()


def test_an_incremental_build_changes_only_the_layer_it_must(tmp_path: Path):
    from kg.build import build as build_in_python
    from kg.config import BuildConfig

    corpus = tmp_path / "corpus"
    shutil.copytree(example_corpus(), corpus)
    out = tmp_path / "out"
    first = build_in_python([str(corpus)], BuildConfig(output=out))
    # A full build loads the whole layer; the facts store keeps it by concept.
    assert first.layer["added"] > 500 and first.layer["removed"] == 0
    assert (out / "facts.sqlite").is_file() and not (out / "pages").exists()

    changed = corpus / "area-state-channels.txt"
    changed.write_text(changed.read_text("utf-8").replace("Mechanism ⎊", "Mechanism (revised) ⎊", 1), "utf-8")
    report = build_in_python([str(corpus)], BuildConfig(output=out))
    assert report.committed and report.facts_derived == 1
    # The revised label changes its concept and the ones that quote it, not the rest.
    assert 0 < report.layer["changed"] < report.layer["subjects"] / 2
    assert 0 < report.layer["removed"] < first.layer["added"] / 2
    assert b"Mechanism (revised)" in (out / "graph.ttl").read_bytes()
    full = tmp_path / "full"
    build(corpus, full)
    assert exports(out) == exports(full)
    assert (out / "graph.ttl").read_bytes() == (full / "graph.ttl").read_bytes()


def test_an_update_to_a_page_survives_the_next_incremental_build(tmp_path: Path):
    from kg.build import build as build_in_python
    from kg.config import BuildConfig

    corpus = tmp_path / "corpus"
    shutil.copytree(example_corpus(), corpus)
    out = tmp_path / "out"
    build(corpus, out)
    # The update changes a page the next build keeps: the facts made before the update no
    # longer match the store, and every page's are derived again (7 from the store, 1 read).
    page = "<https://glossary.example.org/area/peer-to-peer/>"
    insert = f'INSERT DATA {{ GRAPH {page} {{ {page} schema:alternateName "P2P, by hand" }} }}'
    assert CliRunner().invoke(main, ["query", "-o", str(out), "--update", "-e", insert]).exit_code == 0
    changed = corpus / "area-state-channels.txt"
    changed.write_text(changed.read_text("utf-8").replace("Mechanism ⎊", "Mechanism (revised) ⎊", 1), "utf-8")
    report = build_in_python([str(corpus)], BuildConfig(output=out))
    assert report.committed and report.facts_derived == 8
    graph = (out / "graph.ttl").read_bytes()
    assert b"P2P, by hand" in graph and b"Mechanism (revised)" in graph


def test_after_kg_link_the_next_build_keeps_the_facts(tmp_path: Path):
    from kg.build import build as build_in_python
    from kg.config import BuildConfig

    corpus = tmp_path / "corpus"
    shutil.copytree(example_corpus(), corpus)
    out = tmp_path / "out"
    build(corpus, out)
    # kg link derives the layer again and changes no page: the facts it keeps still hold.
    assert CliRunner().invoke(main, ["link", "-o", str(out), "--skip", "label-containment"]).exit_code == 0
    changed = corpus / "area-state-channels.txt"
    changed.write_text(changed.read_text("utf-8").replace("Mechanism ⎊", "Mechanism (revised) ⎊", 1), "utf-8")
    report = build_in_python([str(corpus)], BuildConfig(output=out))
    assert report.committed and report.facts_derived == 1
    full = tmp_path / "full"
    build(corpus, full)
    assert (out / "graph.ttl").read_bytes() == (full / "graph.ttl").read_bytes()
