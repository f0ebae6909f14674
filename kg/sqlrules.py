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
- the tables of kg.corpusdb (`quads`, `facts`, `pages`, `layer`, `concepts`, `settings`)
  are the corpus itself, every term in N-Triples syntax; its macros read terms
  (`value`, `lang`, `datatype`, `is_iri`...) and make them (`iri(text)`, `literal(text)`,
  `lang_literal`, `typed_literal`, `integer_literal(number)`);
- the last statement is a SELECT with the columns `subject`, `predicate`, `object`, each
  an N-Triples term, and optionally `graph` (the statistics graph's IRI term, or the
  concept graph's): one triple per row (a row with a NULL is left out, as a CONSTRUCT
  leaves out a triple with an unbound term), into the concept graph by default.

Each rule's tables live in a schema of its own, dropped when it ends. DuckDB runs in
memory with a memory limit, spilling to the build's scratch folder beyond it, and without
its extensions, so a rule never reaches the network.
"""

from __future__ import annotations

import re

import pyoxigraph as ox

from .corpusdb import LAYER_GRAPHS
from .errors import RuleError
from .namespaces import KG
from .offline import FetchRefused, refuse_fetching

SQL_SUFFIX = ".sql"
_SPARQL_INPUT = re.compile(r"\bsparql\(\s*\$\$(.*?)\$\$\s*\)", re.DOTALL | re.IGNORECASE)
_XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"


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


def run_sql_rule(cursor, origin: str, text: str, select, settings: dict[str, object], *, default_graph: str) -> str:
    """Run the `.sql` rule `text` on `cursor` (a DuckDB connection over the corpus tables, see
    kg.corpusdb); return the name of the table of what it made: (graph, subject, predicate,
    object), each an N-Triples term. `select(query)` gives a CSV file of a SPARQL SELECT's
    results and its variables, for `sparql($$ ... $$)`."""
    import duckdb

    def read_input(match: re.Match) -> str:
        path, variables = select(match.group(1))
        columns = ", ".join(f"'{variable}': 'VARCHAR'" for variable in variables)
        options = "header = true, auto_detect = false, quote = '\"', escape = '\"'"
        return f"read_csv('{path}', {options}, columns = {{{columns}}})"

    sql = _SPARQL_INPUT.sub(read_input, text)
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise RuleError(f"{origin}: {exc}") from None
    if not statements or statements[-1].type != duckdb.StatementType.SELECT:
        raise RuleError(f"{origin}: the last statement must be a SELECT of subject, predicate, object")
    *before, last = statements
    try:
        for statement in before:
            cursor.execute(statement.query, _parameters(statement, settings))
        made = last.query.strip().rstrip(";")
        cursor.execute(f"CREATE TABLE kg_rows AS {made}", _parameters(last, settings))
        columns = [row[0] for row in cursor.execute("DESCRIBE kg_rows").fetchall()]
        missing = {"subject", "predicate", "object"} - set(columns)
        if missing:
            raise RuleError(f"{origin}: the last SELECT gives no column {', '.join(sorted(missing))}")
        graph = "graph" if "graph" in columns else f"'<{default_graph}>'"
        cursor.execute(
            f"CREATE TABLE kg_made AS SELECT {graph} AS graph, subject, predicate, object FROM kg_rows "
            "WHERE subject IS NOT NULL AND predicate IS NOT NULL AND object IS NOT NULL"
        )
        wrong = cursor.execute(
            "SELECT DISTINCT graph FROM kg_made WHERE graph NOT IN (?, ?) LIMIT 1", [f"<{g}>" for g in LAYER_GRAPHS]
        ).fetchone()
        if wrong is not None:
            raise RuleError(f"{origin}: a rule writes the concept or statistics graph, not {wrong[0]}")
    except duckdb.Error as exc:
        raise RuleError(f"{origin}: the rule failed: {exc}") from None
    return "kg_made"


def _parameters(statement, settings: dict[str, object]) -> dict[str, object]:
    return {name: settings.get(name) for name in statement.named_parameters}
