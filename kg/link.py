"""Run the concept rules over a store: each step on its own thread as the plan allows, their triples bulk-loaded.

The rules (kg.rules reads them and plans their order) run over the corpus store of page
facts: reconciled schema.org data. They write a SKOS view into one named graph,
CONCEPTS_GRAPH. A rule file is either a series of CONSTRUCT queries, run one after the
other, whose triples this module bulk-loads into the concept graph (or, after a
`# into: kgg:link-scratch` comment, the rules' scratch graph); or SPARQL Update, run as
one request. Bulk loading writes a hundred thousand triples a second where an INSERT
writes a few tens of thousands, so the shipped rules are CONSTRUCTs. `kg build` and
`kg link` (`relink`, on a copy of a build's store, swapped in as a build does) run them
through `layer.derive_layer`; `relink.derive` does the same for a store alone (the Python API).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .namespaces import CONCEPTS_GRAPH, KG, SKOS
from .rules import (
    DERIVED_GRAPHS,
    SCRATCH_GRAPH,
    PlannedStep,
    Rule,
    _without_suffix,
    plan,
)
from .store import bulk_load_file, release_memory

# A bulk load writes new files and costs ~50 ms however little it loads; below this size
# (a few thousand triples) an ordinary transaction is quicker.
BULK_LOAD_FROM_BYTES = 256 * 1024
# Removing quads costs ~20 µs each whatever the method; in transactions of this many the
# memory they take stays small.
CLEAR_BATCH = 50_000


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


def run_rules(
    store: ox.Store,
    rules: list[Rule],
    announce: Callable[[str], None] | None = None,
    jobs: int | None = None,
    *,
    prefer_last: bool = False,
    keep: Path | None = None,
) -> LinkReport:
    """Clear the derived graphs of `store`, run the corpus rules of `rules` over what it
    holds and write the layer they make into it; `announce` hears of each rule as it finishes.

    With `keep`, a folder, the layer is also left there as N-Triples (`concepts-layer.nt`,
    `statistics-layer.nt`). See `run_plan` for `jobs` and `prefer_last`.
    """
    from .corpusdb import CorpusDB, quad_row
    from .corpuspass import CorpusPass

    report = LinkReport()
    started = time.perf_counter()
    clear_derived(store)
    with tempfile.TemporaryDirectory(prefix="kg-link-") as workdir:
        source = Path(workdir) / "corpus.nq"
        with open(source, "wb") as out:  # the named graphs: the corpus tables hold quads
            for quad in store.quads_for_pattern(None, None, None, None):
                if not isinstance(quad.graph_name, ox.DefaultGraph):
                    out.write(quad_row("-", quad))
        db = CorpusDB(Path(workdir) / "duckdb")
        db.add_pages(source)
        with CorpusPass(db, Path(workdir) / "pass") as corpus:
            report = corpus_pass(corpus, rules, announce, jobs, prefer_last=prefer_last)
            made = keep or Path(workdir) / "made"
            corpus.write_layer(made)
        for graph in DERIVED_GRAPHS:
            layer = made / f"{graph.rsplit(':', 1)[-1]}-layer.nt"
            if layer.exists() and layer.stat().st_size:
                bulk_load_file(store, layer, ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(graph))
    report.seconds = time.perf_counter() - started
    return report


def corpus_pass(
    corpus, rules: list[Rule], announce=None, jobs: int | None = None, *, prefer_last: bool = False
) -> LinkReport:
    """Run the corpus rules of `rules` over `corpus` (a kg.corpuspass.CorpusPass)."""
    from .facts import corpus_rules_of
    from .workers import default_jobs

    rules = corpus_rules_of(rules)  # page rules run on each page (kg.facts), not over a store
    report = LinkReport()
    started = time.perf_counter()
    spans = run_plan(plan(rules), corpus.run_step, announce, jobs or default_jobs(), prefer_last)
    report.timings = [(rule.filename, spans[rule.filename][1] - spans[rule.filename][0]) for rule in rules]
    report.counts = corpus.db.counts()
    report.seconds = time.perf_counter() - started
    return report


def run_plan(
    planned: list[PlannedStep],
    run_step: Callable[[int, PlannedStep], None],
    announce: Callable[[str], None] | None,
    jobs: int,
    prefer_last: bool,
) -> dict[str, list[float]]:
    """Run the planned steps (`run_step(index, step)`) on `jobs` threads (DuckDB and Oxigraph
    evaluate a query without holding Python's lock, so two queries use two cores); return
    each rule's first start and last end.

    With one job the steps run in file order; with `prefer_last`, the last ready step
    always goes first instead: another order the same plan allows, which must make the
    same layer. After a failure no step starts, the running ones finish, and the first
    failure is raised.
    """
    order = list(dict.fromkeys(item.rule.filename for item in planned))
    steps_left = {name: sum(1 for item in planned if item.rule.filename == name) for name in order}
    rules_done = 0
    spans: dict[str, list[float]] = {}

    def run(index: int) -> None:
        item = planned[index]
        began = time.perf_counter()
        run_step(index, item)
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
