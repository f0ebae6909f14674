"""Incremental builds: only changed files are read, and the result equals a full build."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from kg.cli import main
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
