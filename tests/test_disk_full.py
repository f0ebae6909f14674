"""A full disk during build, export, view, link or update: one line, exit 2, nothing lost.

The disk is a real one: a small tmpfs mounted in a mount namespace of its own
(`unshare -r -m`, no root needed where user namespaces are allowed), where kg runs as a
user would; the test skips where that cannot be done.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli.common import main

# Runs inside the namespace: mount the tmpfs, fill it but for `room` bytes, run kg, and
# report what happened and what the folder holds afterwards.
SCENARIO = r"""
import hashlib, json, os, pathlib, shutil, subprocess, sys

disk, size, room = sys.argv[1], sys.argv[2], int(sys.argv[3])
setup, command = json.loads(sys.argv[4]), json.loads(sys.argv[5])
subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", disk], check=True)
for source, target in setup:
    shutil.copytree(source, os.path.join(disk, target))
if room >= 0:
    stat = os.statvfs(disk)
    with open(os.path.join(disk, "filler"), "wb") as filler:
        try:
            filler.write(b"\0" * max(stat.f_bavail * stat.f_frsize - room, 0))
        except OSError:
            pass


def files(folder):  # the files a user sees (the stores are compared by what kg reads from them)
    found = sorted(p for p in pathlib.Path(folder).rglob("*") if p.is_file() and p.name != "filler")
    keep = [p for p in found if not {"store", "pages"} & set(p.parts)]
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in keep}


def names():
    out = os.path.join(disk, "out")
    inside = [f"out/{name}" for name in os.listdir(out)] if os.path.isdir(out) else []
    return sorted([name for name in os.listdir(disk) if name != "filler"] + inside)


before = files(disk)
run = subprocess.run([sys.executable, "-m", "kg", *command], capture_output=True, text=True, cwd=disk)
report = {"code": run.returncode, "stderr": run.stderr, "before": before, "after": files(disk), "names": names()}
print(json.dumps(report))
"""


def on_a_small_disk(tmp_path: Path, size: str, room: int, command: list[str], setup=()) -> dict:
    if shutil.which("unshare") is None:
        pytest.skip("unshare is not here")
    disk = tmp_path / "disk"
    disk.mkdir()
    args = [sys.executable, "-c", SCENARIO, str(disk), size, str(room), json.dumps(setup), json.dumps(command)]
    run = subprocess.run(["unshare", "-r", "-m", *args], capture_output=True, text=True)
    if run.returncode != 0 or not run.stdout.strip():
        pytest.skip(f"cannot mount a tmpfs in a user namespace here: {run.stderr.strip()[-200:]}")
    return json.loads(run.stdout)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("full") / "out"
    assert CliRunner().invoke(main, ["build", "-o", str(out)]).exit_code == 0
    return out


def one_line_exit_2(result: dict) -> None:
    assert result["code"] == 2, result
    assert "Traceback" not in result["stderr"]
    assert result["stderr"].startswith("Error: No space left on device"), result["stderr"]
    assert result["stderr"].endswith("nothing was changed (the build folder and files are as they were)\n")
    assert len(result["stderr"].splitlines()) == 1


def test_a_first_build_on_a_full_disk(tmp_path: Path):
    result = on_a_small_disk(tmp_path, "600k", -1, ["build", "-o", "out"])
    one_line_exit_2(result)
    assert result["names"] == ["out", "out/.kg-build", "out/.lock"]  # no staging folder left behind


@pytest.mark.parametrize(
    "command",
    [
        ["build", "--full", "-o", "out"],
        ["link", "-o", "out"],
        ["query", "-o", "out", "--update", "-e", "INSERT DATA { GRAPH <urn:x:n> { <urn:x:a> <urn:x:b> 'c' } }"],
    ],
    ids=["build", "link", "update"],
)
def test_a_build_folder_on_a_full_disk_keeps_its_build(built: Path, tmp_path: Path, command: list[str]):
    result = on_a_small_disk(tmp_path, "4m", 40_000, command, setup=[(str(built), "out")])
    one_line_exit_2(result)
    assert result["after"] == result["before"]  # graph.ttl and the rest as they were
    assert not [name for name in result["names"] if ".staging-" in name]


@pytest.mark.parametrize("command", [["export", "-f", "nquads", "--to", "x.nq"], ["view", "--to", "x.html"]])
def test_an_export_or_a_view_on_a_full_disk_leaves_no_part_written(built: Path, tmp_path: Path, command: list[str]):
    result = on_a_small_disk(tmp_path, "64k", -1, [command[0], "-o", str(built), *command[1:]])
    one_line_exit_2(result)
    assert result["names"] == []  # neither the file nor a temporary one
