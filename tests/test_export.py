"""Every RDF exporter writes what the store holds, and parses back."""

from __future__ import annotations

import importlib
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import rdflib
from click.testing import CliRunner
from rdflib.compare import isomorphic

from kg.cli.common import main
from kg.export import EXPORTERS, export
from kg.store import open_store

# Exporter name -> rdflib parser name, for the RDF formats.
RDF_PARSERS = {"turtle": "turtle", "ntriples": "nt", "trig": "trig", "nquads": "nquads", "jsonld": "json-ld"}
DATASET_FORMATS = {"trig", "nquads", "jsonld"}
PAGE = "https://glossary.example.org/area/state-channels/"


@pytest.fixture(scope="module")
def example_build(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("example") / "out"
    result = CliRunner().invoke(main, ["build", "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_rdf_exporters_are_registered():
    assert set(RDF_PARSERS) <= set(EXPORTERS)


@pytest.mark.parametrize("fmt", sorted(RDF_PARSERS))
def test_export_round_trips(example_build: Path, tmp_path: Path, fmt: str):
    target = tmp_path / f"export.{fmt}"
    result = CliRunner().invoke(main, ["export", "-o", str(example_build), "-f", fmt, "--to", str(target)])
    assert result.exit_code == 0, result.output
    assert f"wrote {target}" in result.output
    merged = rdflib.Graph()
    merged.parse(example_build / "graph.ttl", format="turtle")
    if fmt in DATASET_FORMATS:
        dataset = rdflib.Dataset()
        dataset.parse(target, format=RDF_PARSERS[fmt])
        graphs = {str(g.identifier) for g in dataset.graphs()}
        assert PAGE in graphs and "urn:kg:graph:provenance" in graphs
        # The merged knowledge graph is exactly the union of the page graphs.
        union = {t for g in dataset.graphs() if str(g.identifier) != "urn:kg:graph:provenance" for t in g}
        assert union == set(merged)
    else:
        graph = rdflib.Graph().parse(target, format=RDF_PARSERS[fmt])
        assert set(graph) == set(merged) and len(merged) > 500


def test_export_default_file_and_stdout(example_build: Path):
    runner = CliRunner()
    result = runner.invoke(main, ["export", "-o", str(example_build), "-f", "nquads"])
    assert result.exit_code == 0, result.output
    assert (example_build / "graph.nq").stat().st_size > 0
    result = runner.invoke(main, ["export", "-o", str(example_build), "-f", "turtle", "--graph", PAGE, "--to", "-"])
    assert result.exit_code == 0
    graph = rdflib.Graph().parse(data=result.stdout, format="turtle")
    assert (rdflib.URIRef(PAGE), rdflib.RDF.type, rdflib.URIRef("http://schema.org/CollectionPage")) in graph


def test_export_errors_are_messages(example_build: Path, tmp_path: Path):
    runner = CliRunner()
    result = runner.invoke(main, ["export", "-o", str(example_build), "-f", "rdfxml-ish"])
    assert result.exit_code == 1
    assert "unknown export format 'rdfxml-ish'" in result.output
    result = runner.invoke(main, ["export", "-o", str(example_build), "--graph", "https://nowhere.example/"])
    assert result.exit_code == 1
    assert "no graph named <https://nowhere.example/>" in result.output
    result = runner.invoke(main, ["export", "-o", str(tmp_path / "empty")])
    assert result.exit_code == 1
    assert "no kg store in" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("fmt", ["turtle", "ntriples"])
def test_the_merged_export_is_the_same_whatever_the_number_of_worker_processes(
    example_build: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
):
    out = tmp_path / "out"
    shutil.copytree(example_build, out)
    # Blank-node subjects, which a SPARQL update may add, are written with the IRIs around them.
    update = "INSERT DATA { GRAPH <urn:x:notes> { _:a skos:note 'first' . _:b skos:note 'second' } }"
    result = CliRunner().invoke(main, ["query", "-o", str(out), "--update", "-e", update])
    assert result.exit_code == 0, result.output
    store = open_store(out)
    whole = io.BytesIO()
    nodes = export(store, fmt, whole)
    assert nodes == 153  # the example's 151 nodes and the two blank nodes
    # Cut into chunks of 7 subjects (a real graph is cut every 10,000), written by two
    # worker processes and by this one: the bytes of one export of the whole.
    monkeypatch.setattr(importlib.import_module("kg.export"), "MERGE_CHUNK", 7)
    for jobs in (1, 2):
        cut = io.BytesIO()
        assert export(store, fmt, cut, workdir=out, jobs=jobs) == nodes
        assert cut.getvalue() == whole.getvalue(), f"jobs={jobs}"
        assert not list(out.glob(".checkpoint-*"))  # the workers' copy of the store is gone
    text = whole.getvalue().decode()
    assert text.count("'first'") + text.count('"first"') == 1 and text.count("skos:note") + text.count("core#note") == 2
    assert isomorphic(rdflib.Graph().parse(data=text, format=RDF_PARSERS[fmt]), rdflib.Graph().parse(out / "graph.ttl"))


def test_a_checkpoint_left_by_a_killed_export_is_swept_by_the_next_build(example_build: Path, tmp_path: Path):
    out = tmp_path / "out"
    shutil.copytree(example_build, out)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    left = out / f".checkpoint-{dead.stdout.strip()}-0a1b2c3d"
    running = out / f".checkpoint-{os.getpid()}-0a1b2c3d"  # an export still going
    for folder in (left, running):
        open_store(out).backup(str(folder))
    result = CliRunner().invoke(main, ["build", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert not left.exists() and running.is_dir()
