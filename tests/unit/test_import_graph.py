"""The import graph of posescore/ and api/: no cycles, no upward imports, short modules.

Every module is parsed with ``ast`` (nothing is imported); imports inside functions count as
edges too, so a lazy import does not hide a cycle. ``from pkg import name`` is an edge to
``pkg.name`` when that is a module, else to ``pkg`` (its ``__init__``).
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("posescore", "api")
SPLIT_PACKAGES = (
    "posescore.pose",
    "posescore.signals",
    "posescore.gait",
    "posescore.features",
    "posescore.phenomenology",
    "posescore.phantom.kinematics",
    "posescore.config",
    "posescore.cli",
    "posescore.contract",
    "api.routes",
)
"""Stages split into one module per job, each ``__init__`` re-exporting the public names:
their modules stay short and import each other directly, never through the ``__init__``."""
MAX_MODULE_LINES = 500

LAYERS: tuple[tuple[str, ...], ...] = (
    ("posescore.constants", "posescore.errors", "posescore.numbers", "posescore.threads",
     "posescore.runner"),
    ("posescore.config", "posescore.contract", "posescore.geometry"),
    ("posescore.types",),
    ("posescore.video",),
    ("posescore.pose",),
    ("posescore.signals",),
    ("posescore.gait",),
    ("posescore.features",),
    ("posescore.phenomenology",),
)
"""The pipeline's floors, ground first (video -> pose -> signals -> gait -> features ->
phenomenology): a module (or package) imports only from its own floor or below, never from a
later stage nor from anything not listed (scoring, model, CLI, service)."""


def module_files(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> dict[str, Path]:
    """Dotted module name -> source file of every module under ``packages``."""
    files = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            files[".".join(parts)] = path
    return files


def imported_modules(source: str, module: str, is_package: bool, known: set[str]) -> set[str]:
    """Modules of ``known`` that ``module``'s source imports anywhere (functions included)."""
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in known else base)
    return {name for name in found if name in known and name != module}


def import_graph(files: Optional[dict[str, Path]] = None) -> dict[str, set[str]]:
    """Module -> the modules it imports, over ``files`` (``module_files()`` by default)."""
    files = module_files() if files is None else files
    known = set(files)
    return {
        name: imported_modules(
            path.read_text(encoding="utf-8"), name, path.name == "__init__.py", known
        )
        for name, path in files.items()
    }


def find_cycle(graph: dict[str, set[str]]) -> Optional[list[str]]:
    """One import cycle ``[a, b, ..., a]`` of ``graph``, or None when it has none (DFS)."""
    done: set[str] = set()
    for start in sorted(graph):
        if start in done:
            continue
        path, on_path = [start], {start}
        stack = [iter(sorted(graph.get(start, ())))]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                stack.pop()
                done.add(path[-1])
                on_path.discard(path.pop())
            elif nxt in on_path:
                return path[path.index(nxt):] + [nxt]
            elif nxt not in done:
                path.append(nxt)
                on_path.add(nxt)
                stack.append(iter(sorted(graph.get(nxt, ()))))
    return None


def layer_of(module: str, layers: tuple[tuple[str, ...], ...] = LAYERS) -> Optional[int]:
    """Index of the floor of ``layers`` that holds ``module`` (itself or a parent package)."""
    for index, floor in enumerate(layers):
        if any(module == name or module.startswith(name + ".") for name in floor):
            return index
    return None


def upward_imports(
    graph: dict[str, set[str]], layers: tuple[tuple[str, ...], ...] = LAYERS
) -> list[tuple[str, str]]:
    """``(module, imported)`` pairs where a layered module imports a higher or unlisted one."""
    found = []
    for module in sorted(graph):
        own = layer_of(module, layers)
        if own is None:
            continue
        for dep in sorted(graph[module]):
            level = layer_of(dep, layers)
            if level is None or level > own:
                found.append((module, dep))
    return found


def imports_of_own_package(
    graph: dict[str, set[str]], packages: tuple[str, ...] = SPLIT_PACKAGES
) -> list[tuple[str, str]]:
    """``(module, package)`` pairs where a module imports the ``__init__`` of its own package.

    Only ``packages`` (whose ``__init__`` re-exports their modules) count: a module that
    imported one would import its siblings through it, an import cycle in waiting. A
    package's ``__main__`` (``python -m package``) runs it through its ``__init__`` and is left
    out.
    """
    return [
        (module, dep)
        for module in sorted(graph)
        for dep in sorted(graph[module])
        if dep in packages and module.startswith(dep + ".") and module != dep + ".__main__"
    ]


# --- the finder itself ---------------------------------------------------------------------


def test_cycle_finder_reports_a_cycle_and_passes_a_tree():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set(), "d": {"a"}}) is None
    assert find_cycle({"x": {"y"}, "y": {"x"}}) == ["x", "y", "x"]


def test_imports_inside_functions_and_relative_imports_count():
    known = {"p", "p.a", "p.b", "p.c"}
    source = (
        "from . import b\n"
        "from p import name\n"
        "def f():\n"
        "    from .c import g\n"
        "    import os\n"
    )
    assert imported_modules(source, "p.a", False, known) == {"p.b", "p", "p.c"}
    assert imported_modules("from .a import x", "p", True, known) == {"p.a"}


def test_upward_and_own_package_imports_are_found():
    layers = (("g",), ("s",), ("f",))
    graph = {"g": set(), "s": {"g"}, "s.a": {"s.b", "g"}, "s.b": {"f"}, "f": {"s", "top"}}
    assert layer_of("s.a", layers) == 1 and layer_of("top", layers) is None
    assert upward_imports(graph, layers) == [("f", "top"), ("s.b", "f")]
    inits = {"s.a": {"s", "s.b"}, "s": {"s.a"}, "t": {"s"}, "u.a": {"u"}}
    assert imports_of_own_package(inits, ("s",)) == [("s.a", "s")]


# --- the project -------------------------------------------------------------------------


def test_no_import_cycles():
    graph = import_graph()
    assert len(graph) > 50  # the tree was found
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_no_upward_imports_between_pipeline_stages():
    graph = import_graph()
    assert {"posescore.signals.clean", "posescore.features.strides"} <= set(graph)
    assert upward_imports(graph) == []


def test_no_module_imports_its_own_package():
    assert imports_of_own_package(import_graph()) == []


def test_every_module_is_short():
    lengths = {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for path in module_files().values()
    }
    assert "posescore/pose/extract.py" in lengths and "api/app.py" in lengths
    too_long = {name: n for name, n in lengths.items() if n > MAX_MODULE_LINES}
    assert not too_long, f"modules over {MAX_MODULE_LINES} lines: {too_long}"
