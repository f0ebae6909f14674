"""`kg serve` and `kg push`: the graph for others, over HTTP or sent to a SPARQL server."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .common import main, output_option, user_errors


@main.command("push")
@output_option
@click.option("--to", "to", required=True, metavar="URL", help="The server's Graph Store Protocol URL.")
@click.option("--replace", is_flag=True, help="Replace each graph on the server (default: add to it).")
@click.option(
    "--batch-bytes",
    type=click.IntRange(min=1000),
    default=4_000_000,
    show_default=True,
    help="Largest request: a graph larger than this goes in several.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    default=60,
    show_default=True,
    metavar="SECONDS",
    help="Wait this long for each answer before trying again; 0 waits for ever.",
)
@click.option(
    "--retries",
    type=click.IntRange(min=0),
    default=4,
    show_default=True,
    help="Tries after the first for a failed request, waiting 1, 2, 4... s between them.",
)
@user_errors
def push_command(output, to, replace, batch_bytes, timeout, retries):
    """Send every named graph of the build (pages, provenance, concepts, statistics) to a SPARQL server.

    \b
    Example:
        kg push -o output --to http://127.0.0.1:7878/store
    The server speaks the SPARQL 1.1 Graph Store Protocol. Credentials come from
    KG_SPARQL_USER and KG_SPARQL_PASSWORD or a netrc file, never from the command
    line. An interrupted push, run again, sends only what was not acknowledged.
    """
    from ..push import PushSettings, push
    from ..sparql_client import RetryPolicy

    settings = PushSettings(to, replace=replace, batch_bytes=batch_bytes, policy=RetryPolicy(timeout, retries))
    report = push(output, settings)
    click.echo(report.summary(to), err=True)


@main.command("serve")
@output_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback unless named).")
@click.option("--port", type=click.IntRange(0, 65535), default=7878, show_default=True, help="Port to listen on.")
@click.option("--cors", is_flag=True, help="Let pages from any origin query the endpoint (CORS headers).")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    default=30,
    show_default=True,
    metavar="SECONDS",
    help="Stop a SPARQL query that runs longer than this (503); 0 for no limit.",
)
@click.option(
    "--max-rows",
    type=click.IntRange(min=0),
    default=100_000,
    show_default=True,
    help="Cut a result at this many rows or triples, saying so in a response header; 0 for no cap.",
)
@click.option(
    "--queries",
    "queries_dir",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="A folder of your own .rq files for /queries; one named like a shipped query replaces it.",
)
@user_errors
def serve_command(output, host, port, cors, timeout, max_rows, queries_dir):
    """Serve the graph read-only: SPARQL at /sparql, the query library at /queries, concepts at /.

    \b
    Example:
        kg serve -o output --port 7878
        curl 'http://127.0.0.1:7878/queries/search?text=state%20channel'
    A `kg build` into the same folder is served once it is committed.
    """
    import logging

    from ..serve import ServeConfig, serve

    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    logging.getLogger("kg.serve").setLevel(logging.INFO)
    serve(
        ServeConfig(
            output=output,
            host=host,
            port=port,
            cors=cors,
            timeout=timeout,
            max_rows=max_rows or None,
            queries_dir=queries_dir,
        )
    )
