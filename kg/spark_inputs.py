"""What the Spark build's tasks read: corpus files, runs of a WARC file's records, and files
on the file systems Spark's Hadoop layer reads (file:, hdfs:, s3a:), listed through its JVM.

A task's unit of work is a `Unit`: a whole file, or a run of whole records of a local WARC
file. Runs are found by a first Spark job that reads each large archive once (its sha256
and where each record starts); an archive with anything the local reader would complain of
(a truncated record, a bad gzip member, a record over the page limit) is read whole by one
task instead, so its pages and messages are exactly the local reader's.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from .config import BuildConfig
from .readers import READERS, SourceFile, registered_suffix, skipped_kind, supported
from .sources import Corpus

# A WARC file over this many bytes is cut into runs of records of about this size: a 1 GB
# Common Crawl file becomes 16 tasks, each holding one run in memory.
WARC_RUN_BYTES = 64 << 20
GZIP_MAGIC = b"\x1f\x8b"
# A URL Spark reads: a scheme of two letters or more (so that C:\ stays a path) and ://, or file:.
_URL = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]+://|file:)")
# Characters Hadoop's input paths read as glob syntax; braces and commas, which its list of
# paths splits on without regard to escapes, are matched by `?` (and extra matches dropped).
_GLOB_SPECIAL = re.compile(r"([\\\[\]*?])")
_SPLIT_SPECIAL = re.compile(r"[{},]")


@dataclass(frozen=True)
class Unit:
    """One piece of a task's work: a file, or the records of a local WARC file in [start, end)."""

    source: SourceFile
    location: str | None = None  # the Hadoop path Spark reads the file from (URL sources)
    start: int = 0
    end: int | None = None
    sha256: str = ""  # the whole archive's, for a run
    size: int = 0  # the file's bytes, as listed (URL sources)

    def read_run(self) -> bytes | None:
        """The run's bytes (a local WARC file's records), or None for a whole file."""
        if self.end is None:
            return None
        from .readers.files import open_regular

        with open_regular(self.source.path) as stream:
            stream.seek(self.start)
            return stream.read(self.end - self.start)


def is_url(source: str) -> bool:
    return bool(_URL.match(source))


def is_warc(source: SourceFile) -> bool:
    return READERS.get(registered_suffix(source.path), ("",))[0] == "warc"


def warc_runs(source: SourceFile, config: BuildConfig, run_bytes: int = WARC_RUN_BYTES) -> tuple[str, list[int]] | None:
    """(the archive's sha256, where each run of records starts) when it is worth cutting and
    every record reads cleanly; None to read it whole, as the local build does."""
    from .readers.files import open_regular

    try:
        with open_regular(source.path) as stream:
            return _runs(stream, config, run_bytes)
    except Exception:  # noqa: BLE001 (whatever is wrong with the archive, the local reader says it)
        return None


def warc_runs_in(data: bytes, config: BuildConfig, run_bytes: int = WARC_RUN_BYTES) -> tuple[str, list[int]] | None:
    """warc_runs for an archive's bytes (read by Spark from a URL)."""
    try:
        return _runs(io.BytesIO(data), config, run_bytes)
    except Exception:  # noqa: BLE001 (as in warc_runs)
        return None


def _runs(stream: BinaryIO, config: BuildConfig, run_bytes: int) -> tuple[str, list[int]] | None:
    from fastwarc.warc import ArchiveIterator

    from .readers.files import stream_sha256
    from .readers.warc import _check_gzip_ends

    size = stream.seek(0, 2)
    if size <= run_bytes:
        return None
    stream.seek(0)
    sha = stream_sha256(stream)
    stream.seek(0)
    starts: list[int] = []
    for record in ArchiveIterator(stream, parse_http=False):
        length = record.content_length
        if record.headers.get("Content-Length") is None or length > config.max_page_bytes:
            return None  # cut, or one record the local reader streams past: read whole
        if record.reader.consume() < length:
            return None
        starts.append(record.stream_pos)
    if not starts:
        return None
    _check_gzip_ends(stream, starts[-1])
    # Each record must start where a reader can: a gzip member of its own, or plain WARC.
    stream.seek(0)
    magic = GZIP_MAGIC if stream.read(2) == GZIP_MAGIC else b"WARC/"
    runs, last = [], -run_bytes
    for start in starts:
        stream.seek(start)
        if stream.read(len(magic)) != magic:
            return None
        if start - last >= run_bytes:
            runs.append(start)
            last = start
    return (sha, runs) if len(runs) > 1 else None


