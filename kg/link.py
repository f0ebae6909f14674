"""The link stage: run the SPARQL rules of queries/rules/ to derive the concept layer from the page graphs.

The rules run in file-name order against the whole store. They read the reconciled
schema.org data in the page graphs and write a SKOS view into one named graph,
CONCEPTS_GRAPH. A rule file is either a series of CONSTRUCT queries, run one after the
other, whose triples this module bulk-loads into the concept graph (or, after a
`# into: kgg:link-scratch` comment, the rules' scratch graph); or SPARQL Update, run as
one request. Bulk loading writes a hundred thousand triples a second where an INSERT
writes a few tens of thousands, so the shipped rules are CONSTRUCTs. `kg build` and
`kg link` (`relink`, on a copy of a build's store, swapped in as a build does) run them
through `build.derive_layer`; `derive` does the same for a store alone (the Python API).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from concurrent import futures
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

import pyoxigraph as ox

from .errors import RuleError
from .namespaces import CONCEPTS_GRAPH, KG, PROVENANCE_GRAPH, SKOS, STATISTICS_GRAPH
from .offline import FetchRefused, refuse_fetching
from .query import QUERY_PREFIXES, parse_header, syntax_error
from .store import bulk_load_file, release_memory

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
# A bulk load writes new files and costs ~50 ms however little it loads; below this size
# (a few thousand triples) an ordinary transaction is quicker.
BULK_LOAD_FROM_BYTES = 256 * 1024
# Removing quads costs ~20 µs each whatever the method; in transactions of this many the
# memory they take stays small.
CLEAR_BATCH = 50_000
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


@dataclass
class LinkReport:
    """What one run of the rules made: concepts per kind, links per relation, and timings."""

    counts: dict[str, int] = field(default_factory=dict)
    timings: list[tuple[str, float]] = field(default_factory=list)
    seconds: float = 0.0
    facts_derived: int = 0  # pages whose facts the page rules derived again (kg link)

    def summary(self) -> str:
        kinds = ", ".join(f"{n} {kind}{'' if n == 1 else 's'}" for kind, n in self.counts.items() if ":" not in kind)
        links = ", ".join(f"{n} {name.split(':', 1)[1]}" for name, n in self.counts.items() if name.startswith("skos:"))
        return f"concept layer: {kinds or 'no concepts'}; links: {links or 'none'} in {self.seconds:.2f}s"


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


def derive(
    store: ox.Store, *, rules_dir: Path | None = None, skip: Iterable[str] = (), jobs: int | None = None
) -> dict[str, int]:
    """Derive the concept layer of `store` as a build does: each page's facts by the page
    rules, the corpus rules over those facts, the layer written into `store` in place of
    the one it had. Returns what the rules made (see `count`)."""
    from .build import derive_layer
    from .facts import PageRules, corpus_rules_of, page_facts, store_pages, stored_pages
    from .factstore import FactStore

    rules = load_rules(rules_dir, skip=skip)
    page_rules = PageRules.from_rules(rules)
    facts = FactStore(Path(":memory:"))
    try:
        for page, graph, record in stored_pages(store, store_pages(store)):
            facts.set_page(page, page_facts(page, graph, page_rules), record)
        clear_derived(store)
        layer = derive_layer(store, facts, corpus_rules_of(rules), full=True, jobs=jobs)
    finally:
        facts.close()
    return layer.link.counts


def run_rules(
    store: ox.Store,
    rules: list[Rule],
    announce: Callable[[str], None] | None = None,
    jobs: int | None = None,
    *,
    prefer_last: bool = False,
    keep: Path | None = None,
) -> LinkReport:
    """Clear the derived graphs and run `rules`; `announce` hears of each rule as it finishes.

    With `keep`, a folder, the N-Triples each CONSTRUCT made for the concept or statistics
    graph are left there (`concepts-N.nt`, `statistics-N.nt`) once loaded, so the caller
    has the layer without reading it back from the store.

    Up to `jobs` steps run at once (default: one per core, at most two), each as soon as
    the steps it waits for (see `plan`) are done. With one job the steps run in file order;
    with `prefer_last`, the last ready step always goes first instead: another order the
    same plan allows, which must make the same layer.
    """
    from .facts import corpus_rules_of
    from .workers import default_jobs

    rules = corpus_rules_of(rules)  # page rules run on each page (kg.facts), not over a store
    report = LinkReport()
    started = time.perf_counter()
    clear_derived(store)
    try:
        with tempfile.TemporaryDirectory(prefix="kg-link-") as workdir:
            spans = _run_plan(store, plan(rules), Path(workdir), announce, jobs or default_jobs(), prefer_last, keep)
    finally:
        clear_graph(store, SCRATCH_GRAPH)
    report.timings = [(rule.filename, spans[rule.filename][1] - spans[rule.filename][0]) for rule in rules]
    report.counts = count(store)
    report.seconds = time.perf_counter() - started
    return report


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


def _run_plan(
    store: ox.Store,
    planned: list[PlannedStep],
    workdir: Path,
    announce: Callable[[str], None] | None,
    jobs: int,
    prefer_last: bool,
    keep: Path | None = None,
) -> dict[str, list[float]]:
    """Run the planned steps on `jobs` threads (Oxigraph evaluates a query without holding
    Python's lock, so two queries use two cores); return each rule's first start and last end.

    Each query reads the store as it was when it started; the loads of what the steps made
    take turns. After a failure no step starts, the running ones finish, and the first
    failure is raised.
    """
    order = list(dict.fromkeys(item.rule.filename for item in planned))
    steps_left = {name: sum(1 for item in planned if item.rule.filename == name) for name in order}
    rules_done = 0
    spans: dict[str, list[float]] = {}
    loading = threading.Lock()

    def run(index: int) -> None:
        item = planned[index]
        began = time.perf_counter()
        _run_step(store, item.rule, item.step, single_settings(store), workdir / f"step-{index}.nt", loading, keep)
        span = spans.setdefault(item.rule.filename, [began, began])
        span[0], span[1] = min(span[0], began), time.perf_counter()

    # Of the steps ready, the first in file order goes first (the last, with prefer_last);
    # with more than one job, those with the longest chain of steps waiting on them go
    # before the others, so that the plan's critical path is not held up by steps nothing
    # waits for.
    chain = [1] * len(planned)
    for index in reversed(range(len(planned)) if jobs > 1 else ()):
        for need in planned[index].needs:
            chain[need] = max(chain[need], chain[index] + 1)
    pending = sorted(range(len(planned)), key=lambda index: (-chain[index], -index if prefer_last else index))
    done: set[int] = set()
    running: dict[futures.Future, int] = {}
    failure: BaseException | None = None
    with futures.ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="kg-rule") as pool:
        while running or (pending and failure is None):
            if failure is None:
                ready = [index for index in pending if planned[index].needs <= done]
                for index in ready[: jobs - len(running)]:
                    pending.remove(index)
                    running[pool.submit(run, index)] = index
            finished, _ = futures.wait(running, return_when=futures.FIRST_COMPLETED)
            for future in finished:
                index = running.pop(future)
                done.add(index)
                if future.exception() is not None and failure is None:
                    failure = future.exception()
                # One line per rule, as it finishes: with two jobs rules finish out of file order.
                filename = planned[index].rule.filename
                steps_left[filename] -= 1
                if not steps_left[filename] and future.exception() is None and announce:
                    rules_done += 1
                    took = spans[filename][1] - spans[filename][0]
                    name = _without_suffix(filename)
                    announce(f"concept rules: {name} done in {took:.1f} s ({rules_done} of {len(order)})")
    if failure is not None:
        raise failure
    return spans


def clear_derived(store: ox.Store) -> None:
    """Remove what the rules wrote (quick when there is nothing: one lookup per graph)."""
    for graph in (*DERIVED_GRAPHS, SCRATCH_GRAPH):
        clear_graph(store, graph)


def clear_graph(store: ox.Store, graph: str, batch: int = CLEAR_BATCH) -> None:
    """Remove a graph `batch` quads at a time: one transaction for a whole concept layer
    holds every removal in memory, and is slower than several.

    A removal is written to the store's in-memory write buffers (one per index), which
    stay full until they are flushed to disk: at 100,000 pages clearing the rules' scratch
    graph grew the build by 370 MB, held through the export. So after removing anything,
    the buffers are flushed and the memory handed back.
    """
    removed = False
    while store.query(f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"):
        store.update(
            f"DELETE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} "
            f"WHERE {{ SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} LIMIT {batch} }}"
        )
        removed = True
    store.update(f"DROP SILENT GRAPH <{graph}>")
    if removed:
        store.flush()
        release_memory()


def _run_step(
    store: ox.Store,
    rule: Rule,
    step: Step,
    settings: dict[str, str],
    triples_file: Path,
    writing: contextlib.AbstractContextManager | None = None,
    keep: Path | None = None,
) -> None:
    """Run one request; a CONSTRUCT's triples go through an N-Triples file into bulk loads.
    The loads (or the update) are made inside `writing`, a lock when steps run side by side.

    The file, loaded in pieces, keeps memory flat however many triples a rule makes.
    """
    writing = writing or contextlib.nullcontext()
    text = step.text if step.engine == "sql" else with_settings(step.text, settings)
    try:
        if step.engine == "sql":
            _run_sql(store, rule, step, settings, triples_file)
        elif step.graph is None:
            with writing:
                store.update(text, prefixes=QUERY_PREFIXES)
            return
        else:
            parts = [with_settings(text, {"partition": partition}) for partition in step.partitions()]
            _construct(store, parts or [text], triples_file)
        size, graph = triples_file.stat().st_size, ox.NamedNode(step.graph)
        with writing:
            if size > BULK_LOAD_FROM_BYTES:
                bulk_load_file(store, triples_file, ox.RdfFormat.N_TRIPLES, to_graph=graph, lenient=True)
            elif size:
                store.load(path=triples_file, format=ox.RdfFormat.N_TRIPLES, to_graph=graph, lenient=True)
        if keep is not None and step.graph in DERIVED_GRAPHS:
            triples_file.rename(keep / f"{step.graph.rsplit(':', 1)[-1]}-{triples_file.name}")
        triples_file.unlink(missing_ok=True)
    except SyntaxError as exc:
        raise RuleError(f"{rule.origin}: {syntax_error(exc, text)}") from None
    except OSError as exc:
        raise RuleError(f"{rule.origin}: the rule failed: {exc}") from None
    finally:
        release_memory()  # what the evaluation took, so that the rules' memory does not pile up


def _run_sql(store: ox.Store, rule: Rule, step: Step, settings: dict[str, str], triples_file: Path) -> None:
    """Run a `.sql` rule (kg.sqlrules) in a scratch folder beside `triples_file`."""
    from .sqlrules import run_sql_rule, settings_values
    from .workers import default_jobs

    run_sql_rule(
        store,
        rule.origin,
        step.text,
        lambda query: with_settings(query, settings),
        settings_values(store, SCRATCH_GRAPH),
        triples_file.with_suffix(".sql.d"),
        triples_file,
        threads=default_jobs(),
    )


def _construct(store: ox.Store, texts: list[str], triples_file: Path) -> None:
    """Write what the CONSTRUCT queries `texts` make to `triples_file` as N-Triples, one after the other.

    Oxigraph writes a file it is given by its path without holding Python's lock; so each
    part goes to a file of its own, appended to the rest. All parts read the store as it
    was before the step: their triples are loaded together, after the last.
    """
    if len(texts) == 1:
        store.query(texts[0], prefixes=QUERY_PREFIXES).serialize(triples_file, format=ox.RdfFormat.N_TRIPLES)
        return
    part_file = triples_file.with_suffix(".part.nt")
    with open(triples_file, "wb") as triples:
        for text in texts:
            store.query(text, prefixes=QUERY_PREFIXES).serialize(part_file, format=ox.RdfFormat.N_TRIPLES)
            with open(part_file, "rb") as part:
                shutil.copyfileobj(part, triples)
    part_file.unlink(missing_ok=True)


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


def count(store: ox.Store) -> dict[str, int]:
    """Concepts per kg:kind ("area": 2, ...), then "skos:broader", "skos:related", "kg:facet"... link counts."""
    graph = f"<{CONCEPTS_GRAPH}>"
    kinds = store.query(
        f"SELECT ?kind (COUNT(DISTINCT ?c) AS ?n) WHERE {{ GRAPH {graph} {{ ?c <{KG.kind}> ?kind }} }} "
        "GROUP BY ?kind ORDER BY ?kind"
    )
    counts = {row["kind"].value: int(row["n"].value) for row in kinds}
    for name, predicate in (("skos:broader", SKOS.broader), ("skos:related", SKOS.related), ("kg:facet", KG.facet)):
        rows = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {graph} {{ ?a <{predicate}> ?b }} }}")
        counts[name] = int(next(iter(rows))["n"].value)
    return counts


def relink(
    output: Path | str,
    *,
    rules_dir: Path | None = None,
    skip: Iterable[str] = (),
    announce: Callable[[str], None] | None = None,
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> LinkReport:
    """Derive the concept layer again for a build folder, atomically like a build.

    A changed page rule derives every page's facts again (from the page graphs in the
    store); otherwise only the corpus pass runs, over the facts the build kept. The layer
    reaches a staging copy of the store (hard links, so it is quick) as a delta, the
    build's exports are rewritten from it, and the copy is swapped in; a failing rule
    leaves the live store, facts and exports as they were. The staging store holds the
    build folder's writer lock, so `kg link` never races a build. `announce` hears of each
    rule and export as it starts.
    """
    from .build import derive_layer, refresh_facts, write_exports
    from .facts import PageRules, corpus_rules_of, page_facts, store_pages, stored_pages
    from .factstore import FactStore, store_token, write_store_token
    from .publish import page_piece, set_piece
    from .store import open_store, staging

    output = Path(output)
    rules = load_rules(rules_dir, skip=skip)  # bad names fail before the store is touched
    page_rules = PageRules.from_rules(rules)
    open_store(output)  # fails with a hint when the folder holds no build; closed again at once
    with staging(output, from_live=True) as stage:
        facts = FactStore.open(output)
        try:
            full = facts.token is None or facts.token != store_token(stage.store)
            if full:  # no facts kept with this store (an older build, an update): from the store
                facts.clear()
                derived = 0
                for page, graph, record in stored_pages(stage.store, store_pages(stage.store)):
                    facts.set_page(page, page_facts(page, graph, page_rules), record)
                    set_piece(facts, page, page_piece(graph))
                    derived += 1
                clear_derived(stage.store)
            elif facts.get("page rules") != page_rules.digest:
                derived = refresh_facts(stage.store, facts, page_rules, announce, progress)
            else:
                derived = 0
            facts.put("page rules", page_rules.digest)
            layer = derive_layer(
                stage.store,
                facts,
                corpus_rules_of(rules),
                full=full,
                announce=announce,
                progress=progress,
                jobs=jobs,
                workdir=stage.folder,
            )
            layer.link.facts_derived = derived
            write_store_token(stage.store, facts.seal())
            # Recorded with these rules: rules other than the build's make the next build derive again.
            write_exports(stage, rules_digest(rules), announce, jobs, facts)
            stage.commit()
            facts.commit()
        except BaseException:
            facts.rollback()
            raise
    return layer.link


__all__ = [
    "CONCEPTS_GRAPH",
    "PROVENANCE_GRAPH",
    "SCRATCH_GRAPH",
    "LinkReport",
    "PlannedStep",
    "Rule",
    "Step",
    "clear_derived",
    "derive",
    "load_rules",
    "plan",
    "relink",
    "rules_digest",
    "run_rules",
]
