"""Finding a concept by its label, "Label (kind, site)" or IRI, and naming one in messages."""

from __future__ import annotations

import difflib
import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from urllib.parse import urlsplit

import networkx as nx

from ..errors import AmbiguousConcept, UnknownConcept


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def describe(graph: nx.DiGraph, node: str) -> str:
    """How a concept is named to a user: its label and kind, e.g. "State Channels (area)"."""
    attributes = graph.nodes[node]
    return f"{attributes['label']} ({attributes['kind']})"


def find_concept(graph: nx.DiGraph, text: str) -> str:
    """The one concept `text` names: an IRI (bare or in <>), a label (any case), "Label (kind)",
    "Label (site)", "Label (kind, site)", or a unique prefix.

    Raises AmbiguousConcept listing the candidates, or UnknownConcept listing the closest labels.
    """
    return _find(text, dict(graph.nodes(data="label")), dict(graph.nodes(data="kind")))


def _index_of(text: str, nodes: list[str], labels: list[str], kinds: list[str]) -> int:
    """The index in `nodes` (sorted) of the one concept `text` names (see `find_concept`)."""
    label_of = dict(zip(nodes, labels, strict=True))
    return bisect_left(nodes, _find(text, label_of, dict(zip(nodes, kinds, strict=True))))


_QUALIFIED = re.compile(r"(.*\S)\s*\(([^()]+)\)")  # "Label (kind)", as _find reads it


def _normal_all(labels: list[str]) -> list[str]:
    """[_normal(label) for label in labels], by one casefold of all of them joined when no
    label has whitespace that _normal would change (the usual case; else label by label).

    The joined labels have only single spaces inside labels and single newlines between
    them exactly when splitting at any whitespace gives as many words as those separators
    make (a tab, a double space, an empty label or a newline inside one changes the count).
    """
    joined = "\n".join(labels)
    simple = joined.count(" ") + joined.count("\n") + 1
    if labels and joined.count("\n") == len(labels) - 1 and len(joined.split()) == simple:
        return joined.casefold().split("\n")
    return [_normal(label) for label in labels]


def _site(node: str) -> str:
    """The host a concept's IRI names, without "www." ("" for an IRI without one)."""
    try:
        host = urlsplit(node).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")


def _find(text: str, label_of: dict[str, str], kind_of: dict[str, str]) -> str:
    """`find_concept` over the concepts' labels and kinds."""
    text = text.strip()
    iri = text[1:-1] if text.startswith("<") and text.endswith(">") else text
    if iri in label_of:
        return iri

    def described(nodes: Iterable[str]) -> list[str]:
        ordered = sorted(nodes, key=lambda n: (_normal(label_of[n]), kind_of[n], _site(n), n))
        named = Counter((_normal(label_of[n]), kind_of[n]) for n in ordered)
        sited = Counter((_normal(label_of[n]), kind_of[n], _site(n)) for n in ordered)
        shown = []
        for n in ordered:
            label, kind, site = _normal(label_of[n]), kind_of[n], _site(n)
            if named[label, kind] == 1 or not site:
                shown.append(f"{label_of[n]} ({kind})" + (f" <{n}>" if named[label, kind] > 1 else ""))
            else:  # the same label and kind on several sites: the site tells them apart
                shown.append(f"{label_of[n]} ({kind}, {site})" + (f" <{n}>" if sited[label, kind, site] > 1 else ""))
        return shown

    wanted = _normal(text)
    candidates = list(label_of)
    qualified = re.fullmatch(r"(.*\S)\s*\(([^()]+)\)", wanted)
    if qualified:
        # "Label (kind)", "Label (site)" or "Label (kind, site)"
        kinds = {_normal(kind) for kind in kind_of.values()}
        parts = [part.strip() for part in qualified.group(2).split(",")]
        kind = next((part for part in parts if part in kinds), None)
        sites = [part.removeprefix("www.") for part in parts if part != kind]
        if len(sites) <= 1 and (kind or sites):
            if not sites or any(_site(n) == sites[0] for n in candidates):
                wanted = qualified.group(1)
                candidates = [
                    n
                    for n in candidates
                    if (kind is None or _normal(kind_of[n]) == kind) and (not sites or _site(n) == sites[0])
                ]
    labels = {n: _normal(label_of[n]) for n in candidates}
    for matches in (
        [n for n, label in labels.items() if label == wanted],
        [n for n, label in labels.items() if label.startswith(wanted)],
    ):
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise AmbiguousConcept(text, described(matches))
    close = difflib.get_close_matches(wanted, set(labels.values()), n=5, cutoff=0.6)
    close += sorted(label for label in set(labels.values()) if wanted in label and label not in close)
    shown = described(n for n, label in labels.items() if label in close)
    raise UnknownConcept(text, shown[:8])
