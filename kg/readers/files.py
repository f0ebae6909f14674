"""Opening corpus files: regular files only, read with the size limit enforced as the bytes come.

`st_size` says nothing true about a symlink to /dev/zero or a FIFO: a file is opened without
blocking, checked on the open descriptor (no gap between check and open) and read up to the
limit and one byte more. Gzip files (`page.html.gz`) are read as their plain forms, with the
limit applied to what they expand to.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import zlib
from pathlib import Path
from typing import BinaryIO

from ..errors import PageError

_GZIP_WBITS = 16 + zlib.MAX_WBITS
_CHUNK = 1 << 20
_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def not_regular(mode: int) -> str | None:
    """What a file of this mode is when it is not a regular file ("a FIFO (named pipe)"); None if it is one."""
    if stat.S_ISREG(mode):
        return None
    return next((kind for test, kind in _KINDS if test(mode)), "not a regular file")


def why_unreadable(path: Path) -> str | None:
    """Why `path` cannot be a source (a loop, a device, a FIFO, gone), as a message; None when it is a regular file."""
    try:
        kind = not_regular(os.stat(path).st_mode)
    except OSError as exc:
        return _os_reason(exc)
    return f"{kind}, not a regular file; not read" if kind else None


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symbolic link loop; not read"
    if exc.errno == errno.ENOENT:
        return "broken symbolic link" if os.path.islink(exc.filename or "") else "no such file"
    return f"cannot read: {exc.strerror or exc}"


def open_regular(path: Path) -> BinaryIO:
    """The file open for reading, if it is a regular file; PageError naming what it is otherwise.

    O_NONBLOCK keeps the open of a FIFO from waiting for a writer; it changes nothing for a
    regular file.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise PageError(_os_reason(exc)) from None
    kind = not_regular(os.fstat(fd).st_mode)
    if kind:
        os.close(fd)
        raise PageError(f"{kind}, not a regular file; not read")
    return os.fdopen(fd, "rb")


def stream_sha256(stream: BinaryIO) -> str:
    """The sha256 of what is left to read in `stream`, read in pieces."""
    hasher = hashlib.sha256()
    while chunk := stream.read(_CHUNK):
        hasher.update(chunk)
    return hasher.hexdigest()


def read_limited(path: Path, limit: int, *, gunzip: bool = False) -> tuple[bytes, bytes]:
    """(the file's bytes, what kg reads from them): the same bytes, or for `gunzip` their
    expansion. PageError when the file is not a regular file or either is over `limit` bytes."""
    with open_regular(path) as stream:
        raw = stream.read(limit + 1)
    return raw, limit_bytes(raw, limit, gunzip=gunzip)


def limit_bytes(raw: bytes, limit: int, *, gunzip: bool = False) -> bytes:
    """What kg reads from a file's bytes (read_limited's second half, for bytes read elsewhere)."""
    if len(raw) > limit:
        raise PageError(f"file is over the {limit}-byte limit; not read")
    return _gunzip(raw, limit) if gunzip else raw


def _gunzip(raw: bytes, limit: int) -> bytes:
    """Every gzip member of `raw`, expanded to at most `limit` bytes."""
    out: list[bytes] = []
    size = 0
    pending = raw
    try:
        while pending:
            member = zlib.decompressobj(wbits=_GZIP_WBITS)
            while not member.eof:
                piece = member.decompress(pending, min(_CHUNK, limit + 1 - size))
                pending = member.unconsumed_tail
                if not piece and not pending:
                    break  # the input ended inside the member
                out.append(piece)
                size += len(piece)
                if size > limit:
                    raise PageError(f"expands to over the {limit}-byte limit; not read")
            if not member.eof:
                raise PageError("gzip file ends early (truncated)")
            pending = member.unused_data.lstrip(b"\x00")  # some tools pad the end with zeros
    except zlib.error as exc:
        raise PageError(f"not valid gzip ({exc})") from None
    return b"".join(out)
