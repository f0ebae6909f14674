"""Shared fixtures: the ../shared folder (seeds, conformance suite) and build folders."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def shared_path(*parts: str) -> Path:
    """A path under ../shared; skip the test when it is absent, fail when CI requires it."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if os.environ.get("KG_REQUIRE_SHARED") == "1":
            pytest.fail(f"KG_REQUIRE_SHARED=1 but {path} is missing")
        pytest.skip(f"{path} is not here (tests that use ../shared skip without it)")
    return path


@pytest.fixture
def seeds_dir() -> Path:
    return shared_path("seeds")


@pytest.fixture
def conformance_dir() -> Path:
    return shared_path("conformance", "json-ld-api", "tests")


# Figures tests want shown at the end of the run (fuzzing counts, differential tallies).
SUMMARY: dict[str, str] = {}


def pytest_terminal_summary(terminalreporter) -> None:
    for line in SUMMARY.values():
        terminalreporter.write_line(line)


def write_files(folder: Path, files: dict[str, str | bytes]) -> Path:
    """Write a corpus folder: name -> text (UTF-8) or bytes; subfolders are made as needed."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def build_corpus(folder: Path, files: dict[str, str | bytes]) -> Path:
    """Write `files` to folder/pages, build them into folder/out, and return folder/out."""
    from kg import BuildConfig, build

    write_files(folder / "pages", files)
    report = build([str(folder / "pages")], BuildConfig(output=folder / "out"))
    assert report.committed and report.failed == 0, report.messages()
    return folder / "out"


def query_rows(output: Path, *args: str) -> list[list[str]]:
    """The rows (header left out) that `kg query -o OUTPUT ARGS -f csv` prints."""
    from click.testing import CliRunner

    from kg.cli.common import main

    result = CliRunner().invoke(main, ["query", "-o", str(output), *args, "-f", "csv"])
    assert result.exit_code == 0, result.output
    return list(csv.reader(io.StringIO(result.output)))[1:]


def readme_section(heading: str) -> str:
    """The text of the README under `## heading`, up to the next heading of that level."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end >= 0 else len(text)]


def readme_library_queries() -> list[str]:
    """The queries the README's library table names, in its order."""
    import re

    return re.findall(r"^\| `([\w-]+)` \|", readme_section("The query library"), re.MULTILINE)
