"""Expected-output cases: a page in tests/data/cases/ and the page graph kg makes of it beside it.

Each case is `NAME.<the input's suffix>` and `NAME.nq`, the N-Quads of every page graph the
file gives (none for a page without JSON-LD). All cases build together, as one corpus with
`--base-url https://cases.example/` (so `raw-object.jsonld` is the page
https://cases.example/raw-object.jsonld), and each file's graphs are compared with its
expected ones by `rdflib.compare.isomorphic`; on a difference the test prints the triples
only one side has.

To add a case, put the page in the folder, run
`KG_WRITE_CASES=1 .venv/bin/python -m pytest tests/test_cases.py`, and read the `.nq` it
wrote before committing it: it is what kg must go on doing.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

import kg
from kg.namespaces import KG, PROVENANCE_GRAPH

CASES = Path(__file__).parent / "data" / "cases"
BASE_URL = "https://cases.example/"
EXPECTED_SUFFIX = ".nq"
INPUTS = sorted(path for path in CASES.iterdir() if path.is_file() and path.suffix != EXPECTED_SUFFIX)


def case_name(path: Path) -> str:
    return path.name.split(".")[0]


@pytest.fixture(scope="module")
def cases_build(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("cases")
    pages = folder / "pages"
    pages.mkdir()
    for path in INPUTS:
        shutil.copyfile(path, pages / path.name)
    report = kg.build([str(pages)], kg.BuildConfig(output=folder / "out", base_url=BASE_URL))
    assert report.committed and report.failed == 0, report.messages()
    return folder / "out"


def page_graphs(output: Path, filename: str) -> dict[str, rdflib.Graph]:
    """The page graphs kg built from one file of the corpus, by graph name."""
    store = kg.open_store(output)
    names = [
        quad.subject
        for quad in store.quads_for_pattern(None, ox.NamedNode(KG + "sourcePath"), ox.Literal(filename))
        if quad.graph_name == ox.NamedNode(PROVENANCE_GRAPH)
    ]
    quads = [quad for name in names for quad in store.quads_for_pattern(None, None, None, name)]
    return graphs_of(ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b"")


def graphs_of(nquads: bytes) -> dict[str, rdflib.Graph]:
    dataset = rdflib.Dataset()
    dataset.parse(data=nquads.decode("utf-8"), format="nquads")
    graphs = {}
    for graph in dataset.graphs():
        if len(graph):
            plain = rdflib.Graph()
            for triple in graph:
                plain.add(triple)
            graphs[str(graph.identifier)] = plain
    return graphs


def sorted_nquads(graphs: dict[str, rdflib.Graph]) -> str:
    lines = []
    for name, graph in graphs.items():
        for line in graph.serialize(format="nt").splitlines():
            if line.strip():
                lines.append(f"{line[:-1].rstrip()} <{name}> .")
    return "".join(line + "\n" for line in sorted(lines))


def difference(expected: rdflib.Graph, actual: rdflib.Graph) -> str:
    _, only_expected, only_actual = graph_diff(to_isomorphic(expected), to_isomorphic(actual))

    def lines(graph: rdflib.Graph) -> str:
        return "".join(f"    {line}\n" for line in sorted(graph.serialize(format="nt").splitlines()) if line)

    return f"  expected, not made:\n{lines(only_expected)}  made, not expected:\n{lines(only_actual)}"


def test_every_case_has_its_expected_graph():
    missing = [path.name for path in INPUTS if not (CASES / f"{case_name(path)}{EXPECTED_SUFFIX}").exists()]
    writing = os.environ.get("KG_WRITE_CASES") == "1"
    assert writing or not missing, f"no {EXPECTED_SUFFIX} beside {missing}"
    assert len(INPUTS) >= 12


@pytest.mark.parametrize("page", INPUTS, ids=case_name)
def test_case(cases_build, page):
    actual = page_graphs(cases_build, page.name)
    expected_file = CASES / f"{case_name(page)}{EXPECTED_SUFFIX}"
    if os.environ.get("KG_WRITE_CASES") == "1":
        expected_file.write_text(sorted_nquads(actual), encoding="utf-8")
    expected = graphs_of(expected_file.read_bytes())
    assert sorted(actual) == sorted(expected), "the file gave other page graphs than expected"
    problems = [
        f"graph <{name}>:\n{difference(expected[name], actual[name])}"
        for name in expected
        if not isomorphic(expected[name], actual[name])
    ]
    assert not problems, f"{page.name} built another graph than {expected_file.name}:\n" + "\n".join(problems)
