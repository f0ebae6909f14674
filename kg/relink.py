"""`kg link`: derive the concept layer of a build (or a store) again, atomically like a build."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pyoxigraph as ox

from .link import LinkReport, clear_derived
from .rules import load_rules, rules_digest


def derive(
    store: ox.Store, *, rules_dir: Path | None = None, skip: Iterable[str] = (), jobs: int | None = None
) -> dict[str, int]:
    """Derive the concept layer of `store` as a build does: each page's facts by the page
    rules, the corpus rules over those facts, the layer written into `store` in place of
    the one it had. Returns what the rules made (see `count`)."""
    from .facts import PageRules, corpus_rules_of, page_facts, store_pages, stored_pages
    from .factstore import FactStore
    from .layer import derive_layer

    rules = load_rules(rules_dir, skip=skip)
    page_rules = PageRules.from_rules(rules)
    facts = FactStore(Path(":memory:"))
    try:
        for page, graph, record in stored_pages(store, store_pages(store)):
            facts.set_page(page, page_facts(page, graph, page_rules), record)
        clear_derived(store)
        layer = derive_layer(store, facts, corpus_rules_of(rules), full=True, jobs=jobs)
    finally:
        facts.close()
    return layer.link.counts


def relink(
    output: Path | str,
    *,
    rules_dir: Path | None = None,
    skip: Iterable[str] = (),
    announce: Callable[[str], None] | None = None,
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> LinkReport:
    """Derive the concept layer again for a build folder, atomically like a build.

    A changed page rule derives every page's facts again (from the page graphs in the
    store); otherwise only the corpus pass runs, over the facts the build kept. The layer
    reaches a staging copy of the store (hard links, so it is quick) as a delta, the
    build's exports are rewritten from it, and the copy is swapped in; a failing rule
    leaves the live store, facts and exports as they were. The staging store holds the
    build folder's writer lock, so `kg link` never races a build. `announce` hears of each
    rule and export as it starts.
    """
    from .facts import PageRules, corpus_rules_of, page_facts, store_pages, stored_pages
    from .factstore import FactStore, store_token, write_store_token
    from .layer import derive_layer, refresh_facts
    from .publish import page_piece, set_piece, write_exports
    from .store import open_store, staging

    output = Path(output)
    rules = load_rules(rules_dir, skip=skip)  # bad names fail before the store is touched
    page_rules = PageRules.from_rules(rules)
    open_store(output)  # fails with a hint when the folder holds no build; closed again at once
    with staging(output, from_live=True) as stage:
        facts = FactStore.open(output)
        try:
            full = facts.token is None or facts.token != store_token(stage.store)
            if full:  # no facts kept with this store (an older build, an update): from the store
                facts.clear()
                derived = 0
                for page, graph, record in stored_pages(stage.store, store_pages(stage.store)):
                    facts.set_page(page, page_facts(page, graph, page_rules), record)
                    set_piece(facts, page, page_piece(graph))
                    derived += 1
                clear_derived(stage.store)
            elif facts.get("page rules") != page_rules.digest:
                derived = refresh_facts(stage.store, facts, page_rules, announce, progress)
            else:
                derived = 0
            facts.put("page rules", page_rules.digest)
            layer = derive_layer(
                stage.store,
                facts,
                corpus_rules_of(rules),
                full=full,
                announce=announce,
                progress=progress,
                jobs=jobs,
                workdir=stage.folder,
            )
            layer.link.facts_derived = derived
            write_store_token(stage.store, facts.seal())
            # Recorded with these rules: rules other than the build's make the next build derive again.
            write_exports(stage, rules_digest(rules), announce, jobs, facts)
            stage.commit()
            facts.commit()
        except BaseException:
            facts.rollback()
            raise
    return layer.link
