"""Per-page outcomes of a build, the summary line, and the exit code, decided in one place."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class PageOutcome:
    label: str  # the source file (and archive record) as the user knows it
    url: str | None
    blocks: int = 0
    fast_blocks: int = 0  # blocks the fast JSON-LD path took; the rest went through pyld
    reused: bool = False  # an incremental build kept this page's graph without reading it
    merged: bool = False  # a second file of a page URL, merged into the first one's graph
    triples: int = 0
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def built(self) -> bool:
        return self.triples > 0

    @property
    def without_jsonld(self) -> bool:
        """A page that carries no JSON-LD at all: a fact about the page, not a failure."""
        return not self.blocks and not self.triples and not self.errors


@dataclass
class BuildReport:
    pages: list[PageOutcome] = field(default_factory=list)
    source_errors: list[tuple[str, str]] = field(default_factory=list)
    source_warnings: list[tuple[str, str]] = field(default_factory=list)
    triples: int = 0
    nodes: int = 0
    seconds: float = 0.0
    committed: bool = False
    had_previous: bool = False  # a store was there before this build
    exports: list[str] = field(default_factory=list)
    # Exports an incremental build found already up to date (nothing changed), and kept.
    kept: list[str] = field(default_factory=list)
    # Incremental builds: pages whose source was unchanged (not re-read), and graphs dropped.
    removed: int = 0
    skipped: dict[str, int] = field(default_factory=dict)  # archive records that are not pages, by reason
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage (the benchmark prints them)
    # The concept layer's delta: subjects, those changed, quads added and removed (kg.layer).
    layer: dict[str, int] = field(default_factory=dict)
    facts_derived: int = 0  # pages whose facts the page rules derived in this build (the others were kept)
    # Files not read as pages: (name, why), why being the suffix kg does not read (".pdf") or a reason.
    skipped_files: list[tuple[str, str]] = field(default_factory=list)

    @property
    def built(self) -> int:
        """Pages that put triples in the store, even if some of their blocks failed."""
        return sum(1 for page in self.pages if page.built)

    @property
    def partly_built(self) -> int:
        """Pages with triples from some blocks and errors from others."""
        return sum(1 for page in self.pages if page.built and page.errors)

    @property
    def failed(self) -> int:
        """Pages with errors and no triples, plus sources that could not be read at all."""
        return sum(1 for page in self.pages if page.errors and not page.built) + len(self.source_errors)

    @property
    def empty(self) -> int:
        """Pages with JSON-LD that neither failed nor gave a triple (nothing RDF can hold, or a duplicate)."""
        return sum(1 for page in self.pages if not page.built and not page.errors and page.blocks)

    @property
    def without_jsonld(self) -> int:
        return sum(1 for page in self.pages if page.without_jsonld)

    @property
    def warnings(self) -> int:
        return sum(len(page.warnings) for page in self.pages) + len(self.source_warnings)

    @property
    def errors(self) -> int:
        return sum(len(page.errors) for page in self.pages) + len(self.source_errors)

    @property
    def blocks(self) -> int:
        return sum(page.blocks for page in self.pages)

    @property
    def unchanged(self) -> int:
        return sum(1 for page in self.pages if page.reused)

    def messages(self) -> list[tuple[str, str]]:
        """("error" | "warning", "file: reason") for every problem, in corpus order."""
        lines = [("error", f"{source}: {reason}") for source, reason in self.source_errors]
        lines += [("warning", f"{source}: {reason}") for source, reason in self.source_warnings]
        for page in self.pages:
            lines += [("error", f"{page.label}: {message}") for message in page.errors]
            lines += [("warning", f"{page.label}: {message}") for message in page.warnings]
        return lines

    def summary(self) -> str:
        kept = ""
        if not self.committed:
            kept = "; nothing built, previous output kept" if self.had_previous else "; nothing built"
        # Disjoint counts: with the unreadable sources, they add up to what the user gave.
        counts = [f"{self.built - self.partly_built} built"]
        if self.partly_built:
            counts.append(f"{self.partly_built} partly built")
        counts.append(f"{self.failed} failed")
        if self.without_jsonld:
            counts.append(f"{self.without_jsonld} without JSON-LD")
        if self.empty:
            counts.append(f"{self.empty} without triples")
        totals = ", ".join(
            _count(number, noun)
            for number, noun in (
                (self.blocks, "block"),
                (self.triples, "triple"),
                (self.nodes, "node"),
                (self.warnings, "warning"),
                (self.errors, "error"),
            )
        )
        return f"{_count(len(self.pages), 'page')} ({', '.join(counts)}), {totals} in {self.seconds:.2f}s{kept}"

    def details(self) -> str:
        """How the work was done: which JSON-LD path took the blocks, what an incremental build reused."""
        read = [page for page in self.pages if not page.reused]
        fast = sum(page.fast_blocks for page in read)
        text = f"JSON-LD: {fast} blocks by the fast path, {sum(page.blocks for page in read) - fast} by pyld"
        if self.unchanged or self.removed:
            text += f"; incremental: {self.unchanged} pages unchanged, {len(read)} read, {self.removed} removed"
        merged = sum(1 for page in self.pages if page.merged)
        if merged:
            text += f"; {_count(merged, 'file')} with the page URL of another, merged into its page"
        if self.kept:
            text += "; nothing changed, the store and exports were kept as they were"
        return text

    def skipped_summary(self) -> list[str]:
        """What was not read as pages, counted: files kg does not read, archive records that are not pages."""
        lines = []
        if self.skipped_files:
            kinds: dict[str, int] = {}
            for _, why in self.skipped_files:
                kinds[why] = kinds.get(why, 0) + 1
            listed = ", ".join(f"{why} {count}" for why, count in sorted(kinds.items()))
            lines.append(f"{_count(len(self.skipped_files), 'file')} skipped: {listed}")
        if self.skipped:
            listed = ", ".join(f"{reason} {count}" for reason, count in sorted(self.skipped.items()))
            lines.append(f"{_count(sum(self.skipped.values()), 'archive record')} skipped: {listed}")
        return lines

    def exit_code(self, *, allow_errors: bool = False) -> int:
        """0 when everything built; 1 when something failed (unless the user accepts failures);
        2 when nothing at all could be built."""
        if not self.committed:
            return 2
        if self.errors and not allow_errors:
            return 1
        return 0


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


Progress = Callable[[int, int], None]


Announce = Callable[[str], None]
