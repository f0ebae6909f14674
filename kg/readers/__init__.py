"""Input readers: a registry from file suffix to the reader that turns a file into pages.

Adding a format is one entry in READERS; the module is imported only when a file
of that kind is read.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..config import BuildConfig
from ..errors import PageError

# suffix -> (reader name, "module:function")
READERS: dict[str, tuple[str, str]] = {
    ".txt": ("dump", "kg.readers.dump:read"),
    ".md": ("dump", "kg.readers.dump:read"),
    ".html": ("html", "kg.readers.html:read"),
    ".htm": ("html", "kg.readers.html:read"),
    ".xhtml": ("html", "kg.readers.html:read"),
    # Saved pages are often kept compressed; they are read as their plain forms.
    ".html.gz": ("html", "kg.readers.html:read"),
    ".htm.gz": ("html", "kg.readers.html:read"),
    ".jsonld": ("jsonld", "kg.readers.jsonfile:read"),
    ".json": ("jsonld", "kg.readers.jsonfile:read"),
    ".warc": ("warc", "kg.readers.warc:read"),
    ".warc.gz": ("warc", "kg.readers.warc:read"),
}
# Readers that open `source.path` themselves when given no bytes: archives can be gigabytes,
# so they stream, and the size limit applies to each record rather than to the file.
STREAMED = frozenset({"warc"})


@dataclass
class Block:
    """One JSON-LD block as found in a page: its raw text and where it was."""

    text: str
    where: str  # "block 2 (line 48)", for messages


@dataclass
class SourceFile:
    """A file of the corpus and the folder its name is relative to."""

    path: Path
    root: Path
    # A file Spark reads through a Hadoop file system (hdfs://…, s3a://…): its URL, which
    # names it in IRIs; `path` and `root` are then the URL's path and its folder's.
    url: str | None = None

    @property
    def name(self) -> str:
        try:
            return self.path.relative_to(self.root).as_posix()
        except ValueError:
            return self.path.as_posix()

    def iri(self) -> str:
        """The file's own IRI, for a page that names no URL: its file: IRI, or its URL."""
        return self.url or self.path.resolve().as_uri()


@dataclass
class Page:
    """What a reader found in one page: its URL, its JSON-LD blocks, and what it had to say."""

    source: SourceFile
    reader: str
    url: str
    blocks: list[Block]
    sha256: str
    size: int
    warnings: list[str] = field(default_factory=list)
    record: str | None = None  # the record within an archive, when a file holds many pages

    @property
    def label(self) -> str:
        """How messages name this page: the file, and the record for archives."""
        return f"{self.source.name}#{self.record}" if self.record else self.source.name


@dataclass(frozen=True)
class Skipped:
    """A record of an archive that is not a page (a request, an image, a failed response), or a
    whole file that is not one (a .txt of notes): counted, not built."""

    reason: str  # reads after a count, as in "5 not HTML"
    whole_file: bool = False


Reader = Callable[[bytes | None, SourceFile, BuildConfig], Iterator[Page | Skipped]]


def registered_suffix(path: Path) -> str:
    """The suffix a file is registered under: `.warc.gz` for `crawl.warc.gz`, else its last suffix."""
    double = "".join(path.suffixes[-2:]).lower()
    return double if double in READERS else path.suffix.lower()


def supported(path: Path) -> bool:
    return registered_suffix(path) in READERS


def compressed(path: Path) -> bool:
    """Whether kg reads the file through gzip (`page.html.gz`); archives stream their own."""
    suffix = registered_suffix(path)
    return suffix.endswith(".gz") and suffix in READERS and READERS[suffix][0] not in STREAMED


def skipped_kind(path: Path) -> str:
    """How the summary counts a file kg does not read: its suffix (".pdf"), or "(no suffix)"."""
    return path.suffix.lower() or "(no suffix)"


def reader_for(path: Path) -> tuple[str, Reader]:
    """The reader registered for a file's suffix; PageError if there is none."""
    suffix = registered_suffix(path)
    try:
        name, target = READERS[suffix]
    except KeyError:
        known = ", ".join(sorted(READERS))
        raise PageError(f"unsupported file type {suffix or '(none)'!r}; kg reads {known}") from None
    module, function = target.split(":")
    return name, getattr(importlib.import_module(module), function)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def looks_binary(data: bytes) -> bool:
    """NUL bytes in the first 8 KB mean a binary file (UTF-16 text is recognised by its BOM)."""
    head = data[:8192]
    return b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff"))


# Scripts that templates leave when they had nothing to say: not JSON-LD, not an error.
_NOTHING = {"": "empty", "null": "null", "false": "false"}


def non_empty(blocks: Iterable[Block], warnings: list[str]) -> list[Block]:
    """The blocks that hold something; an empty, `null` or `false` one is skipped with a warning."""
    kept = []
    for block in blocks:
        what = _NOTHING.get(block.text.strip()) if len(block.text) < 64 else None
        if what is None:
            kept.append(block)
        else:
            warnings.append(f"{block.where} is {what}; skipped")
    return kept


def fallback_url(source: SourceFile, config: BuildConfig, warnings: list[str], why: str) -> str:
    """The URL of a page that names none: under --base-url if given, else a file: IRI (with a warning)."""
    if config.base_url:
        from urllib.parse import quote, urljoin

        return urljoin(config.base_url, quote(source.name))
    warnings.append(f"{why}; using its file: IRI (give --base-url to place it on the web)")
    return source.iri()
