"""What `import kg` and `kg --help` load: no store, so the command line starts at once."""

from __future__ import annotations

import subprocess
import sys

import pytest

import kg

HEAVY = ("pyoxigraph", "pyld", "networkx", "rdflib")


def imported_modules(*args: str) -> set[str]:
    """The modules a fresh interpreter imports to run `python -X importtime ARGS`."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *args], capture_output=True, text=True, timeout=60, check=True
    )
    return {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}


@pytest.mark.parametrize("args", [("-c", "import kg"), ("-m", "kg", "--help")], ids=["import kg", "kg --help"])
def test_starting_kg_imports_no_store(args):
    modules = imported_modules(*args)
    assert "kg" in modules
    loaded = sorted(name for name in modules if name.split(".")[0] in HEAVY)
    assert loaded == [], f"{' '.join(args)} imported {loaded}"


def test_public_names_still_resolve():
    for name in kg.__all__:
        assert getattr(kg, name) is not None, name
    assert kg.build.__module__ == "kg.build"
    assert issubclass(kg.QueryError, kg.KgError)
    assert set(kg.__all__) == set(kg._EXPORTS) and set(kg.__all__) <= set(dir(kg))
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        kg.nothing_here  # noqa: B018
