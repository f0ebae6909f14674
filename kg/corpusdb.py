"""The corpus pass's tables: every page's facts, the settings and the layer the rules make, in DuckDB.

The corpus rules read the facts whole, join them, group and rank them. DuckDB does that on
columns, on every core, and reads a table that is already there; Oxigraph evaluates such a
query a row at a time, over a store that had to be loaded first. So the facts go into
DuckDB once, and a rule in SQL (`NN-name.sql`) reads them as tables:

- `quads (g, s, p, o)`: every page's facts (`g` the page) and the provenance graph;
- `layer (g, s, p, o)`: what the rules before it made (the concept and statistics graphs);
- `settings (name, value)`: each setting of `00-settings.ru` (`name` its local name);
- views over them: `facts` (the page graphs), `pages (page)` (each page, a prov:Entity of
  the provenance graph), `concepts (s, p, o)` (the concept graph so far).

Every term is in N-Triples syntax, as Oxigraph writes it: `<iri>`, `_:b1`, `"text"`,
`"text"@en`, `"5"^^<http://www.w3.org/2001/XMLSchema#integer>`; the macros below read and
make them. A rule in SPARQL (`.ru`) runs on an Oxigraph copy of the same tables, made the
first time one needs it and kept in step after that: one mechanism, two engines.
"""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path

import duckdb
import pyoxigraph as ox

from .namespaces import CONCEPTS_GRAPH, KG, PROVENANCE_GRAPH, STATISTICS_GRAPH

# What DuckDB may hold before it spills to the scratch folder.
MEMORY_LIMIT = "1GB"
_RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
_XSD = "http://www.w3.org/2001/XMLSchema#"

