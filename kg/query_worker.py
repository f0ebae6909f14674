"""The child process that runs one query for `kg query`, so a query past its time limit can be killed.

pyoxigraph cannot interrupt a running query (it does not even check for signals), so
kg.query runs this file's source with `python -c` in a child process it can terminate.
It imports nothing but the standard library and pyoxigraph, which keeps the start-up
cost to a few tens of milliseconds.

Protocol: the request is one JSON object on stdin ({"store", "query", "prefixes",
"bindings": {name: N-Triples term}}, and optionally "results" and "rdf": the file
extensions of the formats to write, and "rdf_prefixes"). The reply on stdout is one JSON
header line, then the results as Oxigraph serializes them, row by row, never held whole:
{"kind": "select" | "ask"} then SPARQL results (JSON by default), {"kind": "graph"} then
RDF (N-Triples by default); or {"error": "syntax" | "store" | "query", "message": ...}
alone. A failure after the header is one such JSON line on stderr, and exit code 1.
"""

import sys

# `python -c` puts the working directory first on sys.path; a json.py there must not win.
sys.path[:] = [entry for entry in sys.path if entry not in ("", ".")]

import json  # noqa: E402

import pyoxigraph as ox  # noqa: E402


def _term(text: str):
    """Parse one N-Triples term by parsing a one-triple document around it."""
    quads = list(ox.parse(f"<urn:kg:s> <urn:kg:p> {text} .".encode(), ox.RdfFormat.N_TRIPLES))
    return quads[0].object


def _reply(header: dict, body: bytes = b"") -> None:
    out = sys.stdout.buffer
    out.write(json.dumps(header).encode() + b"\n")
    out.write(body)
    out.flush()


def main() -> int:
    request = json.loads(sys.stdin.buffer.read())
    try:
        store = ox.Store.read_only(request["store"])
    except OSError as exc:
        _reply({"error": "store", "message": str(exc)})
        return 0
    substitutions = {ox.Variable(name): _term(value) for name, value in request.get("bindings", {}).items()}
    try:
        result = store.query(
            request["query"],
            use_default_graph_as_union=True,
            prefixes=request.get("prefixes") or None,
            substitutions=substitutions or None,
        )
    except SyntaxError as exc:
        _reply({"error": "syntax", "message": str(exc)})
        return 0
    except (OSError, ValueError, TypeError, RuntimeError) as exc:
        _reply({"error": "query", "message": str(exc)})
        return 0
    out = sys.stdout.buffer
    try:
        if isinstance(result, ox.QueryTriples):
            _reply({"kind": "graph"})
            rdf = ox.RdfFormat.from_extension(request.get("rdf") or "nt")
            ox.serialize(result, out, rdf, prefixes=request.get("rdf_prefixes") or None)
        else:
            _reply({"kind": "ask" if isinstance(result, ox.QueryBoolean) else "select"})
            result.serialize(out, ox.QueryResultsFormat.from_extension(request.get("results") or "srj"))
        out.flush()
    except BrokenPipeError:  # the reader stopped reading (a pipe into `head`): nothing more to say
        return 0
    except (OSError, ValueError, TypeError, RuntimeError) as exc:
        sys.stderr.write(json.dumps({"error": "query", "message": str(exc)}) + "\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
