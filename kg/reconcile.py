"""Reconciliation: turn one page's raw quads into graph-ready triples with stable identities.

The rules, in order (each general, none written for one site):
1. fold the page's blocks into one graph and rewrite https://schema.org/ terms onto http://;
2. a root node typed as a WebPage (CollectionPage, FAQPage, ...) without an @id is the page itself;
3. any other blank node with exactly one schema:url takes that URL as its IRI;
4. a root BreadcrumbList hangs from the page through schema:breadcrumb;
5. URL strings in properties whose values are things become IRIs; schema.org dates become
   xsd:date / xsd:dateTime where the lexical form allows;
6. the remaining blank nodes get IRIs hashed from the page URL and their content.
Nothing is dropped: a value is retyped or re-identified, never removed.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

import pyoxigraph as ox

from .contexts import schemaorg_context
from .namespaces import SCHEMA, SCHEMA_HTTPS, XSD

Term = ox.NamedNode | ox.BlankNode | ox.Literal
Triple = tuple[Term, Term, Term]

_S = str(SCHEMA)
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
SCHEMA_URL = ox.NamedNode(_S + "url")
SCHEMA_BREADCRUMB = ox.NamedNode(_S + "breadcrumb")
XSD_STRING = ox.NamedNode(str(XSD.string))

# schema:WebPage and its subtypes in schema.org 30.0 (facts from the vocabulary).
WEBPAGE_TYPES = frozenset(
    _S + name
    for name in (
        "WebPage AboutPage CheckoutPage CollectionPage ContactPage FAQPage ItemPage "
        "MedicalWebPage ProfilePage QAPage RealEstateListing SearchResultsPage "
        "ImageGallery MediaGallery VideoGallery"
    ).split()
)

# Properties whose schema.org range is a thing, where pages often write a bare URL
# string; together with every property the schema.org context types as @id.
_THING_PROPERTIES = (
    "item about mainEntity author creator contributor publisher provider hasPart "
    "isPartOf subjectOf sameAs mainEntityOfPage additionalType brand sourceOrganization "
    "copyrightHolder funder sponsor citation workExample exampleOfWork"
).split()

_DATE_TYPES = {_S + "Date": "date", _S + "DateTime": "dateTime", _S + "Time": "time"}
_DATE_RE = re.compile(r"-?\d{4,}-\d{2}-\d{2}(Z|[+-]\d{2}:\d{2})?")
_DATETIME_RE = re.compile(r"-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")
_TIME_RE = re.compile(r"\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")
_ABSOLUTE_URL = re.compile(r"https?://[^\s<>\"{}|\\^`]+", re.IGNORECASE)


@functools.cache
def _context_terms(coercion: str) -> frozenset[str]:
    context = schemaorg_context()["@context"]
    return frozenset(
        _S + term for term, value in context.items() if isinstance(value, dict) and value.get("@type") == coercion
    )


@dataclass(frozen=True)
class Rules:
    """The knobs of reconciliation; the defaults follow schema.org 30.0."""

    webpage_types: frozenset[str] = WEBPAGE_TYPES
    thing_properties: frozenset[str] = field(
        default_factory=lambda: frozenset(_S + p for p in _THING_PROPERTIES) | _context_terms("@id")
    )
    date_properties: frozenset[str] = field(default_factory=lambda: _context_terms("Date"))


@dataclass
class ReconciledPage:
    triples: list[Triple]


def _https_to_http(term: Term) -> Term:
    if isinstance(term, ox.NamedNode) and term.value.startswith(SCHEMA_HTTPS):
        return ox.NamedNode(_S + term.value[len(SCHEMA_HTTPS) :])
    if isinstance(term, ox.Literal) and term.datatype.value.startswith(SCHEMA_HTTPS):
        return ox.Literal(term.value, datatype=_https_to_http(term.datatype))
    return term


def _xsd_kind(lexical: str) -> str | None:
    """Which xsd type the lexical form is valid for (date, dateTime, time), if any."""
    text = lexical.strip()
    try:
        if _DATETIME_RE.fullmatch(text):
            datetime.fromisoformat(text.replace("Z", "+00:00"))
            return "dateTime"
        if _DATE_RE.fullmatch(text):
            date.fromisoformat(text[:10])
            return "date"
        if _TIME_RE.fullmatch(text):
            return "time"
    except ValueError:
        return None
    return None


def normalize_literal(predicate: str, literal: ox.Literal, rules: Rules) -> Term:
    """Retype dates and turn URL strings into IRIs; anything else comes back unchanged."""
    datatype = literal.datatype.value
    is_plain = datatype == XSD_STRING.value and literal.language is None
    if datatype in _DATE_TYPES or (is_plain and predicate in rules.date_properties):
        kind = _xsd_kind(literal.value)
        if kind is not None and literal.value == literal.value.strip():
            return ox.Literal(literal.value, datatype=ox.NamedNode(str(XSD) + kind))
        return literal
    if is_plain and predicate in rules.thing_properties and _ABSOLUTE_URL.fullmatch(literal.value):
        try:
            return ox.NamedNode(literal.value)
        except ValueError:
            return literal
    return literal


def _identities(triples: set[Triple], page: ox.NamedNode, rules: Rules) -> dict[ox.BlankNode, ox.NamedNode]:
    """Rules 2 and 3: which blank nodes are really a known IRI."""
    types: dict[ox.BlankNode, set[str]] = defaultdict(set)
    urls: dict[ox.BlankNode, set[ox.NamedNode]] = defaultdict(set)
    referenced: set[ox.BlankNode] = set()
    for s, p, o in triples:
        if isinstance(o, ox.BlankNode):
            referenced.add(o)
        if not isinstance(s, ox.BlankNode):
            continue
        if p == RDF_TYPE and isinstance(o, ox.NamedNode):
            types[s].add(o.value)
        elif p == SCHEMA_URL:
            if isinstance(o, ox.NamedNode):
                urls[s].add(o)
            elif isinstance(o, ox.Literal) and _ABSOLUTE_URL.fullmatch(o.value):
                try:
                    urls[s].add(ox.NamedNode(o.value))
                except ValueError:
                    pass
    subjects = {s for s, _, _ in triples if isinstance(s, ox.BlankNode)}
    renamed: dict[ox.BlankNode, ox.NamedNode] = {}
    for node in subjects:
        if node not in referenced and types[node] & rules.webpage_types:
            renamed[node] = page
        elif len(urls[node]) == 1:
            renamed[node] = next(iter(urls[node]))
    return renamed


def _content_hashes(
    triples: Iterable[Triple], page: ox.NamedNode, renamed: dict[ox.BlankNode, ox.NamedNode]
) -> dict[ox.BlankNode, str]:
    """Rule 6: a digest per remaining blank node from the page URL and everything below it."""
    outgoing: dict[ox.BlankNode, list[tuple[Term, Term]]] = defaultdict(list)
    for s, p, o in triples:
        if type(s) is ox.BlankNode and s not in renamed:
            outgoing[s].append((p, o))
    digests: dict[ox.BlankNode, str] = {}
    in_progress: set[ox.BlankNode] = set()

    def describe(term: Term) -> str:
        if type(term) is ox.BlankNode:
            return str(renamed[term]) if term in renamed else digest(term)
        return str(term)

    def digest(node: ox.BlankNode) -> str:
        if node in digests:
            return digests[node]
        if node in in_progress:  # a cycle: fall back to the label
            return "cycle:" + node.value
        in_progress.add(node)
        parts = sorted(f"{p} {describe(o)}" for p, o in outgoing.get(node, ()))
        in_progress.discard(node)
        digests[node] = hashlib.sha256("\n".join([page.value, *parts]).encode()).hexdigest()
        return digests[node]

    for node in list(outgoing):
        digest(node)
    return digests


def skolem_iri(page: ox.NamedNode, digest: str) -> ox.NamedNode:
    """A stable IRI for a blank node of `page`: the page URL with a genid fragment."""
    return ox.NamedNode(f"{page.value.split('#', 1)[0]}#genid-{digest[:20]}")


def reconcile(
    quads: Iterable[ox.Quad], page: ox.NamedNode, rules: Rules | None = None, *, rewrite_https: bool = True
) -> ReconciledPage:
    """Apply the rules above to the quads of one page; return triples for its named graph.

    `rewrite_https=False` skips rule 1's namespace rewrite for input known to hold no
    https://schema.org/ IRI (it is the costliest step on large corpora).
    """
    rules = rules or Rules()
    special = rules.date_properties | rules.thing_properties
    triples: set[Triple] = set()
    for quad in quads:  # rule 1: named graphs inside a block fold into the page graph
        s, p, o = quad.subject, quad.predicate, quad.object
        if rewrite_https:
            s, p, o = _https_to_http(s), _https_to_http(p), _https_to_http(o)
        if type(o) is ox.Literal and (p.value in special or o.datatype.value in _DATE_TYPES):
            o = normalize_literal(p.value, o, rules)
        triples.add((s, p, o))

    renamed = _identities(triples, page, rules)
    mapping: dict[ox.BlankNode, ox.NamedNode] = dict(renamed)

    # Rule 4: a BreadcrumbList nobody points at belongs to the page.
    crumb_type = ox.NamedNode(_S + "BreadcrumbList")
    crumbs = [s for s, p, o in triples if p == RDF_TYPE and o == crumb_type]
    if crumbs:
        referenced = {mapping.get(o, o) for _, _, o in triples}
        for crumb in crumbs:
            if mapping.get(crumb, crumb) not in referenced and mapping.get(crumb, crumb) != page:
                triples.add((page, SCHEMA_BREADCRUMB, crumb))

    for node, value in _content_hashes(triples, page, renamed).items():
        mapping[node] = skolem_iri(page, value)
    # A blank node only ever seen as an object has no content: hash its label.
    for _, _, o in triples:
        if type(o) is ox.BlankNode and o not in mapping:
            mapping[o] = skolem_iri(page, hashlib.sha256(f"{page.value} {o.value}".encode()).hexdigest())

    result = list({(mapping.get(s, s), p, mapping.get(o, o)) for s, p, o in triples})
    return ReconciledPage(result)
