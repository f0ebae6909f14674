"""`kg build` and `kg link`: build a corpus, or derive its concept layer again, with progress and a summary."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..config import BuildConfig
from .common import main, output_option, user_errors

MAX_SHOWN_WARNINGS = 20


MAX_SHOWN_ERRORS = 200


def _context_mapping(ctx, param, values):
    mapping = {}
    for value in values:
        url, sep, file = value.partition("=")
        if not sep or not url or not file:
            raise click.BadParameter(f"{value!r} is not URL=FILE", ctx=ctx, param=param)
        mapping[url] = Path(file)
    return mapping


class _Stages:
    """A progress bar for each long stage, labelled by the stage announced last.

    Bars are drawn on a terminal only; in a pipe or a CI log the stages are plain lines
    (and the first stage, reading, keeps the one line click prints for a bar there).
    """

    def __init__(self, first: str | None) -> None:
        self.bar = None
        self.label = first
        self.first = first is not None
        self.terminal = sys.stderr.isatty()

    def progress(self, done: int, total: int) -> None:
        if self.bar is None:
            if not (self.terminal or self.first) or not total:
                return
            self.bar = click.progressbar(length=total, label=self.label or "", file=sys.stderr)
            self.bar.__enter__()
            self.first = False
        self.bar.update(max(done - self.bar.pos, 0))

    def announce(self, stage: str) -> None:
        self.close()  # the bar's line ends before the next stage begins
        self.first = False
        self.label = stage
        click.echo(stage, err=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@main.command()
@click.argument("sources", nargs=-1)
@output_option
@click.option(
    "--context",
    "contexts",
    multiple=True,
    callback=_context_mapping,
    metavar="URL=FILE",
    help="Use a local file for a remote @context (repeatable; a URL ending in / maps a folder).",
)
@click.option(
    "--allow-remote-contexts",
    is_flag=True,
    help="Fetch remote @contexts that are not mapped (off by default: builds are offline).",
)
@click.option(
    "--allow-context-host",
    "context_hosts",
    multiple=True,
    metavar="HOST",
    help="With --allow-remote-contexts: fetch from this host though it is not public "
    "(loopback, private, link-local addresses are refused otherwise). Repeatable.",
)
@click.option("--base-url", metavar="URL", help="Place pages that name no URL of their own under this URL.")
@click.option("--allow-errors", is_flag=True, help="Exit 0 even when some pages failed (they are still reported).")
@click.option(
    "--page-timeout",
    type=click.FloatRange(0),
    default=30.0,
    show_default=True,
    metavar="SECONDS",
    help="Stop converting a page after this long and report it (0: no limit).",
)
@click.option("--full", is_flag=True, help="Read every file again, even those unchanged since the last build.")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(1),
    help="Worker processes for large corpora, and rule steps run at once (default: up to 2).",
)
@click.option("-v", "--verbose", is_flag=True, help="Show every warning, not only the first few.")
@click.option(
    "--engine",
    type=click.Choice(["local", "spark"]),
    default="local",
    show_default=True,
    help="spark: convert the pages on Apache Spark (pip install 'kg[spark]'); always a full build.",
)
@click.option(
    "--master", default="local[*]", show_default=True, metavar="URL", help="With --engine spark: the Spark master."
)
@click.option(
    "--no-store",
    is_flag=True,
    help="With --engine spark: write the part files and the concept layer as N-Quads, for a store elsewhere.",
)
@user_errors
def build(
    sources,
    output,
    contexts,
    allow_remote_contexts,
    context_hosts,
    base_url,
    allow_errors,
    page_timeout,
    full,
    jobs,
    verbose,
    engine,
    master,
    no_store,
):
    """Build SOURCES (files, folders, globs; default: the bundled example) into the build folder.

    \b
    Example:
        kg build ../shared/seeds -o output
    Each page becomes a named graph (its IRI is the page URL) with a provenance
    record; the store is replaced only when the build completes. A second build
    into the same folder reads only the files that changed (--full reads all).
    """
    from ..build import build as run_build

    config = BuildConfig(
        page_seconds=page_timeout,
        output=output,
        context_files=contexts,
        allow_remote_contexts=allow_remote_contexts,
        context_hosts=frozenset(host.lower().strip("[]") for host in context_hosts),
        base_url=base_url,
    )
    stages = _Stages("building")
    if engine != "spark" and (no_store or master != "local[*]"):
        raise click.UsageError("--master and --no-store go with --engine spark")
    try:
        if engine == "spark":
            from ..spark import spark_build

            report = spark_build(
                list(sources) or None, config, master=master, store=not no_store, announce=stages.announce, jobs=jobs
            )
        else:
            report = run_build(
                list(sources) or None, config, progress=stages.progress, announce=stages.announce, full=full, jobs=jobs
            )
    finally:
        stages.close()

    shown = {"error": 0, "warning": 0}
    limits = {"error": None if verbose else MAX_SHOWN_ERRORS, "warning": None if verbose else MAX_SHOWN_WARNINGS}
    for level, message in report.messages():
        shown[level] += 1
        if limits[level] is None or shown[level] <= limits[level]:
            click.echo(f"{level}: {message}", err=True)
    hidden = [
        f"{shown[level] - limit} more {level}s" for level, limit in limits.items() if limit and shown[level] > limit
    ]
    if hidden:
        click.echo(f"... {' and '.join(hidden)} (-v shows them all)", err=True)
    if verbose:
        for name, why in report.skipped_files:
            click.echo(f"skipped: {name} ({why})", err=True)
    click.echo(report.summary(), err=True)
    for line in report.skipped_summary():
        click.echo(line, err=True)
    click.echo(report.details(), err=True)
    if verbose:
        for stage, seconds in report.timings.items():
            click.echo(f"stage {stage}: {seconds:.2f} s", err=True)
    if report.committed and (shown["error"] or shown["warning"]):
        where = "" if output == Path("output") else f" -o {output}"
        click.echo(f"every warning and error, by page: kg query problems{where}", err=True)
    for path in report.exports:
        click.echo(f"wrote {path}", err=True)
    for path in report.kept:
        click.echo(f"kept {path} (up to date)", err=True)
    sys.exit(report.exit_code(allow_errors=allow_errors))


@main.command("link")
@output_option
@click.option("--skip", multiple=True, metavar="RULE", help="Leave out a rule by name (label-containment); repeatable.")
@click.option(
    "--rules",
    "rules_dir",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="A folder of .ru (SPARQL) or .sql (DuckDB) rule files: each replaces the shipped rule of "
    "the same name (an empty file switches it off), the others run in file-name order among them.",
)
@click.option("--list", "list_only", is_flag=True, help="List the rules in the order they run, and stop.")
@click.option(
    "-j", "--jobs", type=click.IntRange(1), help="Rule steps run at once, and export workers (default: up to 2)."
)
@click.option("-v", "--verbose", is_flag=True, help="Say which rule finishes as it does; then how long each took.")
@user_errors
def link_command(output, skip, rules_dir, list_only, jobs, verbose):
    """Derive the concept layer again from the pages in the store, with the rules of queries/rules/.

    \b
    Example:
        kg link --skip label-containment
    `kg build` runs the same rules; `kg link` reruns them on an existing build
    (after you change a rule or its settings) and rewrites the build's exports.
    """
    from ..relink import relink
    from ..rules import load_rules

    if list_only:
        for rule in load_rules(rules_dir, skip=skip):
            click.echo(f"{rule.filename:28} {rule.title}")
        return
    stages = _Stages(None)
    try:
        report = relink(
            output,
            rules_dir=rules_dir,
            skip=skip,
            announce=stages.announce if verbose else None,
            progress=stages.progress,
            jobs=jobs,
        )
    finally:
        stages.close()
    if verbose:
        for filename, seconds in report.timings:
            click.echo(f"{filename:28} {seconds * 1000:8.1f} ms", err=True)
    click.echo(report.summary(), err=True)
