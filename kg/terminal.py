"""Text for a terminal: what pages wrote is shown with its control and bidi characters escaped.

A label holding ESC sequences could set the terminal's title or clear its screen, and a
bidi override reorders the line it is on. kg writes such characters as \\x1b or \\u202e
wherever page text reaches a terminal (tables, stats, paths, messages); CSV, TSV, JSON and
RDF written to a file or a pipe stay exact.
"""

from __future__ import annotations

import codecs
import re
from typing import BinaryIO

# C0 controls but tab and newline, DEL and the C1 controls, the bidi marks, embeddings,
# overrides and isolates, and the line and paragraph separators.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with every character that would steer a terminal written as an escape."""
    return _UNSAFE.sub(_escape, text)


class EscapingWriter:
    """A binary stream's writer that escapes what `printable` escapes, across chunk boundaries."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def write(self, data: bytes) -> int:
        self.stream.write(printable(self.decoder.decode(data)).encode("utf-8"))
        return len(data)

    def flush(self) -> None:
        self.stream.write(printable(self.decoder.decode(b"", final=True)).encode("utf-8"))
        self.stream.flush()
