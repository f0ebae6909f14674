"""Run the corpus rules over the corpus tables: SQL rules in DuckDB, SPARQL rules on an Oxigraph copy.

The facts are loaded once into DuckDB (kg.corpusdb). A `.sql` rule reads them there and
its triples go into the `layer` table. A `.ru` rule (a user's own, or a shipped rule's
SPARQL text copied into a `--rules` folder) needs a SPARQL store: the first one to run makes
an Oxigraph copy of the tables (the facts, the settings, the layer so far), and from then on
every step's triples reach both, so each engine sees what the other made. With only SQL
rules (the shipped ones) no Oxigraph store is made at all.

The settings rule (SPARQL Update that writes the settings graph) runs on a small store of
its own; an update that writes anything else runs on the copy, and the tables are read back
from it.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
from pathlib import Path

import duckdb
import pyoxigraph as ox

from .corpusdb import LAYER_GRAPHS, CorpusDB, new_rows
from .errors import RuleError
from .results import QUERY_PREFIXES
from .rules import SCRATCH_GRAPH, PlannedStep, Rule, Step, single_settings, with_settings
from .sparql import syntax_error
from .store import bulk_load_file, release_memory

# A bulk load writes new files and costs ~50 ms however little it loads; below this size
# an ordinary transaction is quicker.
_BULK_LOAD_FROM_BYTES = 256 * 1024
_GRAPH_NAMED = re.compile(r"\bGRAPH\s+(\S+)", re.IGNORECASE)
_SCRATCH_NAMES = {"kgg:link-scratch", f"<{SCRATCH_GRAPH}>"}


def writes_settings_only(text: str) -> bool:
    """Whether a SPARQL Update only writes data into the settings graph (reads nothing)."""
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    named = set(_GRAPH_NAMED.findall(code))
    return bool(named) and named <= _SCRATCH_NAMES and not re.search(r"\bWHERE\b", code, re.IGNORECASE)


class CorpusPass:
    """The corpus tables of one pass (`db`, a CorpusDB holding every page's facts and the
    provenance graph), and the steps that run over them. `on_disk`: the Oxigraph copy, if
    one is needed, is made on disk in `workdir`.
    """

    def __init__(self, db: CorpusDB, workdir: Path, *, on_disk: bool = False) -> None:
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.on_disk = on_disk
        self.db = db
        self.settings = ox.Store()  # the settings graph, which the settings rule writes
        self.copy: ox.Store | None = None  # the Oxigraph copy, once a SPARQL step needs it
        self.writing = threading.Lock()

    def close(self) -> None:
        self.db.close()
        self.copy = None
        release_memory()

    def __enter__(self) -> CorpusPass:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # the steps
    def run_step(self, index: int, item: PlannedStep) -> None:
        rule, step = item.rule, item.step
        triples = self.workdir / f"step-{index}.nt"
        text = step.text
        try:
            if step.engine == "sql":
                self._sql(rule, step, triples)
            elif step.graph is None:
                text = with_settings(step.text, single_settings(self.settings))
                self._update(text)
            else:
                settings = single_settings(self.settings)
                text = with_settings(step.text, settings)
                parts = [with_settings(text, {"partition": partition}) for partition in step.partitions()]
                self._construct(parts or [text], step.graph, triples)
        except SyntaxError as exc:
            raise RuleError(f"{rule.origin}: {syntax_error(exc, text)}") from None
        except (OSError, duckdb.Error) as exc:
            raise RuleError(f"{rule.origin}: the rule failed: {str(exc).splitlines()[0]}") from None
        finally:
            triples.unlink(missing_ok=True)
            release_memory()

    def _update(self, text: str) -> None:
        if writes_settings_only(text):
            with self.writing:
                self.settings.update(text, prefixes=QUERY_PREFIXES)
                if self.copy is not None:
                    self.copy.update(text, prefixes=QUERY_PREFIXES)
        else:
            copy = self.sparql_store()
            with self.writing:
                copy.update(text, prefixes=QUERY_PREFIXES)
                self.settings = ox.Store()
                scratch = ox.NamedNode(SCRATCH_GRAPH)
                self.settings.extend(copy.quads_for_pattern(None, None, None, scratch))
                self.db.replace_layer(copy)
        self.db.set_settings(self.settings, SCRATCH_GRAPH)

    def _construct(self, texts: list[str], graph: str, triples: Path) -> None:
        copy = self.sparql_store()
        construct(copy, texts, triples)
        self._add(triples, graph)

    def _add(self, triples: Path, graph: str, *, to_copy: bool = True) -> None:
        """The triples a step made (an N-Triples file) into `graph` of the tables and of the copy."""
        size, name = triples.stat().st_size, ox.NamedNode(graph)
        if not size:
            return
        with self.writing:
            if graph == SCRATCH_GRAPH:
                self.settings.load(path=triples, format=ox.RdfFormat.N_TRIPLES, to_graph=name, lenient=True)
            else:
                self.db.add_triples(triples, graph)
            if to_copy and self.copy is not None:
                if size > _BULK_LOAD_FROM_BYTES:
                    bulk_load_file(self.copy, triples, ox.RdfFormat.N_TRIPLES, to_graph=name, lenient=True)
                else:
                    self.copy.load(path=triples, format=ox.RdfFormat.N_TRIPLES, to_graph=name, lenient=True)
        if graph == SCRATCH_GRAPH:
            self.db.set_settings(self.settings, SCRATCH_GRAPH)

    def _sql(self, rule: Rule, step: Step, triples: Path) -> None:
        from .sqlrules import run_sql_rule, settings_values

        cursor, schema = self.db.cursor()
        try:
            settings = single_settings(self.settings)
            made = run_sql_rule(
                cursor,
                rule.origin,
                step.text,
                lambda query: self._select(rule.origin, with_settings(query, settings)),
                settings_values(self.settings, SCRATCH_GRAPH),
                default_graph=step.graph,
            )
            # Compared only with the layer's rows of the predicates the rule made: most rules
            # make predicates no rule before them did, and the layer is millions of rows.
            predicates = [row[0] for row in cursor.execute(f"SELECT DISTINCT predicate FROM {made}").fetchall()]
            with self.writing:
                rows = f"SELECT graph AS g, subject AS s, predicate AS p, object AS o FROM {made}"
                cursor.execute(f"INSERT INTO main.layer {new_rows(rows, predicates)}", [predicates])
            if self.copy is not None:
                for graph in LAYER_GRAPHS:
                    self._copy_rows(cursor, made, graph, triples)
        finally:
            cursor.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            cursor.close()

    def _copy_rows(self, cursor, made: str, graph: str, triples: Path) -> None:
        name = str(triples).replace("'", "''")
        cursor.execute(
            f"COPY (SELECT concat_ws(' ', subject, predicate, object, '.') FROM {made} WHERE graph = '<{graph}>')"
            f" TO '{name}' (FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\t')"
        )
        self._add_to_copy(triples, graph)

    def _add_to_copy(self, triples: Path, graph: str) -> None:
        if triples.stat().st_size and self.copy is not None:
            with self.writing:
                bulk_load_file(self.copy, triples, ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(graph), lenient=True)
        triples.unlink(missing_ok=True)

    def _select(self, origin: str, query: str) -> Path:
        """What `sparql($$ query $$)` in a SQL rule reads: the SELECT's results over the copy, as CSV."""
        copy = self.sparql_store()
        handle, name = tempfile.mkstemp(suffix=".csv", dir=self.workdir)
        path = Path(name)
        try:
            solutions = copy.query(query, prefixes=QUERY_PREFIXES)
        except SyntaxError as exc:
            raise RuleError(f"{origin}: {syntax_error(exc, query)}") from None
        if not isinstance(solutions, ox.QuerySolutions):
            raise RuleError(f"{origin}: sparql($$ ... $$) takes a SELECT query")
        variables = [variable.value for variable in solutions.variables]
        with open(handle, "wb") as out:
            solutions.serialize(out, format=ox.QueryResultsFormat.CSV)
        return path, variables

    # the Oxigraph copy
    def sparql_store(self) -> ox.Store:
        """The Oxigraph copy of the tables, made the first time it is asked for."""
        with self.writing:
            if self.copy is None:
                copy = ox.Store(str(self.workdir / "sparql-store")) if self.on_disk else ox.Store()
                quads = self.workdir / "corpus.nq"
                self.db.write_quads(quads)
                bulk_load_file(copy, quads, ox.RdfFormat.N_QUADS)
                quads.unlink()
                copy.extend(self.settings)
                layer = self.workdir / "layer-so-far.nq"
                self.db.write_layer(layer)
                bulk_load_file(copy, layer, ox.RdfFormat.N_QUADS)
                layer.unlink()
                self.copy = copy
            return self.copy

    # what the pass made
    def write_layer(self, folder: Path) -> dict[str, int]:
        """Each layer graph's triples as N-Triples into `folder` (`concepts-layer.nt`,
        `statistics-layer.nt`, each triple once, unsorted); how many in each."""
        folder.mkdir(parents=True, exist_ok=True)
        return {
            graph: self.db.write_graph(graph, folder / f"{graph.rsplit(':', 1)[-1]}-layer.nt") for graph in LAYER_GRAPHS
        }


def construct(store: ox.Store, texts: list[str], triples_file: Path) -> None:
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
