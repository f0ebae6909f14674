"""`kg query` and `kg export`: ask the graph, or write it in a standard format."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..terminal import printable
from .common import LazyChoice, LazyHelpOption, main, output_option, user_errors


def _format_help() -> str:
    from ..export import EXPORTERS

    return "; ".join(f"{name}: {exporter.description}" for name, exporter in EXPORTERS.items())


@main.command()
@output_option
@click.option(
    "-f",
    "--format",
    "format_name",
    default="turtle",
    show_default=True,
    metavar="FORMAT",
    cls=LazyHelpOption,
    help="Export format.",
    help_tail=_format_help,
)
@click.option("--graph", metavar="PAGE_URL", help="Export only the named graph of this page.")
@click.option(
    "--to",
    "destination",
    metavar="FILE",
    help="Write here ('-' for standard output); default: a file in the build folder.",
)
@user_errors
def export(output, format_name, graph, destination):
    """Export the store of the build folder in a standard format.

    \b
    Example:
        kg export -f trig --graph https://term.greeks.live/area/peer-to-peer/ --to -
    """
    from ..export import export as run_export
    from ..export import exporter
    from ..folder import check_destination
    from ..publish import export_turtle
    from ..store import open_store
    from ..workers import default_jobs

    chosen = exporter(format_name)
    store = open_store(output)
    parallel = {"workdir": output, "jobs": default_jobs()}
    # The merged Turtle comes from the pieces the build kept, as graph.ttl does (kg.publish).
    pieces = chosen.name == "turtle" and graph is None
    if destination == "-":
        if not pieces or export_turtle(output, store, sys.stdout.buffer) is None:
            run_export(store, chosen.name, sys.stdout.buffer, graph=graph, **parallel)
        sys.stdout.buffer.flush()
        return
    path = check_destination(output, destination) if destination else output / chosen.filename
    if not pieces or export_turtle(output, store, path) is None:
        run_export(store, chosen.name, path, graph=graph, **parallel)
    click.echo(f"wrote {path} ({path.stat().st_size} bytes)", err=True)


def _result_formats() -> list[str]:
    from ..results import RESULT_FORMATS

    return list(RESULT_FORMATS)


@main.command("query")
@click.argument("name", required=False, metavar="[NAME|FILE.rq]")
@output_option
@click.option("-e", "--expression", metavar="SPARQL", help="Run this SPARQL text instead of a named query.")
@click.option(
    "-f",
    "--format",
    "format_name",
    type=LazyChoice(_result_formats),
    metavar="FORMAT",
    help="SELECT/ASK: table (default), csv, tsv, json, xml (the W3C result formats). "
    "CONSTRUCT/DESCRIBE: turtle (default), ntriples, nquads, trig, jsonld, rdfxml.",
)
@click.option(
    "--bind",
    "bindings",
    multiple=True,
    metavar="NAME=VALUE",
    help="Give a parameter a value: an IRI (<...>, https://..., skos:Concept) or else a literal; "
    'a quoted value is a Turtle literal ("5"^^xsd:integer). Repeatable.',
)
@click.option("--list", "list_only", is_flag=True, help="List the query library: names, descriptions, parameters.")
@click.option(
    "--queries",
    "queries_dir",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="A folder of your own .rq files; one named like a shipped query replaces it.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    default=60,
    show_default=True,
    metavar="SECONDS",
    help="Stop a query that runs longer than this; 0 for no limit.",
)
@click.option(
    "--update",
    is_flag=True,
    help="Run a SPARQL update (INSERT, DELETE...) on the store; without it kg query only reads.",
)
@click.option(
    "--endpoint",
    metavar="URL",
    help="Ask this SPARQL server (its query endpoint) instead of the build folder's store; "
    "credentials from KG_SPARQL_USER/KG_SPARQL_PASSWORD or netrc.",
)
@user_errors
def query_command(name, output, expression, format_name, bindings, list_only, queries_dir, timeout, update, endpoint):
    """Ask the knowledge graph: a query of the library by NAME, a FILE.rq, or -e SPARQL.

    \b
    Example:
        kg query definitions-of --bind 'area=Peer to Peer' -f csv
    Every graph is the default graph, and kg's prefixes are declared (schema:,
    skos:, kg:, kgg: ...); the concept layer is the graph kgg:concepts.
    `kg query --list` shows the library.
    """
    import shutil

    from ..library import LibraryQuery, check_bindings, find_query, library, library_listing
    from ..query import store_dir
    from ..sparql import parse_bindings

    if list_only:
        click.echo(library_listing(library(queries_dir)))
        return
    if (name is None) == (expression is None):
        raise click.UsageError("give one query: a NAME from `kg query --list`, a FILE.rq, or -e 'SPARQL'")
    chosen = find_query(name, queries_dir) if expression is None else LibraryQuery.from_text("-e", expression, "-e")
    from ..update import apply_update, is_update

    if update:
        if endpoint:
            raise click.UsageError("--update changes the build folder's store; it does not go with --endpoint")
        if bindings:
            raise click.UsageError("--bind works with queries, not with --update")
        changed = apply_update(output, chosen.text)
        click.echo(f"updated {output}/store: {changed.before} quads before, {changed.after} after", err=True)
        return
    if is_update(chosen.text):
        raise click.ClickException(
            "this is a SPARQL update, which would change the store; kg query only reads. "
            "Run it with --update if you mean to change the store."
        )
    from ..query_process import stream_query

    terms = parse_bindings(bindings)
    check_bindings(chosen, terms)
    terminal = sys.stdout.isatty()
    width = shutil.get_terminal_size().columns if terminal else None
    if endpoint:
        from ..results import format_answer
        from ..sparql_client import run_on_endpoint

        data = format_answer(run_on_endpoint(endpoint, chosen.text, terms, timeout=timeout), format_name, width=width)
        sys.stdout.buffer.write(printable(data.decode("utf-8", errors="replace")).encode() if terminal else data)
        sys.stdout.buffer.flush()
        return
    from ..lookup import indexed_answer

    indexed = indexed_answer(output, chosen.origin, chosen.text, terms)
    if indexed is not None:  # the build's look-up index answered (see kg.lookup)
        from ..results import format_answer

        data = format_answer(indexed, format_name, width=width)
        if terminal or format_name in (None, "table"):  # as stream_query writes them
            data = printable(data.decode("utf-8", errors="replace")).encode()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:  # the result goes out as it comes, escaped where a terminal would read it
        stream_query(
            store_dir(output),
            chosen.text,
            terms,
            sys.stdout.buffer,
            format_name=format_name,
            timeout=timeout,
            width=width,
            terminal=terminal,
        )
        sys.stdout.buffer.flush()
    except BrokenPipeError:  # `kg query ... | head`: the reader has what it wanted
        sys.stdout = None
