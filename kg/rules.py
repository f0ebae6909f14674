"""The concept rules' files: reading them, their steps, what each waits for (the plan), and their settings."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import pyoxigraph as ox

from .errors import RuleError
from .namespaces import CONCEPTS_GRAPH, KG, STATISTICS_GRAPH
from .offline import FetchRefused, refuse_fetching
from .sparql import parse_header

# The rules' shared scratch graph: the settings (00-settings.ru) and helper triples; dropped after the run.
SCRATCH_GRAPH = "urn:kg:graph:link-scratch"


RULE_SUFFIX = ".ru"


# A corpus rule in SQL, run by DuckDB (kg.sqlrules).
SQL_RULE_SUFFIX = ".sql"


RULE_SUFFIXES = (RULE_SUFFIX, SQL_RULE_SUFFIX)


XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"


# Where a CONSTRUCT may write, by the names the rules use for the graphs.
TARGET_GRAPHS = {
    "kgg:concepts": CONCEPTS_GRAPH,
    f"<{CONCEPTS_GRAPH}>": CONCEPTS_GRAPH,
    "kgg:link-scratch": SCRATCH_GRAPH,
    f"<{SCRATCH_GRAPH}>": SCRATCH_GRAPH,
    "kgg:statistics": STATISTICS_GRAPH,
    f"<{STATISTICS_GRAPH}>": STATISTICS_GRAPH,
}


# The graphs the rules write, cleared before they run.
DERIVED_GRAPHS = (CONCEPTS_GRAPH, STATISTICS_GRAPH)


_NUMBER_PREFIX = re.compile(r"^\d+-")


_CONSTRUCT_LINE = re.compile(r"^CONSTRUCT\b", re.IGNORECASE)


_INTO_LINE = re.compile(r"^#\s*into:\s*(.*?)\s*$")


_AFTER_LINE = re.compile(r"^#\s*after:\s*(.*?)\s*$")


_STEP_NAME = re.compile(r"^step\s+(\d+)$")


_PARTITION_LINE = re.compile(r"^#\s*partition:\s*(.*?)\s*$")


# What `# partition:` takes: parts as many as the hexadecimal prefixes of one length.
PARTITION_COUNTS = {1: 0, 16: 1, 256: 2}


@dataclass(frozen=True)
class Step:
    """One request of a rule: a CONSTRUCT whose triples go into `graph`, or (graph None) SPARQL Update.

    `text` keeps the rule file's line numbers (the other steps' lines are blank), so a
    syntax error points at the line of the file.
    """

    text: str
    graph: str | None
    # From an `# after:` line above it: the steps of its file ("step 1") and the rules it
    # waits for. None: it waits for the step before it in its file.
    after: tuple[str, ...] | None = None
    # From a `# partition: N` line above it: the CONSTRUCT runs N times, ?partition taking
    # each hexadecimal prefix of one length in turn ("0" to "f" for 16); see `partitions`.
    parts: int | None = None
    # "sql": the whole `.sql` rule file, run by DuckDB (kg.sqlrules); its triples go into `graph`.
    engine: str = "sparql"

    def partitions(self) -> list[str]:
        """The values ?partition takes, one run each (as SPARQL literals); none without a
        `# partition:` line (one run, as written).

        A CONSTRUCT keeps every triple it has made in a set (strings, not the store's ids,
        emptied at about a million), so a step that makes millions holds hundreds of
        megabytes while it runs; run in parts, each part holds only its own share. The
        step's author filters on ?partition where it loses the most rows earliest (rule 80
        keeps the concepts whose IRI's MD5 starts with it, before ranking each one) and
        makes sure that a part gives what the whole would for the rows it keeps.
        """
        if self.parts is None:
            return []
        digits = PARTITION_COUNTS[self.parts]
        return [f'"{value:0{digits}x}"' if digits else '""' for value in range(self.parts)]


@dataclass(frozen=True)
class Rule:
    """One rule file: `name` is its file name without the number and suffix (label-containment)."""

    filename: str
    text: str
    origin: str  # where it was read from, for messages

    @property
    def name(self) -> str:
        return _NUMBER_PREFIX.sub("", self.stem)

    @property
    def stem(self) -> str:
        """The file name without its suffix (80-related): a file of either kind replaces the
        shipped rule of the same stem."""
        return _without_suffix(self.filename)

    @property
    def is_sql(self) -> bool:
        return self.filename.endswith(SQL_RULE_SUFFIX)

    @property
    def header(self) -> dict[str, list[str]]:
        from .sqlrules import header_text

        return parse_header(header_text(self.text) if self.is_sql else self.text)

    @property
    def title(self) -> str:
        return " ".join(self.header.get("title", [self.name]))

    @property
    def after(self) -> tuple[str, ...] | None:
        """The rules named by the header's `# after:` line; None without one (the rule then
        waits for every rule before it, and every rule after it waits for it)."""
        lines = self.header.get("after")
        return None if lines is None else _names(" ".join(lines))

    def names(self) -> tuple[str, str]:
        """What `# after:` and --skip may call it: 80-related or related."""
        return self.stem, self.name

    def steps(self) -> list[Step]:
        """The file's requests in order: one per line that starts with CONSTRUCT, each with the
        comment lines right above it and the file's PREFIX lines; else the whole file as an update.
        A `.sql` rule is one step, run by DuckDB, whose `# after:` is the rule's."""
        if self.is_sql:
            return [Step(self.text, CONCEPTS_GRAPH, engine="sql")]
        lines = self.text.splitlines()
        starts = [number for number, line in enumerate(lines) if _CONSTRUCT_LINE.match(line)]
        if not starts:
            return [Step(self.text, None)]
        begins = []
        for start in starts:
            begin = start
            while begin > 0 and lines[begin - 1].startswith("#"):
                begin -= 1
            begins.append(begin)
        prologue = lines[: begins[0]]
        steps = []
        for begin, start, end in zip(begins, starts, [*begins[1:], len(lines)], strict=True):
            blanks = [""] * (begin - len(prologue))
            text = "\n".join([*prologue, *blanks, *lines[begin:end]]) + "\n"
            parts = self._parts(lines, begin, start)
            if parts is not None and not re.search(r"[?$]partition\b", "\n".join(lines[start:end])):
                raise RuleError(f"{self.origin}: line {start + 1}: a step with '# partition:' must use ?partition")
            steps.append(
                Step(text, self._target(lines, begin, start), self._step_after(lines, begin, start, len(steps)), parts)
            )
        return steps

    def _parts(self, lines: list[str], begin: int, start: int) -> int | None:
        """The number on a `# partition:` line among lines[begin:start]; None without one."""
        for number in range(begin, start):
            if (partition := _PARTITION_LINE.match(lines[number])) is not None:
                value = partition.group(1)
                if not value.isdigit() or int(value) not in PARTITION_COUNTS:
                    counts = ", ".join(str(count) for count in PARTITION_COUNTS)
                    raise RuleError(f"{self.origin}: line {number + 1}: '# partition:' takes {counts}, not {value!r}")
                return int(value)
        return None

    def _step_after(self, lines: list[str], begin: int, start: int, index: int) -> tuple[str, ...] | None:
        """The names on an `# after:` line among lines[begin:start] (the comments of step `index`,
        from 0), the file's header left out: an `# after:` there is the rule's."""
        for number in range(max(begin, self._header_end()), start):
            if (after := _AFTER_LINE.match(lines[number])) is not None:
                names = _names(after.group(1))
                for name in names:
                    step = _STEP_NAME.match(name)
                    if step is not None and not 1 <= int(step.group(1)) <= index:
                        raise RuleError(
                            f"{self.origin}: line {number + 1}: '# after: {name}' names no step before this one"
                            f" (this is step {index + 1})"
                        )
                return names
        return None

    def _header_end(self) -> int:
        """The number of the file's first line that is neither a comment nor blank: the
        lines before it are the header, which `parse_header` reads."""
        for number, line in enumerate(self.text.splitlines()):
            if line.strip() and not line.startswith("#"):
                return number
        return len(self.text.splitlines())

    def _target(self, lines: list[str], begin: int, start: int) -> str:
        """The graph named by a `# into:` line among lines[begin:start]; the concept graph without one."""
        for number in range(begin, start):
            if (into := _INTO_LINE.match(lines[number])) is not None:
                if into.group(1) not in TARGET_GRAPHS:
                    names = " or ".join(name for name in TARGET_GRAPHS if not name.startswith("<"))
                    raise RuleError(f"{self.origin}: line {number + 1}: '# into:' takes {names}, not {into.group(1)!r}")
                return TARGET_GRAPHS[into.group(1)]
        return CONCEPTS_GRAPH


