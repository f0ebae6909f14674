"""The command-line interface: a thin shell that parses options, calls the library, and prints."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from . import __version__
from .config import BuildConfig
from .errors import KgError

MAX_SHOWN_WARNINGS = 20
MAX_SHOWN_ERRORS = 200


def output_option(command):
    """-o/--output DIR: the build folder every command reads or writes."""
    return click.option(
        "-o",
        "--output",
        "output",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("output"),
        show_default=True,
        help="Build folder: holds the store and the generated files.",
    )(command)


def user_errors(command):
    """Turn the library's named errors into one-line messages (no tracebacks)."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except KgError as exc:
            raise click.ClickException(str(exc)) from None
        except KeyboardInterrupt:
            click.echo("interrupted; the previous build is intact", err=True)
            sys.exit(130)

    return wrapper


def _context_mapping(ctx, param, values):
    mapping = {}
    for value in values:
        url, sep, file = value.partition("=")
        if not sep or not url or not file:
            raise click.BadParameter(f"{value!r} is not URL=FILE", ctx=ctx, param=param)
        mapping[url] = Path(file)
    return mapping


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kg")
def main():
    """kg builds a knowledge graph from web pages that carry schema.org JSON-LD.

    \b
    kg build ../shared/seeds        # pages -> output/store and output/graph.ttl
    kg export -f trig --to -        # the store in a standard format
    """


@main.command()
@click.argument("sources", nargs=-1)
@output_option
@click.option("--context", "contexts", multiple=True, callback=_context_mapping, metavar="URL=FILE",
              help="Use a local file for a remote @context (repeatable; a URL ending in / maps a folder).")
@click.option("--allow-remote-contexts", is_flag=True, help="Fetch remote @contexts that are not mapped (off by default: builds are offline).")
@click.option("--base-url", metavar="URL", help="Place pages that name no URL of their own under this URL.")
@click.option("--allow-errors", is_flag=True, help="Exit 0 even when some pages failed (they are still reported).")
@click.option("-v", "--verbose", is_flag=True, help="Show every warning, not only the first few.")
@user_errors
def build(sources, output, contexts, allow_remote_contexts, base_url, allow_errors, verbose):
    """Build SOURCES (files, folders, globs; default: the bundled example) into the build folder.

    \b
    Example:
        kg build ../shared/seeds -o output
    Each page becomes a named graph (its IRI is the page URL) with a provenance
    record; the store is replaced only when the build completes.
    """
    from .build import build as run_build

    config = BuildConfig(output=output, context_files=contexts, allow_remote_contexts=allow_remote_contexts, base_url=base_url)
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if total < 200:
            return
        if bar is None:
            bar = click.progressbar(length=total, label="building", file=sys.stderr)
            bar.__enter__()
        bar.update(1)

    try:
        report = run_build(list(sources) or None, config, progress=progress)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)

    shown = {"error": 0, "warning": 0}
    limits = {"error": MAX_SHOWN_ERRORS, "warning": None if verbose else MAX_SHOWN_WARNINGS}
    for level, message in report.messages():
        shown[level] += 1
        if limits[level] is None or shown[level] <= limits[level]:
            click.echo(f"{level}: {message}", err=True)
    for level, limit in limits.items():
        if limit is not None and shown[level] > limit:
            click.echo(f"... {shown[level] - limit} more {level}s (use -v, or see the provenance graph)", err=True)
    click.echo(report.summary(), err=True)
    for path in report.exports:
        click.echo(f"wrote {path}", err=True)
    sys.exit(report.exit_code(allow_errors=allow_errors))


def _format_help() -> str:
    from .export import EXPORTERS

    return "; ".join(f"{name}: {exporter.description}" for name, exporter in EXPORTERS.items())


@main.command()
@output_option
@click.option("-f", "--format", "format_name", default="turtle", show_default=True, metavar="FORMAT",
              help="Export format. " + _format_help())
@click.option("--graph", metavar="PAGE_URL", help="Export only the named graph of this page.")
@click.option("--to", "destination", metavar="FILE", help="Write here ('-' for standard output); default: a file in the build folder.")
@user_errors
def export(output, format_name, graph, destination):
    """Export the store of the build folder in a standard format.

    \b
    Example:
        kg export -f trig --graph https://term.greeks.live/area/peer-to-peer/ --to -
    """
    from .export import export as run_export
    from .export import exporter
    from .store import open_store

    chosen = exporter(format_name)
    store = open_store(output)
    if destination == "-":
        run_export(store, chosen.name, sys.stdout.buffer, graph=graph)
        sys.stdout.buffer.flush()
        return
    path = Path(destination) if destination else output / chosen.filename
    run_export(store, chosen.name, path, graph=graph)
    click.echo(f"wrote {path} ({path.stat().st_size} bytes)", err=True)