def units_of(files: list[SourceFile], indexed: dict[int, tuple[str, list[int]]]) -> list[Unit]:
    """The corpus in task units, in corpus order: `indexed` gives the runs of the files (by
    position) that are cut."""
    units: list[Unit] = []
    for position, source in enumerate(files):
        if position not in indexed:
            units.append(Unit(source))
            continue
        sha, starts = indexed[position]
        size = source.path.stat().st_size
        for start, end in zip(starts, [*starts[1:], size], strict=True):
            units.append(Unit(source, start=start, end=end, sha256=sha))
    return units


def hadoop_glob_escape(location: str) -> str:
    """A Hadoop input path that matches `location` (and, where it has braces or commas, maybe
    a few other files, which the caller drops)."""
    return _SPLIT_SPECIAL.sub("?", _GLOB_SPECIAL.sub(r"\\\1", location))


def list_urls(session, sources: list[str], corpus: Corpus) -> list[Unit]:
    """The files under URL sources, through Spark's Hadoop file systems, with the suffix rules
    of local folders (hidden files and folders passed over, unsupported files counted); what
    cannot be listed goes into `corpus.problems`."""
    context = session.sparkContext
    jvm, conf = context._jvm, context._jsc.hadoopConfiguration()
    units: list[Unit] = []
    for source in sources:
        try:
            pattern = jvm.org.apache.hadoop.fs.Path(source)
            fs = pattern.getFileSystem(conf)
            matches = fs.globStatus(pattern)
        except Exception as exc:  # noqa: BLE001 (Py4JJavaError: no such file system, refused, bad URL)
            corpus.problems.append((source, f"cannot list it: {_java_message(exc)}"))
            continue
        if matches is None or len(matches) == 0:
            globbed = any(char in source for char in "*?[{")
            corpus.problems.append((source, "no files match this pattern" if globbed else "no such file or directory"))
            continue
        found: list[Unit] = []
        for status in matches:
            if status.isDirectory():
                root = status.getPath()
                listing = fs.listFiles(root, True)
                files = []
                while listing.hasNext():
                    status = listing.next()
                    files.append((status.getPath().toString(), status.getLen()))
                inside = _in_folder(root.toString(), sorted(files), corpus)
                if not inside:
                    known = ", ".join(sorted(READERS))
                    corpus.problems.append((source, f"no pages found in this folder (kg reads {known})"))
                found += inside
            else:
                location = status.getPath().toString()
                found.append(_unit(location, location.rsplit("/", 1)[0], status.getLen()))
        units += found
    return units


def _in_folder(root: str, locations: list[tuple[str, int]], corpus: Corpus) -> list[Unit]:
    units = []
    for location, size in locations:
        relative = PurePosixPath(location[len(root) :].lstrip("/"))
        if any(part.startswith(".") for part in relative.parts):
            continue
        if supported(Path(relative.name)):
            units.append(_unit(location, root, size))
        else:
            corpus.ignored.append((relative.as_posix(), skipped_kind(Path(relative.name))))
    return units


def _unit(location: str, root: str, size: int) -> Unit:
    """A file Spark reads from `location`, named relative to `root`; a file: URL keeps the local
    file's IRI (a build of the same files by path gives the same graph)."""
    local = location.startswith("file:")
    source = SourceFile(_path_of(location), _path_of(root), url=None if local else location)
    return Unit(source, location=location, size=size)


def _path_of(location: str) -> Path:
    """The path of a Hadoop URL: file:/a/b -> /a/b, hdfs://host:8020/a/b -> /a/b."""
    scheme, _, rest = location.partition(":")
    if scheme != "file" and rest.startswith("//"):
        rest = rest[2:].partition("/")[2]
    return Path("/" + rest.lstrip("/"))


def _java_message(exc: Exception) -> str:
    text = str(getattr(exc, "java_exception", exc))
    return text.splitlines()[0] if text else type(exc).__name__
