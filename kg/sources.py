"""Finding the corpus: files, folders (recursive) and globs, or the bundled example."""

from __future__ import annotations

import errno
import glob
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from .readers import READERS, SourceFile, skipped_kind, supported
from .readers.files import why_unreadable

_GLOB_CHARS = set("*?[")


def example_corpus() -> Path:
    """The example corpus shipped inside the package (a real folder after pip install)."""
    return Path(str(resources.files("kg.data").joinpath("example")))


@dataclass
class Corpus:
    files: list[SourceFile] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (source, reason)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (path, what was skipped and why)
    # Files in the folders given that kg does not read (a .pdf, a .php): (path, suffix), counted in the summary.
    ignored: list[tuple[str, str]] = field(default_factory=list)


def _walk(folder: Path, notes: list[tuple[str, str]], ignored: list[tuple[str, str]]) -> list[Path]:
    """Supported files under a folder, sorted; links to folders are noted, not followed (no loops);
    the other files (hidden ones aside) are listed in `ignored`."""
    found = []
    for directory, subdirs, names in os.walk(folder, followlinks=False):
        for name in subdirs:
            if Path(directory, name).is_symlink():
                notes.append(
                    (
                        Path(directory, name).relative_to(folder).as_posix(),
                        "symbolic link to a folder not followed (it could loop)",
                    )
                )
        subdirs[:] = sorted(d for d in subdirs if not d.startswith(".") and not Path(directory, d).is_symlink())
        for name in names:
            if name.startswith("."):
                continue
            if supported(Path(name)):
                found.append(Path(directory, name))
            else:
                ignored.append((Path(directory, name).relative_to(folder).as_posix(), skipped_kind(Path(name))))
    ignored.sort()
    return sorted(found)


def _under(real: str, root: Path) -> bool:
    return os.path.commonpath([real, os.path.realpath(root)]) == os.path.realpath(root)


def _loops(path: Path) -> bool:
    """A symbolic link that leads back to itself (which is_file() and exists() call missing)."""
    try:
        os.stat(path)
    except OSError as exc:
        return exc.errno == errno.ELOOP
    return False


def _glob_root(pattern: str) -> Path:
    parts = []
    for part in Path(pattern).parts:
        if _GLOB_CHARS & set(part):
            break
        parts.append(part)
    return Path(*parts) if parts else Path(".")


def find_sources(sources: list[str] | None) -> Corpus:
    """Resolve command-line sources into corpus files; what cannot be used is listed, not raised."""
    corpus = Corpus()
    seen: set[str] = set()

    def add(path: Path, root: Path) -> None:
        # Only regular files: a FIFO would hang the read, a link to /dev/zero never end,
        # a symlink loop cannot be opened. Each is reported, by the name the user gave it.
        reason = why_unreadable(path)
        if reason:
            corpus.problems.append((SourceFile(path, root).name, reason))
            return
        # A link and its target are one source, named by the target (inside the folder if it is).
        real = os.path.realpath(path)
        if real in seen:
            return
        seen.add(real)
        if os.path.islink(path):
            inside = Path(real).relative_to(os.path.realpath(root)) if _under(real, root) else None
            path = root / inside if inside is not None else Path(real)
        corpus.files.append(SourceFile(path, root))

    for source in sources or [str(example_corpus())]:
        path = Path(source)
        if path.is_dir():
            files = _walk(path, corpus.notes, corpus.ignored)
            if not files:
                known = ", ".join(sorted(READERS))
                corpus.problems.append((source, f"no pages found in this folder (kg reads {known})"))
            for file in files:
                add(file, path)
        elif os.path.exists(path) or _loops(path):  # a file, or something in a file's place (a FIFO, a device)
            add(path, path.parent)
        elif _GLOB_CHARS & set(source):
            # Not only regular files: a FIFO or a device among the matches is reported, not passed over.
            matches = sorted(Path(m) for m in glob.glob(source, recursive=True) if not Path(m).is_dir())
            if not matches:
                corpus.problems.append((source, "no files match this pattern"))
            for match in matches:
                add(match, _glob_root(source))
        elif path.is_symlink():
            corpus.problems.append((source, "broken symbolic link"))
        else:
            corpus.problems.append((source, "no such file or directory"))
    return corpus
