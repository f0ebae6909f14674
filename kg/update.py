"""SPARQL updates, only when asked for by name (`kg query --update`), applied atomically.

`kg query` opens the store read-only, so a query can never change it. An update runs on a
staging copy of the live store, which replaces it (with a fresh graph.ttl) only when the
update has succeeded. LOAD and SERVICE are refused: kg does not fetch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .errors import QuerySyntaxError, StoreError
from .offline import refuse_fetching
from .results import QUERY_PREFIXES
from .store import staging, store_path

_PROLOGUE = r"(?:\s|#[^\n]*\n|(?:PREFIX|BASE)\s+[^\n]*)*"
_UPDATE = re.compile(_PROLOGUE + r"(INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b", re.IGNORECASE)
# The rules digest an update records: no rules made the store as it is.
UPDATED = "changed by kg query --update"


def is_update(text: str) -> bool:
    """Whether SPARQL text is an update (it starts, after its prologue, with an update keyword)."""
    return _UPDATE.match(text) is not None


@dataclass
class UpdateResult:
    before: int
    after: int


def apply_update(output: Path | str, text: str) -> UpdateResult:
    """Run a SPARQL update against the build folder's store, atomically."""
    refuse_fetching(text)
    if not store_path(Path(output)).is_dir():
        raise StoreError(f"no kg store in {output}/ (run `kg build -o {output}` first)")
    with staging(Path(output), from_live=True) as stage:
        before = len(stage.store)
        try:
            stage.store.update(text, prefixes=QUERY_PREFIXES)
        except SyntaxError as exc:
            from .sparql import syntax_error

            raise QuerySyntaxError(syntax_error(exc, text)) from None
        after = len(stage.store)
        from .factstore import write_store_token
        from .publish import write_exports

        # The update may have changed pages: the facts kept beside the store no longer
        # match them, and the next build derives them again from the store's pages.
        write_store_token(stage.store, UPDATED)
        # The store now holds what no rules made: the record says so (in place of the
        # build's), and the next build derives and exports again.
        write_exports(stage, UPDATED)
        stage.commit()
    return UpdateResult(before, after)
