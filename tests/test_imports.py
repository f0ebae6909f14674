"""What kg's modules import: no circle among them, and no store for `import kg` or `kg --help`."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import deque
from pathlib import Path

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


def kg_import_graph() -> dict[str, set[str]]:
    """Each module of kg and the modules of kg it imports, at the top or inside a function
    (a lazy import still ties the two), leaving out `if TYPE_CHECKING:` blocks."""
    package = Path(kg.__file__).parent
    modules = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph = {}
    for name, path in modules.items():
        here = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        checking_only = {
            id(inner)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")
            for inner in ast.walk(node)
        }
        imported = set()
        for node in ast.walk(tree):
            if id(node) in checking_only:
                continue
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = here.split(".")
                    base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
                candidates = [base, *(f"{base}.{alias.name}" for alias in node.names)]
            elif isinstance(node, ast.Import):
                candidates = [alias.name for alias in node.names]
            else:
                continue
            imported |= {c for c in candidates if c in modules and c != name}
        graph[name] = imported
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """For every module that can reach itself again, the shortest way back."""
    found = []
    for start in sorted(graph):
        way = {start: [start]}
        queue = deque([start])
        while queue:
            module = queue.popleft()
            if start in graph[module]:
                found.append([*way[module], start])
                break
            for other in sorted(graph[module] - way.keys()):
                way[other] = [*way[module], other]
                queue.append(other)
    return found


def test_no_module_of_kg_imports_one_that_imports_it_back():
    graph = kg_import_graph()
    assert len(graph) > 40 and "kg.cli" in graph
    # The graph sees imports inside functions: the command line imports kg serve's server only there.
    assert any("kg.serve" in imported for module, imported in graph.items() if module.startswith("kg.cli"))
    found = circles(graph)
    assert not found, "import circles:\n" + "\n".join(" -> ".join(circle) for circle in found)
