"""Finding the corpus: files, folders (recursive) and globs, or the bundled example."""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from .readers import READERS, SourceFile, supported

_GLOB_CHARS = set("*?[")


def example_corpus() -> Path:
    """The example corpus shipped inside the package (a real folder after pip install)."""
    return Path(str(resources.files("kg.data").joinpath("example")))


@dataclass
class Corpus:
    files: list[SourceFile] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (source, reason)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (path, what was skipped and why)


def _walk(folder: Path, notes: list[tuple[str, str]]) -> list[Path]:
    """Supported files under a folder, sorted; links to folders are noted, not followed (no loops)."""
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
        found.extend(Path(directory, name) for name in names if not name.startswith(".") and supported(Path(name)))
    return sorted(found)


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
    seen: set[Path] = set()

    def add(path: Path, root: Path) -> None:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            corpus.files.append(SourceFile(path, root))

    for source in sources or [str(example_corpus())]:
        path = Path(source)
        if path.is_dir():
            files = _walk(path, corpus.notes)
            if not files:
                known = ", ".join(sorted(READERS))
                corpus.problems.append((source, f"no pages found in this folder (kg reads {known})"))
            for file in files:
                add(file, path)
        elif path.is_file():
            add(path, path.parent)
        elif _GLOB_CHARS & set(source):
            matches = sorted(Path(m) for m in glob.glob(source, recursive=True) if Path(m).is_file())
            if not matches:
                corpus.problems.append((source, "no files match this pattern"))
            for match in matches:
                add(match, _glob_root(source))
        elif path.is_symlink():
            corpus.problems.append((source, "broken symbolic link"))
        else:
            corpus.problems.append((source, "no such file or directory"))
    return corpus
