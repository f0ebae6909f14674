"""Corpus rules in SQL: a `.sql` rule file runs in DuckDB over tables it reads from the corpus store.

Some corpus rules rank or count over the whole corpus (rule 80 ranks every area's overlaps
with every other area); Oxigraph evaluates such a query one row at a time, DuckDB on
columns in parallel. A `.sql` rule keeps the rule text readable and replaceable like a
`.ru` rule (same header lines, as `--` comments; `kg link --rules DIR` and `--skip`):

- `sparql($$ SELECT ... $$)` in a statement is the table the SPARQL SELECT gives over the
  corpus store as it is when the rule starts (kg's prefixes declared, single-valued
  settings written in as in a `.ru` rule), one VARCHAR column per variable, each value as
  the SPARQL CSV results format gives it (an IRI or a literal's text; unbound is '');
- `$name` is the setting `kg:name` of `00-settings.ru` when it has one value (an integer
  as a number, anything else as its text), NULL when it has none;
- the macros `iri(text)`, `literal(text)` and `integer_literal(number)` make N-Triples terms;
- the last statement is a SELECT with the columns `subject`, `predicate`, `object`, each
  an N-Triples term: one triple per row (a row with a NULL is left out, as a CONSTRUCT
  leaves out a triple with an unbound term), bulk-loaded into the concept graph.

DuckDB runs in memory with a memory limit, spilling to the build's scratch folder beyond
it, and without its extensions, so a rule never reaches the network.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pyoxigraph as ox

from .errors import RuleError
from .namespaces import KG
from .offline import FetchRefused, refuse_fetching
from .results import QUERY_PREFIXES
from .sparql import syntax_error

SQL_SUFFIX = ".sql"
# What one rule's DuckDB may hold before it spills to disk.
MEMORY_LIMIT = "512MB"
_SPARQL_INPUT = re.compile(r"\bsparql\(\s*\$\$(.*?)\$\$\s*\)", re.DOTALL | re.IGNORECASE)
_XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
_MACROS = (
    "CREATE MACRO iri(value) AS '<' || value || '>'",
    "CREATE MACRO integer_literal(value) AS '\"' || CAST(value AS VARCHAR) || '\"^^<" + _XSD_INTEGER + ">'",
    "CREATE MACRO literal(value) AS '\"' || replace(replace(replace(replace(value, '\\', '\\\\'), '\"', '\\\"'),"
    " chr(10), '\\n'), chr(13), '\\r') || '\"'",
)


def header_text(text: str) -> str:
    """A `.sql` rule's text with its `--` comment lines written as `#` lines, the form
    `parse_header` and the step comments (`# after:`) read."""
    return "\n".join("#" + line[2:] if line.startswith("--") else line for line in text.splitlines())


def sparql_inputs(text: str) -> list[str]:
    """The SPARQL SELECT queries a `.sql` rule reads through `sparql($$ ... $$)`."""
    return [match.group(1) for match in _SPARQL_INPUT.finditer(text)]


def check(origin: str, text: str) -> None:
    """Fail on a SPARQL input that would fetch, before anything runs."""
    for query in sparql_inputs(text):
        try:
            refuse_fetching(query)
        except FetchRefused as exc:
            raise RuleError(f"{origin}: {exc}") from None


def settings_values(store: ox.Store, graph: str) -> dict[str, object]:
    """The settings with exactly one value, by local name: an integer as int, else the text."""
    rows = store.query(
        f"SELECT ?p (COUNT(?v) AS ?n) (SAMPLE(?v) AS ?value) WHERE {{ GRAPH <{graph}> {{ <{KG.settings}> ?p ?v }} }} "
        "GROUP BY ?p"
    )
    values: dict[str, object] = {}
    for row in rows:
        name, value = row["p"].value, row["value"]
        if not name.startswith(str(KG)) or int(row["n"].value) != 1:
            continue
        integer = isinstance(value, ox.Literal) and value.datatype.value == _XSD_INTEGER
        values[name.removeprefix(str(KG))] = int(value.value) if integer else value.value
    return values


def run_sql_rule(
    store: ox.Store,
    origin: str,
    text: str,
    sparql_settings,
    settings: dict[str, object],
    workdir: Path,
    triples_file: Path,
    threads: int = 2,
) -> None:
    """Run the `.sql` rule `text` over `store`; write the triples it makes to `triples_file`."""
    import duckdb

    workdir.mkdir(parents=True, exist_ok=True)
    inputs: list[Path] = []

    def read_input(match: re.Match) -> str:
        query = sparql_settings(match.group(1))
        path = workdir / f"input-{len(inputs)}.csv"
        try:
            solutions = store.query(query, prefixes=QUERY_PREFIXES)
        except SyntaxError as exc:
            raise RuleError(f"{origin}: {syntax_error(exc, query)}") from None
        if not isinstance(solutions, ox.QuerySolutions):
            raise RuleError(f"{origin}: sparql($$ ... $$) takes a SELECT query")
        columns = ", ".join(f"'{variable.value}': 'VARCHAR'" for variable in solutions.variables)
        solutions.serialize(path, format=ox.QueryResultsFormat.CSV)
        inputs.append(path)
        options = "header = true, auto_detect = false, quote = '\"', escape = '\"'"
        return f"read_csv('{path}', {options}, columns = {{{columns}}})"

    sql = _SPARQL_INPUT.sub(read_input, text)
    connection = duckdb.connect(
        config={
            "threads": max(1, threads),
            "memory_limit": MEMORY_LIMIT,
            "temp_directory": str(workdir / "spill"),
            "preserve_insertion_order": False,
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        }
    )
    try:
        for macro in _MACROS:
            connection.execute(macro)
        try:
            statements = duckdb.extract_statements(sql)
        except duckdb.Error as exc:
            raise RuleError(f"{origin}: {exc}") from None
        if not statements or statements[-1].type != duckdb.StatementType.SELECT:
            raise RuleError(f"{origin}: the last statement must be a SELECT of subject, predicate, object")
        *before, last = statements
        try:
            for statement in before:
                connection.execute(statement.query, _parameters(statement, settings))
            made = last.query.strip().rstrip(";")
            target = str(triples_file).replace("'", "''")
            connection.execute(
                f"COPY (SELECT concat_ws(' ', subject, predicate, object, '.') FROM ({made}) "
                "WHERE subject IS NOT NULL AND predicate IS NOT NULL AND object IS NOT NULL) "
                f"TO '{target}' (FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\t')",
                _parameters(last, settings),
            )
        except duckdb.Error as exc:
            raise RuleError(f"{origin}: the rule failed: {exc}") from None
    finally:
        connection.close()
        shutil.rmtree(workdir, ignore_errors=True)


def _parameters(statement, settings: dict[str, object]) -> dict[str, object]:
    return {name: settings.get(name) for name in statement.named_parameters}
