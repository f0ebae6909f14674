"""What one Spark task runs: its files converted into a part file of page graphs and a Parquet file of facts."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

from .config import BuildConfig

# gzip level of the part files: level 1 writes several times faster than the default 6 and
# the parts are read once.
PART_COMPRESSION = 1


# Page facts a task holds before writing them to its Parquet file as a row group.
FACTS_ROW_GROUP = 2_000


def _facts_schema():
    import pyarrow as pa

    # unit: the unit's place in the corpus; page: the page's place in the unit; facts: N-Quads.
    return pa.schema([("unit", pa.int64()), ("page", pa.int32()), ("facts", pa.large_binary())])


def _convert_partition(index: int, items, config: BuildConfig, parts: str, page_rules, written=None, subjects=False):
    """One Spark task: convert its units (order, Unit, the bytes Spark read or None), write
    their page graphs to one gzip N-Quads part and their page facts to one Parquet file, and
    yield ("r", (order, task, FileResult without graphs or facts)) for each unit; with
    `subjects`, also ("s", hash) for each subject of the page graphs (a node count without a store)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from .convert import PageConverter

    converter = PageConverter(config, page_rules)
    schema = _facts_schema()
    folder = Path(parts)
    seen: set[int] = set()
    rows: dict[str, list] = {"unit": [], "page": [], "facts": []}
    with (
        gzip.open(folder / f"part-{index:05d}.nq.gz", "wb", compresslevel=PART_COMPRESSION) as part,
        pq.ParquetWriter(folder / f"facts-{index:05d}.parquet", schema, compression="zstd") as facts,
    ):
        for order, unit, data in items:
            run = unit.read_run() if data is None else None
            result = converter.convert_file(unit.source, data if data is not None else run, unit.sha256)
            for position, page in enumerate(result.pages):
                part.write(page.graph)
                if written is not None:
                    written.add(len(page.graph))
                if subjects:
                    seen.update(_subject_hash(line) for line in page.graph.splitlines())
                if page.facts:
                    rows["unit"].append(order)
                    rows["page"].append(position)
                    rows["facts"].append(page.facts)
                page.graph = page.facts = b""
            if len(rows["facts"]) >= FACTS_ROW_GROUP:
                facts.write_table(pa.table(rows, schema=schema))
                rows = {key: [] for key in rows}
            yield "r", (order, index, result)
        facts.write_table(pa.table(rows, schema=schema))
    for value in seen:
        yield "s", value


def _subject_hash(line: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(line.split(b" ", 1)[0], digest_size=8).digest(), "big")


def _facts_of(path: Path) -> dict[tuple[int, int], bytes]:
    import pyarrow.parquet as pq

    table = pq.read_table(path).to_pydict()
    return {(unit, page): facts for unit, page, facts in zip(table["unit"], table["page"], table["facts"], strict=True)}


def with_facts(found: list, parts: Path):
    """Each FileResult of `found` ((order, task, result), in corpus order) with its pages'
    facts read back from the tasks' Parquet files, one task's file held at a time (more only
    where Spark's file reader put one folder's files in several tasks)."""
    left: dict[int, int] = {}
    for _, task, _ in found:
        left[task] = left.get(task, 0) + 1
    held: dict[int, dict] = {}
    for order, task, result in found:
        if task not in held:
            held[task] = _facts_of(parts / f"facts-{task:05d}.parquet")
        facts = held[task]
        for position, page in enumerate(result.pages):
            page.facts = facts.pop((order, position), b"")
        left[task] -= 1
        if not left[task]:
            del held[task]
        yield result
