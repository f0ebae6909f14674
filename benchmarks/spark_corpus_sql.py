"""What a corpus rule costs as Spark SQL over the page facts the Spark build wrote (Parquet).

    python benchmarks/spark_corpus_sql.py /tmp/build/parts --master 'local[2]'

Not kg's rules: a stand-in with their shape, to measure where the facts should go. The
corpus rules join and group the page facts by concept IRI (best label and definition,
narrower links, overlaps, schemes, statistics); this reads every task's facts-*.parquet,
splits the N-Quads into (subject, predicate, object, page) rows on the executors, and runs
two such steps: pages per (subject, predicate), and per subject its distinct predicates and
the first object of each (the "best value" pattern). It prints the rows, the seconds, and
the bytes the stages wrote to shuffle, beside the Parquet bytes read.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parts", type=Path)
    parser.add_argument("--master", default="local[2]")
    args = parser.parse_args(argv)
    from pyspark.sql import functions as F

    from kg.spark import start_session
    from kg.spark_jobs import _shuffle_bytes

    files = sorted(str(path) for path in args.parts.glob("facts-*.parquet"))
    parquet = sum(os.path.getsize(path) for path in files)
    session = start_session(args.master)
    try:
        load = os.getloadavg()[0]
        clock = time.perf_counter()
        facts = session.read.parquet(*files)
        lines = facts.select(F.explode(F.split(F.col("facts").cast("string"), "\n")).alias("line")).where("line != ''")
        # N-Quads of the facts: <s> <p> object <page> . (an object may hold spaces: a literal)
        pattern = r"^(\S+) (\S+) (.*) (<[^>]*>) \.$"
        rows = lines.select(
            *(
                F.regexp_extract("line", pattern, group).alias(name)
                for group, name in ((1, "s"), (2, "p"), (3, "o"), (4, "g"))
            )
        )
        rows = rows.persist()
        count = rows.count()
        read = time.perf_counter() - clock
        before = _shuffle_bytes(session.sparkContext)
        clock = time.perf_counter()
        per_subject = rows.groupBy("s", "p").agg(F.countDistinct("g").alias("pages")).count()
        best = (
            rows.groupBy("s", "p")
            .agg(F.min("o").alias("o"))
            .groupBy("s")
            .agg(F.count("p").alias("predicates"), F.first("o").alias("o"))
            .count()
        )
        grouped = time.perf_counter() - clock
        shuffle = _shuffle_bytes(session.sparkContext) - before
    finally:
        session.stop()
    print(f"{len(files)} Parquet files, {parquet} bytes; load average {load:.1f}; master {args.master}")
    print(f"fact rows {count}; read and split {read:.1f} s")
    print(f"group-bys: {per_subject} (subject, predicate) groups, {best} subjects; {grouped:.1f} s")
    print(f"shuffle written {shuffle} bytes ({shuffle / max(count, 1):.1f} a fact)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
