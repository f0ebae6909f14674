"""Differential tests: the fast JSON-LD path against pyld, the reference, on the same documents.

Every document either falls back (the fast path declines it) or gives a dataset
isomorphic to pyld's. The counts are printed: agreed, fell back, differed.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.contexts import ContextLoader
from kg.errors import JsonLdError
from kg.expand import to_quads
from kg.fastpath import fast_quads
from kg.iris import iri_terms_of, repair_iris
from kg.readers.dump import json_fences
from kg.sources import example_corpus

BASE = "https://glossary.example.org/area/sample/"
LOADER = ContextLoader()
TALLY: Counter[str] = Counter()


def canonical(quads: list[ox.Quad]) -> set[ox.Quad]:
    dataset = ox.Dataset(quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return set(dataset)


def compare(document) -> str:
    """'agreed', 'fell back', or 'differed', with the reference path as the judge.

    Both paths read the document as the build gives it to them: with its ill-formed IRIs
    percent-encoded (kg.iris)."""
    document = repair_iris(document, iri_terms_of(document)).document
    fast = fast_quads(document, BASE)
    if fast is None:
        return "fell back"
    try:
        reference = to_quads(document, base=BASE, loader=LOADER)
    except JsonLdError:
        return "differed"  # the fast path accepted what pyld rejects
    return "agreed" if canonical(fast[0]) == canonical(reference) else "differed"


def example_blocks() -> list[tuple[str, dict]]:
    blocks = []
    for page in sorted(example_corpus().glob("*.txt")):
        for block in json_fences(page.read_text("utf-8")):
            blocks.append((f"{page.name} {block.where}", json.loads(block.text)))
    return blocks


@pytest.mark.parametrize("where, document", example_blocks(), ids=lambda v: v if isinstance(v, str) else "")
def test_example_corpus_agrees(where, document):
    verdict = compare(document)
    TALLY["example " + verdict] += 1
    assert verdict == "agreed", where


def test_seed_blocks_agree(seeds_dir: Path):
    for page in sorted(seeds_dir.glob("*.txt")):
        for block in json_fences(page.read_text("utf-8")):
            assert compare(json.loads(block.text)) == "agreed", (page.name, block.where)


TERMS = [
    "name",
    "description",
    "headline",
    "text",
    "url",
    "sameAs",
    "image",
    "author",
    "publisher",
    "hasPart",
    "isPartOf",
    "about",
    "mainEntity",
    "itemListElement",
    "item",
    "position",
    "datePublished",
    "dateModified",
    "width",
    "height",
    "acceptedAnswer",
    "keywords",
    "inLanguage",
    "mainEntityOfPage",
    "articleSection",
    "logo",
    "caption",
]
TYPES = [
    "Thing",
    "Article",
    "Person",
    "Organization",
    "WebPage",
    "CollectionPage",
    "FAQPage",
    "Question",
    "Answer",
    "ListItem",
    "BreadcrumbList",
    "ImageObject",
    "DefinedTerm",
]
IRIS = st.sampled_from(
    [
        "https://a.example/x",
        "https://a.example/y#frag",
        "/relative/path",
        "other",
        "#local",
        "http://schema.org/Thing",
        "urn:isbn:0451450523",
        "_:shared",
        # Ill-formed as RDF, kept percent-encoded: a WordPress search target, a bar, a
        # stray brace, a space, a lone "%"; and a broken scheme no encoding saves.
        "https://a.example/?s={search_term_string}",
        "https://a.example/a|b",
        "https://a.example/x}",
        "/relative path",
        "https://a.example/100%",
        "ht tp://a.example/",
    ]
)
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
SCALARS = st.one_of(
    TEXT,
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.sampled_from(["2026-02-25T21:36:41+00:00", "2026-02-25", "February 2026", "https://b.example/p"]),
    st.builds(lambda v, lang: {"@value": v, "@language": lang}, TEXT, st.sampled_from(["en", "de-CH", "fr"])),
)


def nodes(children):
    return st.fixed_dictionaries(
        {},
        optional={
            "@id": IRIS,
            "@type": st.one_of(st.sampled_from(TYPES), st.lists(st.sampled_from(TYPES), max_size=3)),
            **{term: st.one_of(children, st.lists(children, max_size=3)) for term in TERMS},
        },
    )


DOCUMENTS = st.recursive(SCALARS, nodes, max_leaves=12).filter(lambda d: isinstance(d, dict))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(body=DOCUMENTS, graph=st.booleans())
def test_generated_documents_agree(body, graph):
    document = {"@context": "https://schema.org", **({"@graph": [body]} if graph else body)}
    verdict = compare(document)
    TALLY["generated " + verdict] += 1
    assert verdict != "differed", json.dumps(document, ensure_ascii=False)


@pytest.mark.parametrize("space", ["\xa0", "\u2028", "\u3000", "\u2009"])
def test_an_iri_with_wide_whitespace_goes_to_pyld_and_text_with_it_does_not(space):
    # RFC 3987 allows these characters in an IRI and Oxigraph keeps it; pyld drops it.
    # Hypothesis found {"url": "\xa0"}; the fast path must leave such IRIs to pyld.
    iri = {"@context": "https://schema.org", "@type": "Thing", "url": f"a{space}b", "name": "n"}
    assert compare(iri) == "fell back"
    text = {"@context": "https://schema.org", "@type": "Thing", "name": f"a{space}b", "url": "https://e.org/x"}
    assert compare(text) == "agreed"


WORDPRESS_SITE = {
    "@context": "https://schema.org",
    "@graph": [
        {
            "@type": "WebSite",
            "@id": "https://pantry.example/#website",
            "url": "https://pantry.example/",
            "potentialAction": {"@type": "SearchAction", "target": "https://pantry.example/?s={search_term_string}"},
        },
        {"@type": "ImageObject", "@id": "https://pantry.example/#logo", "url": "https://cdn.pantry.example/a|b.png"},
    ],
}


@pytest.mark.parametrize("force_pyld", [False, True], ids=["fast path", "pyld"])
def test_ill_formed_iris_are_kept_percent_encoded_on_both_paths(force_pyld):
    document = json.loads(json.dumps(WORDPRESS_SITE))
    if force_pyld:  # a keyword the fast path does not take sends the document to pyld
        document["@graph"][0]["@reverse"] = {"about": {"@id": "https://pantry.example/about"}}
    repaired = repair_iris(document, iri_terms_of(document))
    assert len(repaired.notes) == 2, repaired.notes
    fast = fast_quads(repaired.document, BASE)
    assert (fast is None) == force_pyld
    quads = fast[0] if fast else to_quads(repaired.document, base=BASE, loader=LOADER)
    objects = {quad.object.value for quad in quads}
    assert "https://pantry.example/?s=%7Bsearch_term_string%7D" in objects
    assert "https://cdn.pantry.example/a%7Cb.png" in objects
    assert WORDPRESS_SITE["@graph"][0]["potentialAction"]["target"].endswith("{search_term_string}")  # not changed


@pytest.fixture(autouse=True, scope="module")
def summary_line():
    yield
    from conftest import SUMMARY

    SUMMARY["fastpath"] = f"fast path vs pyld: {dict(sorted(TALLY.items()))}"
