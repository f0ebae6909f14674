"""The command-line interface: a thin shell that parses options, calls the library, and prints."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from . import __version__
from .config import BuildConfig
from .errors import KgError, disk_full
from .terminal import printable

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
        except (KgError, OSError) as exc:
            known = exc if isinstance(exc, KgError) else disk_full(exc)
            if known is None:
                raise
            error = click.ClickException(printable(str(known)))  # it may quote page text
            error.exit_code = known.exit_code
            raise error from None
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
    from .build import build as run_build

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
            from .spark import spark_build

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


def _format_help() -> str:
    from .export import EXPORTERS

    return "; ".join(f"{name}: {exporter.description}" for name, exporter in EXPORTERS.items())


class LazyHelpOption(click.Option):
    """An option whose help ends with text from a registry, read only when help is shown,
    so that `kg --help` loads no store."""

    def __init__(self, *args, help_tail, **kwargs):
        super().__init__(*args, **kwargs)
        self.help_tail = help_tail

    def get_help_record(self, ctx):
        if self.help_tail is not None:
            self.help, self.help_tail = f"{self.help} {self.help_tail()}", None
        return super().get_help_record(ctx)


class LazyChoice(click.Choice):
    """A choice among a registry's names, read when an option is parsed or shown."""

    def __init__(self, load, case_sensitive: bool = True):
        self._load = load
        self.case_sensitive = case_sensitive

    @property
    def choices(self):
        return tuple(self._load())


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
    from .export import export as run_export
    from .export import exporter
    from .folder import check_destination
    from .publish import export_turtle
    from .store import open_store
    from .workers import default_jobs

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


@main.command()
@output_option
@click.option(
    "--around",
    metavar="LABEL|IRI",
    help='Draw only the neighbourhood of this concept: its label, "Label (kind, site)", or its IRI.',
)
@click.option(
    "--depth",
    type=click.IntRange(min=0),
    default=2,
    show_default=True,
    help="With --around: how many relations away a concept may be.",
)
@click.option(
    "--max-nodes",
    type=click.IntRange(min=0),
    help="Draw the N most central concepts (PageRank) one by one, 0 all of them, instead of the overview "
    "of communities that a network of more than 500 concepts gets. The page says when it is cut.",
)
@click.option(
    "--to",
    "destination",
    type=click.Path(path_type=Path),  # a folder is refused by kg.folder, in one line
    help="Write the page here instead of OUTPUT/graph.html.",
)
@user_errors
def view(output, around, depth, max_nodes, destination):
    """Draw the concept network as one interactive HTML page that works offline.

    \b
    Example:
        kg view --around "Peer to Peer" --depth 2 --to p2p.html
        kg view --around https://crumbs.example/recipes/ --depth 1
    Hover a concept for its definition, click it to open its page; the search
    box finds a concept by label and the area menu shows one area. A network
    of more than 500 concepts opens as its communities: click one to open it.
    """
    from .view import write_view

    result = write_view(output, destination, around=around, depth=depth, max_nodes=max_nodes)
    if result.note:
        click.echo(result.note, err=True)
    if result.clusters:
        click.echo(
            f"wrote {result.path} (an overview of {result.nodes:,} concepts and {result.edges:,} relations: "
            f"{result.communities:,} communities, {result.clusters} clusters on the first screen); "
            f"open {result.path.resolve().as_uri()}",
            err=True,
        )
        return
    concepts = f"{result.nodes} concept{'' if result.nodes == 1 else 's'}"
    relations = f"{result.edges} relation{'' if result.edges == 1 else 's'}"
    click.echo(f"wrote {result.path} ({concepts}, {relations}); open {result.path.resolve().as_uri()}", err=True)