# N-Triples escapes, as Oxigraph writes them: the named ones, and \u00XX for the other
# control characters.
_NAMED = {8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r", 34: '\\"'}
_CONTROL = [code for code in (*range(0x20), 0x7F) if code not in _NAMED]


def _escape_sql() -> str:
    text = "replace(x, '\\', '\\\\')"
    for code, escaped in _NAMED.items():
        text = f"replace({text}, chr({code}), '{escaped}')"
    for code in _CONTROL:
        text = f"replace({text}, chr({code}), '\\u{code:04X}')"
    # Most texts need no escape: one scan for the characters that do, not forty replaces.
    return f"CASE WHEN regexp_matches(x, '[\\x00-\\x1F\\x7F\"\\\\\\\\]') THEN {text} ELSE x END"


def _unescape_sql() -> str:
    # `\\` is set aside first (as chr(0), which no escaped text holds) so that `\\n` stays `\n`.
    text = "replace(x, '\\\\', chr(0))"
    for code, escaped in _NAMED.items():
        text = f"replace({text}, '{escaped}', chr({code}))"
    for code in _CONTROL:
        text = f"replace({text}, '\\u{code:04X}', chr({code}))"
    return f"CASE WHEN strpos(x, '\\') = 0 THEN x ELSE replace({text}, chr(0), '\\') END"


# Rust's Unicode \s, \d and \w in RE2 syntax: inside a [...] class, and as a class of their own.
_UNICODE_CLASSES = {
    "s": r"\s\x0B\x{85}\p{Z}",
    "d": r"\p{Nd}",
    "w": r"\p{L}\p{Nl}\p{M}\p{Nd}\p{Pc}\x{200C}\x{200D}",
}


def _regex_sql() -> str:
    # The pattern in tokens: \p{..}, an escape, a [...] class, a run of other characters.
    tokens = r"'\\[pP]\{[^}]*\}|\\.|\[\^?\]?(?:\\[pP]\{[^}]*\}|\\.|\[:[a-z]+:\]|[^\]\\])*\]|[^\\\[]+|.'"
    inside = " ".join(f"WHEN '\\{name}' THEN '{chars}'" for name, chars in _UNICODE_CLASSES.items())
    outside = " ".join(
        f"WHEN '\\{name}' THEN '[{chars}]' WHEN '\\{name.upper()}' THEN '[^{chars}]'"
        for name, chars in _UNICODE_CLASSES.items()
    )
    in_class = (
        r"array_to_string(list_transform(regexp_extract_all(t, '\\[pP]\{[^}]*\}|\\.|[^\\]+'),"
        f" lambda u: CASE u {inside} ELSE u END), '')"
    )
    return (
        f"array_to_string(list_transform(regexp_extract_all(p, {tokens}), lambda t: CASE t {outside}"
        f" ELSE CASE WHEN starts_with(t, '[') AND length(t) > 1 THEN {in_class} ELSE t END END), '')"
    )


MACROS = (
    "CREATE OR REPLACE MACRO is_iri(t) AS starts_with(t, '<')",
    "CREATE OR REPLACE MACRO is_blank(t) AS starts_with(t, '_:')",
    "CREATE OR REPLACE MACRO is_literal(t) AS starts_with(t, '\"')",
    f"CREATE OR REPLACE MACRO kg_escape(x) AS {_escape_sql()}",
    f"CREATE OR REPLACE MACRO kg_unescape(x) AS {_unescape_sql()}",
    # The lexical form of a literal: between the first quote and the last one.
    "CREATE OR REPLACE MACRO lexical(t) AS"
    " kg_unescape(regexp_extract(t, '^\"(.*)\"(?:@[A-Za-z0-9-]+|\\^\\^<[^>]*>)?$', 1))",
    # What SPARQL's STR gives: an IRI's text, a literal's lexical form (a blank node: itself).
    "CREATE OR REPLACE MACRO value(t) AS CASE WHEN starts_with(t, '<') THEN substr(t, 2, length(t) - 2)"
    " WHEN starts_with(t, '\"') THEN lexical(t) ELSE t END",
    "CREATE OR REPLACE MACRO lang(t) AS"
    " CASE WHEN starts_with(t, '\"') THEN regexp_extract(t, '\"@([A-Za-z0-9-]+)$', 1) END",
    "CREATE OR REPLACE MACRO datatype(t) AS CASE WHEN NOT starts_with(t, '\"') THEN NULL"
    " WHEN regexp_matches(t, '\"\\^\\^<[^>]*>$') THEN regexp_extract(t, '\"\\^\\^<([^>]*)>$', 1)"
    " WHEN regexp_matches(t, '\"@[A-Za-z0-9-]+$') THEN 'http://www.w3.org/1999/02/22-rdf-syntax-ns#langString'"
    f" ELSE '{_XSD}string' END",
    "CREATE OR REPLACE MACRO iri(x) AS '<' || x || '>'",
    "CREATE OR REPLACE MACRO literal(x) AS '\"' || kg_escape(x) || '\"'",
    "CREATE OR REPLACE MACRO lang_literal(x, tag) AS '\"' || kg_escape(x) || '\"@' || tag",
    "CREATE OR REPLACE MACRO typed_literal(x, dt) AS '\"' || kg_escape(x) || '\"^^<' || dt || '>'",
    f"CREATE OR REPLACE MACRO integer_literal(n) AS '\"' || CAST(n AS VARCHAR) || '\"^^<{_XSD}integer>'",
    # SPARQL's LCASE as Oxigraph computes it (Unicode's full lower-case mapping): DuckDB's
    # lower() maps each character alone, so the two that differ are mapped first: İ (to i and
    # a combining dot) and a capital sigma that ends a word (to ς).
    r"""CREATE OR REPLACE MACRO lcase(x) AS
  CASE WHEN NOT regexp_matches(x, '[İΣ]') THEN lower(x) ELSE lower(regexp_replace(
  replace(x, 'İ', 'i' || chr(775)),
  '([\p{Ll}\p{Lu}\p{Lt}ªº\x{2160}-\x{217F}\x{24B6}-\x{24E9}][\p{Mn}\p{Me}\p{Cf}\p{Lm}\p{Sk}''.:·‘’\x{2024}\x{2027}\x{FE13}\x{FE52}\x{FE55}\x{FF07}\x{FF0E}\x{FF1A}\x{0387}\x{055F}\x{05F4}]*)Σ'
  '([\p{Mn}\p{Me}\p{Cf}\p{Lm}\p{Sk}''.:·‘’\x{2024}\x{2027}\x{FE13}\x{FE52}\x{FE55}\x{FF07}\x{FF0E}\x{FF1A}\x{0387}\x{055F}\x{05F4}]*'
  '(?:[^\p{Ll}\p{Lu}\p{Lt}ªº\x{2160}-\x{217F}\x{24B6}-\x{24E9}\p{Mn}\p{Me}\p{Cf}\p{Lm}\p{Sk}''.:·‘’\x{2024}\x{2027}\x{FE13}\x{FE52}\x{FE55}\x{FF07}\x{FF0E}\x{FF1A}\x{0387}\x{055F}\x{05F4}]|$))',
  '\1ς\2', 'g')) END""",
    # A SPARQL pattern (Rust's regex syntax, as Oxigraph runs it) as DuckDB's RE2 pattern:
    # Rust's \s, \d and \w are Unicode classes, RE2's ASCII ones ("é" is no \w for RE2, a
    # no-break space no \s), so they are written out (\S, \D, \W too, outside [...]).
    f"CREATE OR REPLACE MACRO sparql_regex(p) AS {_regex_sql()}",
)

# The facts kept from one build to the next in a build folder's corpus.duckdb (`page`: the
# page each row came from); the layer and the settings are made anew by every pass.
_FORMAT = "1"
_KEPT = (
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    "CREATE TABLE IF NOT EXISTS quads (page VARCHAR, g VARCHAR, s VARCHAR, p VARCHAR, o VARCHAR)",
)
_MADE = (
    "CREATE OR REPLACE TABLE layer (g VARCHAR, s VARCHAR, p VARCHAR, o VARCHAR)",
    "CREATE OR REPLACE TABLE settings (name VARCHAR, value VARCHAR)",
    f"CREATE OR REPLACE VIEW facts AS SELECT g, s, p, o FROM quads WHERE g <> '<{PROVENANCE_GRAPH}>'",
    f"CREATE OR REPLACE VIEW pages AS SELECT DISTINCT s AS page FROM quads WHERE g = '<{PROVENANCE_GRAPH}>'"
    f" AND p = '{_RDF_TYPE}' AND o = '<http://www.w3.org/ns/prov#Entity>'",
    f"CREATE OR REPLACE VIEW concepts AS SELECT s, p, o FROM layer WHERE g = '<{CONCEPTS_GRAPH}>'",
)
CORPUS_FILE = "corpus.duckdb"
LAYER_GRAPHS = (CONCEPTS_GRAPH, STATISTICS_GRAPH)


def _lines(path: Path, column: str = "line") -> str:
    """A table of the lines of an N-Triples or N-Quads file (one column, `line`)."""
    target = str(path).replace("'", "''")
    # No delimiter, quote or escape: a line is one value. \x01 cannot occur in N-Quads
    # (control characters are escaped there). A line holds at most a page (50 MB); the
    # reader's buffer is set apart from it (by default it is 16 lines' worth).
    return (
        f"read_csv('{target}', columns = {{'{column}': 'VARCHAR'}}, header = false, auto_detect = false,"
        " delim = chr(1), quote = '', escape = '', max_line_size = 67108864, buffer_size = 134217728)"
    )


def new_rows(rows: str, predicates: list[str] | None = None) -> str:
    """The rows (g, s, p, o) of the query `rows` that `layer` does not hold yet, each once:
    the layer is a set of quads, as in a store, whichever rules make the same triple. With
    `predicates` (those of `rows`, bound as the query's last parameter) only the layer's
    rows of those predicates are compared."""
    old = "main.layer" if predicates is None else "(SELECT * FROM main.layer WHERE list_contains(?, p))"
    return f"SELECT DISTINCT * FROM ({rows}) AS new ANTI JOIN {old} AS old USING (g, s, p, o)"


def _terms(line: str) -> str:
    """Columns s, p and rest (the object and what follows it) of an N-Triples or N-Quads
    line: a subject and a predicate hold no space. Found by position, not split_part, which
    would cut a long text at each of its spaces."""
    return (
        f"left({line}, strpos({line}, ' ') - 1) AS s, substr({line}, length(s) + 2) AS after,"
        " left(after, strpos(after, ' ') - 1) AS p, substr(after, length(p) + 2) AS rest"
    )


def quad_rows(page: bytes, nquads: bytes) -> bytes:
    """N-Quads lines (each in a named graph) as rows of `quads`: page, graph, subject,
    predicate and object, separated by tabs. A tab is escaped inside an N-Triples term, a
    subject, predicate and graph name hold no space, and the graph name ends the line."""
    rows = []
    for line in nquads.splitlines():
        subject, predicate, rest = line.split(b" ", 2)
        value, graph, _dot = rest.rsplit(b" ", 2)
        rows.append(b"\t".join((page, graph, subject, predicate, value)))
    return b"\n".join(rows) + b"\n" if rows else b""


def quad_row(page: str, quad: ox.Quad) -> bytes:
    """One quad of a store as a row of `quads` (see quad_rows)."""
    return f"{page}\t{quad.graph_name}\t{quad.subject}\t{quad.predicate}\t{quad.object}\n".encode()


def _quads(path: Path) -> str:
    """The rows (page, g, s, p, o) of a file `quad_rows` wrote."""
    target = str(path).replace("'", "''")
    columns = ", ".join(f"'{name}': 'VARCHAR'" for name in ("page", "g", "s", "p", "o"))
    # A value holds no tab, quote or escape of the reader's own; a row holds at most a page
    # (50 MB), and the reader's buffer is set apart from that (by default 16 rows' worth).
    return (
        f"SELECT * FROM read_csv('{target}', columns = {{{columns}}}, header = false, auto_detect = false,"
        " delim = chr(9), quote = '', escape = '', max_line_size = 67108864, buffer_size = 134217728)"
    )


def _config(workdir: Path, threads: int) -> dict:
    return {
        "threads": max(1, threads),
        "memory_limit": MEMORY_LIMIT,
        "temp_directory": str(workdir / "spill"),
        "preserve_insertion_order": False,
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
    }


class CorpusDB:
    """One corpus pass's DuckDB database (in memory, or in a file for a large corpus; either
    spills into `workdir` beyond its memory limit)."""

    def __init__(self, workdir: Path, threads: int = 2, *, on_disk: bool = False, path: Path | None = None) -> None:
        self.workdir = Path(workdir)
        (self.workdir / "spill").mkdir(parents=True, exist_ok=True)
        # On disk, DuckDB compresses the columns (the same IRIs over and over) and keeps in
        # memory only what a query is working on; in memory every string is held whole.
        if path is None and on_disk:
            path = self.workdir / CORPUS_FILE
        self.db = duckdb.connect(str(path) if path is not None else ":memory:", config=_config(self.workdir, threads))
        for statement in (*MACROS, *_KEPT):
            self.db.execute(statement)
        if self.get("format") != _FORMAT:  # a file an older kg wrote: its facts are loaded again
            self.db.execute("DROP TABLE quads")
            self.db.execute(_KEPT[1])
            self.put("format", _FORMAT)
            self.put("token", None)
        schemas = self.db.execute("SELECT schema_name FROM duckdb_schemas() WHERE starts_with(schema_name, 'rule_')")
        for (schema,) in schemas.fetchall():  # left by a pass that was killed
            self.db.execute(f"DROP SCHEMA {schema} CASCADE")
        for statement in _MADE:
            self.db.execute(statement)
        self.lock = threading.Lock()
        self._schemas = 0
        self.loaded = 0  # pages whose facts the last load wrote (see kg.layer.corpus_tables)

    def get(self, key: str) -> str | None:
        rows = self.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchall()
        return rows[0][0] if rows else None

    def put(self, key: str, value: str | None) -> None:
        self.db.execute("DELETE FROM meta WHERE key = ?", [key])
        if value is not None:
            self.db.execute("INSERT INTO meta VALUES (?, ?)", [key, value])

    @staticmethod
    def seal(path: Path, token: str) -> None:
        """Record in the file at `path` that its facts are those of the facts store of `token`."""
        with tempfile.TemporaryDirectory(prefix="kg-corpus-", dir=path.parent) as scratch:
            db = CorpusDB(Path(scratch), 1, path=path)
            try:
                db.put("token", token)
            finally:
                db.close()

    def close(self) -> None:
        self.db.close()

    def execute(self, sql: str, parameters=None) -> list[tuple]:
        """Run one statement on a connection of its own (a DuckDB connection serves one
        thread at a time; rules run two at once) and return its rows."""
        cursor = self.db.cursor()
        try:
            cursor.execute(sql, parameters)
            return cursor.fetchall() if cursor.description else []
        finally:
            cursor.close()

    def add_pages(self, path: Path) -> None:
        """The quads of a file of "PAGE<tab>QUAD" lines into `quads` (see kg.factstore.FactStore.lines)."""
        self.execute(f"INSERT INTO quads {_quads(path)}")

    def drop_pages(self, urls: list[str] | None) -> None:
        """Remove the quads of the pages `urls` (of every page: None)."""
        if urls is None:
            self.execute("DELETE FROM quads")
        elif urls:
            self.execute("DELETE FROM quads WHERE list_contains(?, page)", [urls])

    def add_triples(self, path: Path, graph: str) -> None:
        """The triples of an N-Triples file into `layer`, in `graph`."""
        rows = (
            f"SELECT ? AS g, s, p, left(rest, length(rest) - 2) AS o FROM (SELECT {_terms('line')}"
            f" FROM {_lines(path)} WHERE line LIKE '% .')"
        )
        self.execute(f"INSERT INTO main.layer {new_rows(rows)}", [f"<{graph}>"])

    def set_settings(self, store: ox.Store, graph: str) -> None:
        """`settings` from the settings graph of `store` (the scratch graph the settings rule writes)."""
        rows = [
            (quad.predicate.value.removeprefix(str(KG)), str(quad.object))
            for quad in store.quads_for_pattern(ox.NamedNode(str(KG.settings)), None, None, ox.NamedNode(graph))
            if quad.predicate.value.startswith(str(KG))
        ]
        # One transaction: a rule reading the settings beside this never sees them half-written.
        with self.lock:
            cursor = self.db.cursor()
            try:
                cursor.execute("BEGIN TRANSACTION")
                cursor.execute("DELETE FROM settings")
                if rows:
                    cursor.executemany("INSERT INTO settings VALUES (?, ?)", rows)
                cursor.execute("COMMIT")
            finally:
                cursor.close()

    def cursor(self):
        """A connection of its own for one rule, with a schema of its own first on its search
        path: the tables a rule makes cannot meet another's running beside it."""
        with self.lock:
            self._schemas += 1
            name = f"rule_{self._schemas}"
        cursor = self.db.cursor()
        cursor.execute(f"CREATE SCHEMA {name}")
        cursor.execute(f"SET schema = '{name}'")
        cursor.execute(f"SET search_path = '{name},main'")
        return cursor, name

    def write_graph(self, graph: str, target: Path) -> int:
        """`layer`'s triples in `graph` as N-Triples (unsorted, each once) into `target`; how many."""
        name = str(target).replace("'", "''")
        self.execute(
            f"COPY (SELECT DISTINCT concat_ws(' ', s, p, o, '.') FROM layer WHERE g = ?) TO '{name}'"
            " (FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\t')",
            [f"<{graph}>"],
        )
        return self.execute("SELECT count(*) FROM (SELECT DISTINCT s, p, o FROM layer WHERE g = ?)", [f"<{graph}>"])[0][
            0
        ]

    def write_layer(self, target: Path) -> None:
        """Every triple of `layer` as N-Quads into `target` (for the Oxigraph copy)."""
        name = str(target).replace("'", "''")
        self.execute(
            f"COPY (SELECT DISTINCT concat_ws(' ', s, p, o, g, '.') FROM layer) TO '{name}'"
            " (FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\t')"
        )

    def write_quads(self, target: Path) -> None:
        """Every quad of `quads` as N-Quads into `target` (for the Oxigraph copy)."""
        name = str(target).replace("'", "''")
        self.execute(
            f"COPY (SELECT concat_ws(' ', s, p, o, g, '.') FROM quads) TO '{name}'"
            " (FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\t')"
        )

    def replace_layer(self, store: ox.Store) -> None:
        """`layer` made anew from the derived graphs of `store` (after an update changed them there)."""
        dumped = self.workdir / "layer-from-store.nq"
        with open(dumped, "wb") as out:
            for graph in LAYER_GRAPHS:
                for quad in store.quads_for_pattern(None, None, None, ox.NamedNode(graph)):
                    out.write(quad_row("-", quad))
        with self.lock:
            self.execute("DELETE FROM layer")
            self.execute(f"INSERT INTO layer SELECT g, s, p, o FROM ({_quads(dumped)})")
        dumped.unlink()

    def counts(self) -> dict[str, int]:
        """Concepts per kg:kind, then the skos:broader, skos:related and kg:facet links (see link.count)."""
        graph = f"<{CONCEPTS_GRAPH}>"
        kinds = self.execute(
            "SELECT value(o) AS kind, count(DISTINCT s) FROM layer WHERE g = ? AND p = ? GROUP BY kind ORDER BY kind",
            [graph, f"<{KG.kind}>"],
        )
        counts = dict(kinds)
        for name, predicate in (
            ("skos:broader", "<http://www.w3.org/2004/02/skos/core#broader>"),
            ("skos:related", "<http://www.w3.org/2004/02/skos/core#related>"),
            ("kg:facet", f"<{KG.facet}>"),
        ):
            counts[name] = self.execute(
                "SELECT count(*) FROM (SELECT DISTINCT s, o FROM layer WHERE g = ? AND p = ?)", [graph, predicate]
            )[0][0]
        return counts
