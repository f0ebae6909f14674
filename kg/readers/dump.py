"""Crawler dumps (.txt, .md): markdown, fenced ```json blocks, and an **Original URL:** line."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from ..config import BuildConfig
from ..errors import PageError
from . import Block, Page, Skipped, SourceFile, digest, fallback_url, looks_binary, non_empty

_ORIGINAL_URL = re.compile(r"^\s*\*\*Original URL:\*\*\s*<?\[?([^\s<>\]\)]+)", re.MULTILINE | re.IGNORECASE)
# A CommonMark fence opener: up to three spaces, three or more backticks or tildes, an info string.
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})[ \t]*([^\s`]*)[^\n]*$", re.MULTILINE)
_JSON_INFO = {"json", "jsonld", "json-ld", "ld+json", "application/ld+json"}


def decode_text(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM) or BOM-marked UTF-16; anything else is refused."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PageError(f"not UTF-8 text (undecodable byte at offset {exc.start})") from None


def json_fences(text: str) -> Iterator[Block]:
    """Every fenced block whose info string says JSON, with its line number.

    Follows CommonMark's fence rules (a closing fence uses the same character, at
    least as many of them, and nothing else); an unclosed fence runs to the end.
    The scan jumps from fence to fence with regular expressions over the whole text:
    on a 15 KB page that is several times faster than walking it line by line.
    """
    position = 0
    count = 0
    line, counted_to = 1, 0  # line numbers counted as the scan goes: each newline once
    markers = _Markers(text)
    while opener := _next_fence(text, position, markers):
        fence, info = opener.group(1), opener.group(2).lower()
        body_start = opener.end() + 1
        closer = _next_closer(text, body_start, fence)
        body_end, position = (closer.start(), closer.end()) if closer else (len(text), len(text))
        if info in _JSON_INFO:
            count += 1
            line += text.count("\n", counted_to, opener.start())
            counted_to = opener.start()
            yield Block(text[body_start:body_end].removesuffix("\n"), f"block {count} (line {line})")


class _Markers:
    """Where the next ``` and ~~~ are: each is searched for again only once the scan has passed
    it, so a text without one kind is not scanned to its end at every fence (quadratic)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.found: dict[str, int] = {}  # marker -> its next place (-1: none after the last search)

    def next(self, position: int) -> int:
        """The first marker at or after `position` (which never goes back), or -1."""
        best = -1
        for marker in ("```", "~~~"):
            hit = self.found.get(marker)
            if hit is None or 0 <= hit < position:
                hit = self.found[marker] = self.text.find(marker, position)
            if hit >= 0 and (best < 0 or hit < best):
                best = hit
        return best


def _next_fence(text: str, position: int, markers: _Markers | None = None) -> re.Match[str] | None:
    """The next fence opener at or after `position`: find the marker with str.find, then
    check its line with the anchored pattern (a regex scan for `^` would test every character)."""
    markers = markers or _Markers(text)
    while True:
        hit = markers.next(position)
        if hit < 0:
            return None
        line_start = text.rfind("\n", 0, hit) + 1
        opener = _FENCE.match(text, line_start)
        if opener and opener.start(1) == hit:
            return opener
        line_end = text.find("\n", hit)
        if line_end < 0:
            return None
        position = line_end + 1


def _next_closer(text: str, position: int, fence: str) -> re.Match[str] | None:
    """The line that closes `fence`: the same character, at least as many, nothing else."""
    pattern = _closer(fence[0], len(fence))
    while (hit := text.find(fence, position)) >= 0:
        line_start = text.rfind("\n", 0, hit) + 1
        closer = pattern.match(text, line_start)
        if closer:
            return closer
        line_end = text.find("\n", hit)
        if line_end < 0:
            return None
        position = line_end + 1
    return None


@functools.lru_cache(maxsize=16)
def _closer(character: str, length: int) -> re.Pattern[str]:
    return re.compile(rf" {{0,3}}{re.escape(character)}{{{length},}}[ \t]*$", re.MULTILINE)


def read(data: bytes, source: SourceFile, config: BuildConfig) -> Iterator[Page | Skipped]:
    if looks_binary(data):
        raise PageError("binary file, not a text dump")
    text = decode_text(data, source.name)
    warnings: list[str] = []
    found = _ORIGINAL_URL.search(text)
    if not found and _next_fence(text, 0) is None:  # notes, a licence, a README: not a crawler dump
        suffix = source.path.suffix.lower()
        yield Skipped(f"{suffix} without a fence or Original URL", whole_file=True)
        return
    url = found.group(1) if found else fallback_url(source, config, warnings, "no **Original URL:** line")
    blocks = non_empty(json_fences(text), warnings)
    yield Page(source, "dump", url, blocks, digest(data), len(data), warnings=warnings)