@main.command("path")
@output_option
@click.argument("source", metavar="FROM")
@click.argument("target", metavar="TO")
@click.option("--all", "all_shortest", is_flag=True, help="Print every shortest path, one a line.")
@user_errors
def path_command(output, source, target, all_shortest):
    """Print the shortest chain of relations between two concepts.

    FROM and TO are labels, matched case-insensitively, or concepts' IRIs; a
    unique prefix is enough, and "Label (kind)", "Label (site)", "Label (kind,
    site)" or the concept's IRI picks one of several concepts with the same
    label.

    \b
    Example:
        kg path "Peer to Peer" "Lightning Network"
        kg path "Brownies (crumbs.example)" https://crumbs.example/lemon-bars/
    """
    from .network import concept_paths, format_path, load_concepts

    table = load_concepts(output)
    first, last = table.find(source), table.find(target)
    # A networkx graph of the concepts on the shortest paths only, not of the whole network.
    graph = table.part(table.on_shortest_paths(first, last)).graph()
    start, end = table.nodes[first], table.nodes[last]
    paths = concept_paths(graph, start, end, all_shortest=all_shortest)
    for hops in paths:
        click.echo(printable(format_path(graph, hops) or graph.nodes[start]["label"]))
    hops = len(paths[0])
    shown = f"{len(paths)} shortest paths" if all_shortest else "shortest path"
    click.echo(f"{shown}: {hops} hop{'s' if hops != 1 else ''}", err=True)


@main.command()
@output_option
@click.option(
    "--top", type=click.IntRange(min=1), default=10, show_default=True, help="How many concepts and bridges to list."
)
@click.option(
    "--endpoint",
    metavar="URL",
    help="Read the concept layer from this SPARQL server (query endpoint) instead of the build folder.",
)
@user_errors
def stats(output, top, endpoint):
    """Summarize the concept network: kinds, central concepts, communities, bridges.

    \b
    Example:
        kg stats -o output --top 5
    PageRank and degree are computed on the undirected network; communities
    are Louvain communities (igraph's, seed 0, so runs agree; the clusters of
    `kg view`); a bridge is a
    relation between two communities.
    """
    from .network import summarize

    if endpoint:
        from .errors import EmptyNetwork
        from .network import read_concepts
        from .sparql_client import EndpointStore

        table = read_concepts(EndpointStore(endpoint))
        if not len(table):
            raise EmptyNetwork(f"the server at {endpoint} holds no concept layer (push a build to it with kg push)")
        analysis = None
    else:
        from .analysis import load_analysed

        table, analysis = load_analysed(output)
    click.echo(printable(summarize(table, top=top, analysis=analysis).report()))


def _result_formats() -> list[str]:
    from .query import RESULT_FORMATS

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

    from .query import (
        LibraryQuery,
        check_bindings,
        find_query,
        library,
        library_listing,
        parse_bindings,
        store_dir,
    )

    if list_only:
        click.echo(library_listing(library(queries_dir)))
        return
    if (name is None) == (expression is None):
        raise click.UsageError("give one query: a NAME from `kg query --list`, a FILE.rq, or -e 'SPARQL'")
    chosen = find_query(name, queries_dir) if expression is None else LibraryQuery.from_text("-e", expression, "-e")
    from .update import apply_update, is_update

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
    from .query_process import stream_query

    terms = parse_bindings(bindings)
    check_bindings(chosen, terms)
    terminal = sys.stdout.isatty()
    width = shutil.get_terminal_size().columns if terminal else None
    if endpoint:
        from .results import format_answer
        from .sparql_client import run_on_endpoint

        data = format_answer(run_on_endpoint(endpoint, chosen.text, terms, timeout=timeout), format_name, width=width)
        sys.stdout.buffer.write(printable(data.decode("utf-8", errors="replace")).encode() if terminal else data)
        sys.stdout.buffer.flush()
        return
    from .lookup import indexed_answer

    indexed = indexed_answer(output, chosen.origin, chosen.text, terms)
    if indexed is not None:  # the build's look-up index answered (see kg.lookup)
        from .results import format_answer

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
    from .link import load_rules, relink

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
    from .push import PushSettings, push
    from .sparql_client import RetryPolicy

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

    from .serve import ServeConfig, serve

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