def shipped_rules_folder():
    """The rules folder inside the installed package (queries/rules in a checkout)."""
    return files("kg.queries").joinpath("rules")


def load_rules(rules_dir: Path | None = None, *, skip: Iterable[str] = ()) -> list[Rule]:
    """The shipped rules, with the files of `rules_dir` replacing those of the same name and
    adding the rest; in file-name order. An empty file switches the shipped rule of its name off."""
    from .sqlrules import check

    found: dict[str, Rule] = {}  # by stem: 80-related.ru replaces 80-related.sql, and the other way
    for entry in shipped_rules_folder().iterdir():
        if entry.name.endswith(RULE_SUFFIXES):
            rule = Rule(entry.name, entry.read_text(encoding="utf-8"), f"queries/rules/{entry.name}")
            found[rule.stem] = rule
    if rules_dir is not None:
        folder = Path(rules_dir)
        if not folder.is_dir():
            raise RuleError(f"no rules folder at {folder}")
        for path in sorted(path for path in folder.iterdir() if path.name.endswith(RULE_SUFFIXES)):
            rule = Rule(path.name, path.read_text(encoding="utf-8"), str(path))
            found[rule.stem] = rule
            if rule.is_sql:  # a rule of the user's runs on the store as any query does: never one that fetches
                check(str(path), rule.text)
                continue
            try:
                refuse_fetching(rule.text)
            except FetchRefused as exc:
                raise RuleError(f"{path}: {exc}") from None
    rules = [found[name] for name in sorted(found)]
    skipped = set(skip)
    unknown = skipped - {name for rule in rules for name in rule.names()}
    if unknown:
        names = ", ".join(rule.name for rule in rules)
        raise RuleError(f"no rule named {', '.join(sorted(unknown))}; the rules are: {names}")
    chosen = [rule for rule in rules if skipped.isdisjoint(rule.names()) and rule.text.strip()]
    _check_after(rules)  # a bad '# into:' or '# after:' fails before the store is touched
    return chosen


