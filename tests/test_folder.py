"""kg writes only into its own build folder, and writes files without following planted symlinks."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli.common import main
from kg.folder import MARKER
from kg.sources import example_corpus

ROOT = Path(__file__).resolve().parent.parent


def kg(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output, result.output
    return result


def crawl(folder: Path) -> Path:
    """A user's folder: the crawl itself in pages/, and a graph.ttl of their own."""
    (folder / "pages").mkdir(parents=True)
    for page in example_corpus().glob("*.txt"):
        shutil.copy(page, folder / "pages" / page.name)
    (folder / "graph.ttl").write_text("# the user's own graph\n", "utf-8")
    (folder / "app.js").write_text("console.log('mine')\n", "utf-8")
    return folder


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("built") / "out"
    result = kg("build", "-o", str(out))
    assert result.exit_code == 0, result.output
    return out


def test_a_build_into_a_folder_of_the_users_touches_nothing_and_exits_2(tmp_path: Path):
    folder = crawl(tmp_path / "site")
    before = snapshot(folder)
    result = kg("build", str(folder / "pages"), "-o", str(folder))
    assert result.exit_code == 2
    assert f"{folder}/ is not a kg build folder: it holds app.js, graph.ttl, pages" in result.output
    assert snapshot(folder) == before  # pages/ and graph.ttl as they were, and no store or marker added
    assert sorted(p.name for p in folder.iterdir()) == ["app.js", "graph.ttl", "pages"]


def test_a_foreign_store_folder_is_refused_without_a_traceback(tmp_path: Path):
    (tmp_path / "out" / "store").mkdir(parents=True)
    (tmp_path / "out" / "store" / "notes.txt").write_text("not an Oxigraph store", "utf-8")
    result = kg("build", "-o", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert "is not a kg build folder: it holds store" in result.output
    assert (tmp_path / "out" / "store" / "notes.txt").read_text("utf-8") == "not an Oxigraph store"


def test_a_new_or_empty_folder_becomes_kgs_and_its_other_files_stay(tmp_path: Path):
    (tmp_path / "empty").mkdir()
    for out in (tmp_path / "new" / "deeper", tmp_path / "empty"):
        assert kg("build", "-o", str(out)).exit_code == 0
        assert (out / MARKER).is_file() and (out / "store").is_dir()
    # A file the user adds to a build folder later survives the next (full) build.
    (tmp_path / "empty" / "notes.md").write_text("mine", "utf-8")
    assert kg("build", "--full", "-o", str(tmp_path / "empty")).exit_code == 0
    assert (tmp_path / "empty" / "notes.md").read_text("utf-8") == "mine"


def test_a_build_folder_of_an_earlier_kg_without_the_marker_keeps_working(built: Path, tmp_path: Path):
    earlier = tmp_path / "earlier"
    shutil.copytree(built, earlier)
    (earlier / MARKER).unlink()
    (earlier / "README.md").write_text("the user's notes\n", "utf-8")
    result = kg("build", "--full", "-o", str(earlier))
    assert result.exit_code == 0, result.output
    assert (earlier / MARKER).is_file()  # recognised by its store, and marked
    assert (earlier / "README.md").read_text("utf-8") == "the user's notes\n"


def test_the_bundled_output_folder_takes_the_quick_start_build(tmp_path: Path):
    # What a fresh checkout's output/ holds: its README.md, .gitignore and kg's marker.
    tracked = subprocess.run(["git", "ls-files", "output"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    if not tracked:
        pytest.skip("not a git checkout")
    assert "output/.kg-build" in tracked
    checkout = tmp_path / "checkout"
    for name in tracked:
        (checkout / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, checkout / name)
    result = subprocess.run([sys.executable, "-m", "kg", "build"], cwd=checkout, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (checkout / "output" / "graph.ttl").is_file()
    assert (checkout / "output" / "README.md").read_bytes() == (ROOT / "output" / "README.md").read_bytes()


# ---------------------------------------------------------------------------- part 7: written files


def test_an_export_never_writes_through_a_planted_symlink(built: Path, tmp_path: Path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", "utf-8")
    target = tmp_path / "graph.nt"
    # The name earlier versions wrote to, and names an attacker might guess for this process.
    (tmp_path / ".graph.nt.partial").symlink_to(victim)
    result = kg("export", "-o", str(built), "-f", "ntriples", "--to", str(target))
    assert result.exit_code == 0, result.output
    assert victim.read_text("utf-8") == "precious"
    assert target.is_file() and not target.is_symlink() and target.stat().st_size > 1000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.nt", "victim.txt"]  # the planted link is gone


def test_a_killed_exports_leftover_is_removed_by_the_next_run(built: Path, tmp_path: Path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    leftover = tmp_path / f".graph.ttl.{dead.stdout.strip()}-k1ll3d.partial"
    leftover.write_bytes(b"@prefix half-written")
    result = kg("export", "-o", str(built), "--to", str(tmp_path / "graph.ttl"))
    assert result.exit_code == 0, result.output
    assert not leftover.exists()
    assert (tmp_path / "graph.ttl").read_bytes() == (built / "graph.ttl").read_bytes()


@pytest.mark.parametrize("command", ["export", "view"])
def test_writing_into_the_store_or_a_folder_is_refused(built: Path, command: str):
    before = snapshot(built / "store")
    for inside in ("store/graph.ttl", "store/sub/graph.ttl", "pages/graph.html"):
        result = kg(command, "-o", str(built), "--to", str(built / inside))
        assert result.exit_code == 2, result.output
        assert f"is inside the build folder's {inside.split('/')[0]}/, which only kg writes" in result.output
    assert snapshot(built / "store") == before
    result = kg(command, "-o", str(built), "--to", str(built))
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1, result.output  # one line: a folder is not a file
