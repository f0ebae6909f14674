"""`kg view`, `kg path` and `kg stats`: the concept network drawn, walked and summarized."""

from __future__ import annotations

from pathlib import Path

import click

from ..terminal import printable
from .common import main, output_option, user_errors


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
    from ..view import write_view

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
    from ..network.paths import concept_paths, format_path
    from ..network.read import load_concepts

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
    from ..network.stats import summarize

    if endpoint:
        from ..errors import EmptyNetwork
        from ..network.read import read_concepts
        from ..sparql_client import EndpointStore

        table = read_concepts(EndpointStore(endpoint))
        if not len(table):
            raise EmptyNetwork(f"the server at {endpoint} holds no concept layer (push a build to it with kg push)")
        analysis = None
    else:
        from ..analysis import load_analysed

        table, analysis = load_analysed(output)
    click.echo(printable(summarize(table, top=top, analysis=analysis).report()))