def _without_suffix(filename: str) -> str:
    for suffix in RULE_SUFFIXES:
        if filename.endswith(suffix):
            return filename.removesuffix(suffix)
    return filename


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


def _check_after(rules: list[Rule]) -> None:
    """Every rule an `# after:` line names runs before the rule that names it."""
    seen: set[str] = set()
    known = {name for rule in rules for name in rule.names()}
    for rule in rules:
        named = [*(rule.after or ()), *(name for step in rule.steps() for name in step.after or ())]
        for name in named:
            if _STEP_NAME.match(name) or name in seen:
                continue
            where = "runs later" if name in known and name not in rule.names() else "is not a rule before it"
            raise RuleError(f"{rule.origin}: '# after: {name}': {name} {where}; a rule waits only for rules before it")
        seen.update(rule.names())


def rules_digest(rules: list[Rule]) -> str:
    """What a list of rules is: a change to any rule, or to their order, changes it."""
    hasher = hashlib.sha256()
    for rule in rules:
        hasher.update(f"{rule.filename}\0{rule.text}\0".encode())
    return hasher.hexdigest()


@dataclass(frozen=True)
class PlannedStep:
    """One step of a rule, with the steps (indexes into the plan) it must wait for."""

    rule: Rule
    number: int  # its place in its rule, from 0
    step: Step
    needs: frozenset[int]


def plan(rules: list[Rule]) -> list[PlannedStep]:
    """Every step of `rules` in file order, each with the steps it waits for.

    A rule without an `# after:` line waits for every step before it, and every later rule
    waits for it: the rules run as if one after the other. A rule with one waits for the
    rules it names (those left out by --skip count as done) and for the last rule before
    it without one. Within a rule, a step waits for the step before it, or for the steps
    and rules an `# after:` line in its own comments names.
    """
    planned: list[PlannedStep] = []
    steps_of: dict[str, range] = {}
    everything_before_last_barrier: frozenset[int] = frozenset()
    for rule in rules:
        first = len(planned)
        if rule.after is None:
            rule_needs = frozenset(range(first))
        else:
            rule_needs = everything_before_last_barrier.union(*(steps_of.get(name, ()) for name in rule.after))
        for number, step in enumerate(rule.steps()):
            needs = set(rule_needs)
            if step.after is None:
                needs.update([first + number - 1] if number else [])
            for name in step.after or ():
                if (match := _STEP_NAME.match(name)) is not None:
                    needs.add(first + int(match.group(1)) - 1)
                else:
                    needs.update(steps_of.get(name, ()))
            planned.append(PlannedStep(rule, number, step, frozenset(needs)))
        for name in rule.names():
            steps_of[name] = range(first, len(planned))
        if rule.after is None:
            everything_before_last_barrier = frozenset(range(len(planned)))
    return planned


def single_settings(store: ox.Store) -> dict[str, str]:
    """The settings with exactly one value, as {local name: the value in SPARQL syntax}.

    An integer is written bare (10, not "10"^^xsd:integer), the one form LIMIT takes.
    """
    rows = store.query(
        f"SELECT ?p (COUNT(?v) AS ?n) (SAMPLE(?v) AS ?value) "
        f"WHERE {{ GRAPH <{SCRATCH_GRAPH}> {{ <{KG.settings}> ?p ?v }} }} GROUP BY ?p"
    )
    return {
        row["p"].value.removeprefix(str(KG)): _sparql_term(row["value"])
        for row in rows
        if row["p"].value.startswith(str(KG)) and int(row["n"].value) == 1
    }


def _sparql_term(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> str:
    if isinstance(term, ox.Literal) and term.datatype.value == XSD_INTEGER and term.value.isdigit():
        return term.value
    return str(term)


def with_settings(text: str, settings: dict[str, str]) -> str:
    """`text` with each variable named like a setting (?facetPattern) replaced by the setting's value.

    The rules also join the settings graph, so this changes no result; it turns the
    patterns into constants, which Oxigraph compiles once instead of once per row, and
    gives LIMIT the number it needs (LIMIT ?maxRelatedPerConcept in rule 80).
    """
    for name, value in settings.items():
        text = re.sub(rf"\?{re.escape(name)}\b", lambda _match, value=value: value, text)
    return text
