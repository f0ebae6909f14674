"""Build a corpus into a build folder: find, convert, load, derive the concept layer, publish, swap in.

The stages are modules of their own (sources, convert, load, layer, publish); this one
decides what an incremental build reads again and strings them together on a staging store.
"""

from __future__ import annotations

import time

import pyoxigraph as ox

from .config import BuildConfig
from .convert import convert_files
from .facts import PageRules, corpus_rules_of, store_pages
from .factstore import FactStore, store_token, write_store_token
from .folder import claim
from .incremental import (
    Outputs,
    PreviousPage,
    _unchanged,
    drop_pages,
    exports_unchanged,
    fingerprint,
    previous_pages,
    stored_fingerprint,
    stored_outputs,
    write_fingerprint,
)
from .layer import _timed, derive_layer, refresh_facts
from .load import _fill
from .publish import write_exports
from .report import Announce, BuildReport, Progress
from .sources import find_sources
from .store import (
    release_memory,
    staging,
    store_path,
    sweep_leftovers,
)
from .workers import default_jobs

# A build of this many files or more reports its progress: a bar while it reads them (the
# CLI's), then a line as each later stage starts, which at 100,000 pages take minutes each.
PROGRESS_FROM_FILES = 200


def build(
    sources: list[str] | None = None,
    config: BuildConfig | None = None,
    *,
    progress: Progress | None = None,
    announce: Announce | None = None,
    jobs: int | None = None,
    full: bool = False,
) -> BuildReport:
    """Build the corpus named by `sources` (default: the bundled example) into `config.output`.

    With a store already in the build folder the build is incremental (unchanged files are
    not read again) unless `full` is set or the settings changed. The previous store and
    exports stay untouched unless at least one page builds. `progress` hears of each file
    read, and `announce` of each stage after that, when the corpus is large.
    """
    config = config or BuildConfig()
    jobs = jobs or default_jobs()
    started = time.perf_counter()
    corpus = find_sources(sources)
    report = BuildReport(
        source_errors=list(corpus.problems), source_warnings=list(corpus.notes), skipped_files=list(corpus.ignored)
    )
    output = claim(config.output)  # before reading or writing anything there
    live = store_path(output)
    report.had_previous = live.is_dir()
    settings = fingerprint(config)
    previous: dict[str, list[PreviousPage]] | None = None
    facts_valid = False
    recorded: Outputs | None = None
    if report.had_previous and not full:
        live_store = ox.Store.read_only(str(live))
        # Incremental only when the facts store is the one written with the live store.
        kept = FactStore.reader(output)
        kept_token = kept.token if kept is not None else None
        if kept is not None:
            kept.close()
        if stored_fingerprint(live_store) == settings:
            previous = previous_pages(live_store)
            recorded = stored_outputs(live_store)
            # Facts written with another store (an update changed pages since, or a kill
            # came between the two commits) are derived again, from the store's pages.
            facts_valid = bool(kept_token) and kept_token == store_token(live_store)
        del live_store
    files, to_drop, owners = corpus.files, [], {}
    if len(corpus.files) < PROGRESS_FROM_FILES:
        progress = announce = None
    if previous is not None:
        files, to_drop, owners = _unchanged(files, previous, report)
    from .link import clear_derived
    from .rules import load_rules, rules_digest

    rules = load_rules()
    rules_sha = rules_digest(rules)
    if (
        previous is not None
        and not files
        and not to_drop
        and report.built
        and recorded is not None
        and recorded.rules == rules_sha
        and exports_unchanged(output, recorded.exports)
    ):
        # Nothing to read, drop or derive, and the exports are what was written: the live
        # store and exports are already what this build would make.
        sweep_leftovers(output)
        report.nodes = recorded.nodes
        report.kept = [str(output / name) for name in sorted(recorded.exports)]
        report.committed = True
        report.seconds = time.perf_counter() - started
        return report
    page_rules = PageRules.from_rules(rules)
    timings = report.timings
    with staging(output, from_live=previous is not None) as stage:
        facts = FactStore.open(output)
        try:
            with _timed(timings, "drop changed pages"):
                if previous is None or not facts_valid:
                    facts.clear()
                if previous is not None and not facts_valid:
                    clear_derived(stage.store)  # the layer goes in whole, from facts made again
                if to_drop:
                    drop_pages(stage.store, to_drop)
                    facts.drop_pages(page.url for page in to_drop)
            results = convert_files(files, config, jobs, page_rules)
            try:
                with _timed(timings, "read, convert, page facts, load"):
                    built_now = _fill(stage, results, len(files), report, owners, progress, facts)
            finally:
                results.close()  # stops the worker pool now, whatever ended the loading
            release_memory()
            if report.built:
                write_fingerprint(stage.store, settings)
                if previous is not None and (not facts_valid or facts.get("page rules") != page_rules.digest):
                    with _timed(timings, "page facts again, from the store"):
                        again = [url for url in store_pages(stage.store) if url not in built_now]
                        report.facts_derived += refresh_facts(stage.store, facts, page_rules, announce, progress, again)
                facts.put("page rules", page_rules.digest)
                layer = derive_layer(
                    stage.store,
                    facts,
                    corpus_rules_of(rules),
                    full=previous is None or not facts_valid,
                    announce=announce,
                    progress=progress,
                    jobs=jobs,
                    timings=timings,
                    workdir=stage.folder,
                )
                report.layer = layer.counts()
                write_store_token(stage.store, facts.seal())
                with _timed(timings, "exports"):
                    written, report.nodes = write_exports(stage, rules_sha, announce, jobs, facts)
                report.exports += [str(output / filename) for filename in written]
                stage.commit()
                facts.commit()
                report.committed = True
            else:
                facts.rollback()
        except BaseException:
            facts.rollback()
            raise
    report.seconds = time.perf_counter() - started
    return report
