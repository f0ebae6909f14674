"""The build's targets against the floor, on any folder of pages (build_benchmark.py --corpus DIR).

The floor is measured in the same run: Oxigraph's bulk_load of the build's own final N-Quads
(every graph, provenance included) into an empty on-disk store. Then: the full build and its
stages (kg build -v prints them), a build after changing 1% of the pages, peak RSS of the
build's process tree, kg view / path / stats, and the look-up queries.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

_DESCRIPTION = re.compile(r'("description"\s*:\s*")')
_STAGE_LINE = re.compile(r"^stage (.+?): ([0-9.]+) s$")
_FLOOR_SCRIPT = """
import json, sys, time, pyoxigraph as ox
store = ox.Store.read_only(sys.argv[1])
began = time.perf_counter()
store.dump(sys.argv[2], format=ox.RdfFormat.N_QUADS)
dumped = time.perf_counter() - began
del store
empty = ox.Store(sys.argv[3])
began = time.perf_counter()
with open(sys.argv[2], "rb") as stream:
    while block := stream.read(64_000_000):
        rest = stream.readline()
        empty.bulk_load(block + rest, format=ox.RdfFormat.N_QUADS)
empty.flush()
loaded = time.perf_counter() - began
print(json.dumps({"dump": dumped, "bulk_load": loaded, "quads": len(empty)}))
"""


def floor(output: Path, workdir: Path) -> dict:
    """Dump the built store as N-Quads, then bulk-load that file into an empty on-disk store:
    the time of the second step is the floor."""
    nquads, empty = workdir / "floor.nq", workdir / "floor-store"
    shutil.rmtree(empty, ignore_errors=True)
    done = subprocess.run(
        [sys.executable, "-c", _FLOOR_SCRIPT, str(output / "store"), str(nquads), str(empty)],
        capture_output=True,
        text=True,
    )
    size = nquads.stat().st_size if nquads.exists() else 0
    nquads.unlink(missing_ok=True)
    shutil.rmtree(empty, ignore_errors=True)
    if done.returncode:
        raise RuntimeError(f"the floor failed: {done.stderr.strip()[-300:]}")
    return json.loads(done.stdout.strip().splitlines()[-1]) | {"bytes": size}


def stages(log: Path) -> dict[str, float]:
    """The per-stage seconds `kg build -v` printed."""
    found: dict[str, float] = {}
    for line in log.read_text("utf-8", errors="replace").splitlines():
        if (match := _STAGE_LINE.match(line.strip())) is not None:
            found[match.group(1)] = float(match.group(2))
    return found


def page_files(folder: Path) -> list[Path]:
    """The files of a folder of pages, as kg build finds them (hidden ones left out)."""
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )


def change_pages(folder: Path, share: float, seed: int) -> list[Path]:
    """Change `share` of the pages: each chosen page's first JSON-LD description gains a word
    (kept in place: a folder of pages the generator did not write has no other change it
    knows to be harmless). Returns the pages changed; their originals are in folder/.originals."""
    files = page_files(folder)
    chosen = random.Random(seed).sample(files, max(1, round(len(files) * share)))
    originals = folder / ".originals"
    originals.mkdir(exist_ok=True)
    changed = []
    for path in chosen:
        text = path.read_text("utf-8", errors="surrogateescape")
        edited = _DESCRIPTION.sub(r"\1Changed: ", text, count=1)
        if edited == text:
            continue
        shutil.copy2(path, originals / path.name)
        path.write_text(edited, "utf-8", errors="surrogateescape")
        changed.append(path)
    return changed


def restore_pages(folder: Path) -> None:
    originals = folder / ".originals"
    if originals.is_dir():
        for saved in originals.iterdir():
            target = next(folder.rglob(saved.name), None)
            if target is not None:
                shutil.copy2(saved, target)
        shutil.rmtree(originals)


def concept_labels(output: Path) -> tuple[str, str, str]:
    """Two concepts to find a path between (the first two areas by IRI) and a word to search."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from kg.network.read import load_concepts

    table = load_concepts(output)
    areas = [label for label, kind in zip(table.labels, table.kinds, strict=True) if kind == "area"]
    first, second = (areas + table.labels)[:2]
    word = max(first.split(), key=len)
    return first, second, word
