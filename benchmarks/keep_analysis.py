"""Give a build made before kg kept network analyses what a build keeps now, in a slim copy (not a test).

    .venv/bin/python benchmarks/keep_analysis.py /work/bench/new-100k /tmp/slim-100k

The copy holds a symbolic link to the build's store and a new facts.sqlite with only the
rows `kg view`, `kg path` and `kg stats` read (the concept network and the token), then
the analysis a build now keeps beside them (kg.analysis.save_analysis), timed: that is
the time a build of that size now adds. The build folder itself is only read, so a
shared benchmark build can be measured without copying its store or its facts.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import time
from pathlib import Path

from kg.analysis import save_analysis
from kg.factstore import FACTS_FILE, FactStore
from kg.network.read import saved_concepts
from kg.store import STORE_DIR, open_store

_ROWS = ("token", "page rules", "network", "network heads", "network tails", "network relation")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build", type=Path, help="a build folder with a facts store (read only)")
    parser.add_argument("copy", type=Path, help="a new folder for the slim copy")
    args = parser.parse_args()
    args.copy.mkdir(parents=True)
    os.symlink(args.build.resolve() / STORE_DIR, args.copy / STORE_DIR)
    source = sqlite3.connect(f"file:{args.build / FACTS_FILE}?mode=ro", uri=True)
    facts = FactStore.open(args.copy)
    for key in _ROWS:
        row = source.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        if row is not None:
            facts.put(key, row[0])
    source.close()
    store = open_store(args.copy)
    table = saved_concepts(args.build, store)
    if table is None:
        print(f"{args.build} keeps no concept network that matches its store", file=sys.stderr)
        return 1
    begin = time.perf_counter()
    save_analysis(facts, table, store)
    seconds = time.perf_counter() - begin
    facts.commit()
    print(
        f"{len(table):,} concepts, {len(table.heads):,} relations: the analysis a build now keeps took "
        f"{seconds:.1f} s (load average {os.getloadavg()[0]:.1f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
