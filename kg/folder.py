"""Whose folder it is and how kg writes files: the build folder's marker, and atomic files.

A build folder is kg's when it holds kg's marker file. kg writes the marker into a
folder that is new or empty before anything else, and refuses to build into a folder
holding anything else: its store/, pages/ and graph.* would replace a user's files of
those names. A folder built before the marker existed is recognised by its store (an
Oxigraph store holding one of kg's own graphs) and marked on its next build.

Files that kg writes where a user may point it (`kg export --to`, `kg view --to`, the
exports of a build folder) are written to a temporary file made with exclusive creation
(O_EXCL: a symlink planted under its name is never followed), then renamed into place.
"""

from __future__ import annotations

import functools
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from .errors import KgError

MARKER = ".kg-build"
MARKER_TEXT = (
    "This folder is a kg build folder. kg replaces its store/, pages/ and graph.* files;\n"
    "it builds only into a folder that holds this file, or a new or empty one.\n"
)
# What kg leaves in a build folder while a build runs or after one was killed (a store/ or
# pages/ of its own is recognised by what it holds, not by its name).
_OWN_NAMES = {".lock", MARKER}
_OWN_PREFIXES = (".staging-", ".retired-", ".old-pages-", ".checkpoint-")
_KG_GRAPHS = ("urn:kg:graph:provenance", "urn:kg:graph:concepts")
# The names of temporary files: ".NAME.PID-RANDOM.partial" (the process id says whose it is).
_PARTIAL = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)-[^.]+\.partial$")
# The build folders' own store and checkpoint, which no export may be written into.
_PROTECTED = ("store", "pages")


class NotABuildFolder(KgError):
    """A folder kg was asked to build into holds files that are not kg's."""

    exit_code = 2


class DestinationError(KgError):
    """A file cannot be written where it was asked to go (a folder, or inside a store)."""

    exit_code = 2


def claim(output: Path | str) -> Path:
    """Make sure `output` is kg's build folder before a build writes anything there, and mark it.

    New, empty, already marked, or built by an earlier kg (recognised by its store): it is
    kg's. Anything else raises NotABuildFolder, before anything in it is touched.
    """
    output = Path(output)
    if output.exists() and not output.is_dir():
        raise NotABuildFolder(f"{output} is a file, not a build folder; choose a folder with -o")
    if (output / MARKER).is_file():
        return output
    if output.is_dir():
        entries = sorted(entry.name for entry in output.iterdir())
        if entries and not _earlier_build(output) and not all(_own(name) for name in entries):
            shown = ", ".join(entries[:5]) + (f" and {len(entries) - 5} more" if len(entries) > 5 else "")
            raise NotABuildFolder(
                f"{output}/ is not a kg build folder: it holds {shown}. kg builds only into a new or "
                "empty folder, or one it built (a build replaces store/, pages/ and graph.* there); "
                "choose another with -o DIR"
            )
    output.mkdir(parents=True, exist_ok=True)
    try:  # exclusive: never through a symlink planted under the marker's name
        descriptor = os.open(output / MARKER, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return output
    with os.fdopen(descriptor, "w", encoding="utf-8") as marker:
        marker.write(MARKER_TEXT)
    return output


def is_build_folder(output: Path | str) -> bool:
    """Whether `output` holds kg's marker, or a store an earlier kg built there."""
    output = Path(output)
    return (output / MARKER).is_file() or _earlier_build(output)


def _own(name: str) -> bool:
    return name in _OWN_NAMES or name.startswith(_OWN_PREFIXES)


def _earlier_build(output: Path) -> bool:
    """A build folder of a kg from before the marker: its store/ is an Oxigraph store that
    holds kg's provenance graph or concept graph."""
    store = output / "store"
    if not (store / "CURRENT").is_file():  # every RocksDB folder has one; a user's store/ rarely
        return False
    import pyoxigraph as ox

    try:
        opened = ox.Store.read_only(str(store))
        return any(opened.contains_named_graph(ox.NamedNode(graph)) for graph in _KG_GRAPHS)
    except (OSError, ValueError):
        return False


def check_destination(output: Path | str, destination: Path | str) -> Path:
    """`destination` as a file kg may write: not a folder, not inside the build folder's store."""
    path = Path(destination)
    if path.is_dir():
        raise DestinationError(f"--to {path} is a folder; give a file name (e.g. {path / 'graph.ttl'})")
    resolved = path.resolve()
    for name in _PROTECTED:
        inside = (Path(output) / name).resolve()
        if resolved == inside or resolved.is_relative_to(inside):
            raise DestinationError(f"--to {path} is inside the build folder's {name}/, which only kg writes")
    if not path.parent.is_dir():
        raise DestinationError(f"--to {path}: there is no folder {path.parent}")
    return path


@contextmanager
def atomic_file(path: Path | str) -> Iterator[BinaryIO]:
    """A new temporary file beside `path` (exclusive creation), renamed to `path` when the
    block ends without error and removed otherwise. What a killed writer left beside `path`
    is removed first."""
    path = Path(path)
    sweep_partials(path)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}-", suffix=".partial")
    try:
        with os.fdopen(descriptor, "wb") as stream:
            yield stream
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes it 0600; an export is an ordinary file
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)


def sweep_partials(path: Path) -> None:
    """Remove the temporary files for `path` that processes no longer running left behind."""
    try:
        entries = list(path.parent.iterdir())
    except OSError:
        return
    for entry in entries:
        match = _PARTIAL.match(entry.name)
        # (".NAME.partial": the fixed name earlier versions used)
        ours = match and match["name"] == path.name and not _alive(int(match["pid"]))
        if ours or entry.name == f".{path.name}.partial":
            entry.unlink(missing_ok=True)  # a symlink is removed itself, never followed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


@functools.cache
def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
