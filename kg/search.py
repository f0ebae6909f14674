"""The concept index a server answers searches and the alphabetical lists from, held in memory.

Built once per build from the concept layer (every concept's kind and label, read through
the store's predicate index), it answers a search by bisecting sorted lists, never by
scanning the concepts: a label that starts with what was typed, or a word of a label
that does (the last word typed may be a prefix, the others must be whole words).
"""

from __future__ import annotations

import re
import sys
from bisect import bisect_left
from dataclasses import dataclass, field

import pyoxigraph as ox

from .namespaces import CONCEPTS_GRAPH, KG, SKOS

_GRAPH = ox.NamedNode(CONCEPTS_GRAPH)
_WORD = re.compile(r"\w+")
# A word in this many labels or more is too common to narrow a search by its postings alone.
_MAX_SCAN = 5000


def normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def _local_name(iri: str) -> str:
    return re.split(r"[#/:]", iri.rstrip("/#"))[-1] or iri


@dataclass(frozen=True)
class Hit:
    iri: str
    label: str
    kind: str


@dataclass
class ConceptIndex:
    """Concepts in IRI order (`nodes`, `kinds`, `labels`), and the search lists."""

    nodes: list[str]
    kinds: list[str]
    labels: list[str]
    _labels_sorted: list[str] = field(default_factory=list)  # normal(label), sorted
    _label_order: list[int] = field(default_factory=list)  # concept index of each
    _words: list[str] = field(default_factory=list)  # distinct words, sorted
    _postings: dict[str, list[int]] = field(default_factory=dict)  # word -> concept indexes
    _by_kind: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def read(cls, store: ox.Store) -> ConceptIndex:
        """The index of a store's concept layer (empty when it has none)."""
        kind_of: dict = {}
        for quad in store.quads_for_pattern(None, ox.NamedNode(str(KG.kind)), None, _GRAPH):
            subject, value = quad.subject, quad.object.value
            if subject not in kind_of or value < kind_of[subject]:
                kind_of[subject] = value
        label_of: dict = {}
        for quad in store.quads_for_pattern(None, ox.NamedNode(str(SKOS.prefLabel)), None, _GRAPH):
            subject, value = quad.subject, quad.object.value
            if subject in kind_of and (subject not in label_of or value < label_of[subject]):
                label_of[subject] = value
        terms = sorted(kind_of, key=lambda term: str(term) if isinstance(term, ox.BlankNode) else term.value)
        nodes = [str(term) if isinstance(term, ox.BlankNode) else term.value for term in terms]
        kinds = [kind_of[term] for term in terms]
        labels = [label_of.get(term) or _local_name(node) for term, node in zip(terms, nodes, strict=True)]
        return cls.from_lists(nodes, kinds, labels)

    @classmethod
    def from_lists(cls, nodes: list[str], kinds: list[str], labels: list[str]) -> ConceptIndex:
        """The index of concepts given as lists in IRI order (a saved concept network's)."""
        index = cls(nodes, [sys.intern(kind) for kind in kinds], labels)
        index._build()
        return index

    def _build(self) -> None:
        keyed = sorted((normal(label), i) for i, label in enumerate(self.labels))
        self._labels_sorted = [key for key, _ in keyed]
        self._label_order = [i for _, i in keyed]
        postings: dict[str, list[int]] = {}
        for key, i in keyed:  # in label order, so each posting list is too
            for word in set(_WORD.findall(key)):
                postings.setdefault(word, []).append(i)
        self._postings = postings
        self._words = sorted(postings)
        by_kind: dict[str, list[int]] = {}
        for i in self._label_order:
            by_kind.setdefault(self.kinds[i], []).append(i)
        self._by_kind = by_kind

    def __len__(self) -> int:
        return len(self.nodes)

    def hit(self, i: int) -> Hit:
        return Hit(self.nodes[i], self.labels[i], self.kinds[i])

    def kinds_counted(self) -> dict[str, int]:
        return {kind: len(members) for kind, members in sorted(self._by_kind.items())}

    def alphabetical(self, kind: str, start: int, count: int) -> tuple[list[Hit], int]:
        """Concepts of `kind` in label order from `start`, and how many there are."""
        members = self._by_kind.get(kind, [])
        return [self.hit(i) for i in members[start : start + count]], len(members)

    def _label_prefix(self, prefix: str, limit: int) -> list[int]:
        at = bisect_left(self._labels_sorted, prefix)
        found = []
        while at < len(self._labels_sorted) and len(found) < limit and self._labels_sorted[at].startswith(prefix):
            found.append(self._label_order[at])
            at += 1
        return found

    def _word_prefix(self, prefix: str, limit: int) -> list[int]:
        """Concepts with a word starting with `prefix`: the shortest such words first."""
        at = bisect_left(self._words, prefix)
        found: list[int] = []
        while at < len(self._words) and self._words[at].startswith(prefix) and len(found) < limit:
            found.extend(self._postings[self._words[at]][: limit - len(found)])
            at += 1
        return found

    def search(self, text: str, limit: int = 20) -> list[Hit]:
        """Concepts whose label starts with `text`, then those with words that match it, best first."""
        wanted = normal(text)
        words = _WORD.findall(wanted)
        if not words:
            return []
        chosen = self._label_prefix(wanted, limit)
        if len(chosen) < limit:
            *whole, last = words
            if whole:
                # Narrow by the rarest whole word, then keep those with every word.
                lists = [self._postings.get(word, []) for word in whole]
                rarest = min(lists, key=len)
                candidates = [i for i in rarest[:_MAX_SCAN] if self._has_words(i, whole, last)]
            else:
                candidates = self._word_prefix(last, _MAX_SCAN)
            seen = set(chosen)
            for i in candidates:
                if i not in seen:
                    chosen.append(i)
                    seen.add(i)
                    if len(chosen) >= limit:
                        break
        exact = [i for i in chosen if normal(self.labels[i]) == wanted]
        rest = [i for i in chosen if normal(self.labels[i]) != wanted]
        return [self.hit(i) for i in exact + rest]

    def _has_words(self, i: int, whole: list[str], last: str) -> bool:
        words = _WORD.findall(normal(self.labels[i]))
        return all(word in words for word in whole) and any(word.startswith(last) for word in words)
