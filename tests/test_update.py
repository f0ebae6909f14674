"""kg query never writes unless asked for an update by name (--update), and then atomically."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli.common import main
from kg.store import open_store

INSERT = "INSERT DATA { GRAPH <urn:x:notes> { <urn:x:a> skos:note 'added by hand' } }"


@pytest.fixture
def built(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    assert CliRunner().invoke(main, ["build", "-o", str(out)]).exit_code == 0
    return out


@pytest.mark.parametrize(
    "text", [INSERT, "DROP ALL", "PREFIX ex: <urn:x:>\nDELETE WHERE { ?s ?p ?o }", "CLEAR DEFAULT"]
)
def test_updates_are_refused_without_the_flag(built: Path, text: str):
    before = len(open_store(built))
    result = CliRunner().invoke(main, ["query", "-o", str(built), "-e", text])
    assert result.exit_code == 1
    assert "this is a SPARQL update, which would change the store; kg query only reads." in result.output
    assert len(open_store(built)) == before


def test_update_by_name_changes_the_store_and_the_export(built: Path):
    before = len(open_store(built))
    result = CliRunner().invoke(main, ["query", "-o", str(built), "--update", "-e", INSERT])
    assert result.exit_code == 0, result.output
    assert f"{before} quads before, {before + 1} after" in result.output
    assert len(open_store(built)) == before + 1
    assert "added by hand" in (built / "graph.ttl").read_text("utf-8")


def test_update_never_fetches(built: Path):
    result = CliRunner().invoke(main, ["query", "-o", str(built), "--update", "-e", "LOAD <http://127.0.0.1:9/x.ttl>"])
    assert result.exit_code == 1
    assert "LOAD fetches from the network, which kg never does; load files with kg build" in result.output


def test_update_syntax_error_keeps_the_store(built: Path):
    before = len(open_store(built))
    result = CliRunner().invoke(main, ["query", "-o", str(built), "--update", "-e", "INSERT DATA { <urn:x:a> }"])
    assert result.exit_code == 1
    assert "syntax error at line 1" in result.output and "Traceback" not in result.output
    assert len(open_store(built)) == before
