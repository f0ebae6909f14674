"""Property tests: random JSON-LD through a page's whole conversion never crashes, and what it
writes is always valid N-Quads. The number of examples run is printed."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fastpath import DOCUMENTS, TEXT

from kg.config import BuildConfig
from kg.convert import PageConverter
from kg.readers import Block, Page, SourceFile

CONVERTER = PageConverter(BuildConfig())
SOURCE = SourceFile(Path("/corpus/fuzz.txt"), Path("/corpus"))
RUNS = {"examples": 0}

LOCAL_CONTEXT = {
    "@vocab": "http://schema.org/",
    "label": {"@id": "http://www.w3.org/2000/01/rdf-schema#label", "@container": "@language"},
    "steps": {"@id": "http://schema.org/step", "@container": "@list"},
    "link": {"@id": "http://schema.org/url", "@type": "@id"},
}
LANGUAGE_MAP = st.dictionaries(st.sampled_from(["en", "de", "fr-CA", "@none"]), TEXT, max_size=3)
LOCAL_DOCUMENTS = st.fixed_dictionaries(
    {"@context": st.just(LOCAL_CONTEXT)},
    optional={
        "@id": st.sampled_from(["_:b1", "https://a.example/n", "relative"]),
        "@type": st.lists(st.sampled_from(["Thing", "Article", "http://x.example/T"]), max_size=3),
        "label": LANGUAGE_MAP,
        "steps": st.lists(st.one_of(TEXT, st.integers(), st.none(), st.booleans()), max_size=4),
        "link": st.sampled_from(["https://b.example/x", "not an iri", "", "javascript:void(0)"]),
        "name": st.one_of(TEXT, st.none(), st.floats(allow_nan=False), st.lists(TEXT, max_size=3)),
    },
)


def convert(blocks: list[str]) -> None:
    page = Page(
        SOURCE,
        "dump",
        "https://fuzz.example/page/",
        [Block(b, f"block {i + 1}") for i, b in enumerate(blocks)],
        "0" * 64,
        0,
    )
    result = CONVERTER.convert(page, "0" * 64)
    assert all(isinstance(message, str) for message in result.outcome.errors + result.outcome.warnings)
    quads = list(ox.parse(result.graph, format=ox.RdfFormat.N_QUADS))
    assert len(quads) == result.outcome.triples
    RUNS["examples"] += 1


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(
    documents=st.lists(
        st.one_of(DOCUMENTS.map(lambda d: {"@context": "https://schema.org", **d}), LOCAL_DOCUMENTS),
        min_size=1,
        max_size=3,
    )
)
def test_random_documents_never_crash_the_conversion(documents):
    convert([json.dumps(document) for document in documents])


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=200))
def test_random_text_never_crashes_the_conversion(text):
    convert([text, '{"@context": "https://schema.org", "name": "x"}'])


@pytest.fixture(autouse=True, scope="module")
def summary_line():
    yield
    from conftest import SUMMARY

    SUMMARY["fuzzing"] = f"fuzzing: {RUNS['examples']} pages converted without a crash"
