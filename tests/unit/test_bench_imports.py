"""Every name a bench script imports from the project exists (imports inside functions too):
the benches run rarely, so a module split must not leave one broken until then."""

import ast
import importlib
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
OURS = ("posescore", "api", "api_support", "contract_support", "synthetic_walker")


def _imports(path: Path) -> list[tuple[str, str]]:
    return [(node.module, alias.name) for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.ImportFrom) and node.module
            and node.module.split(".")[0] in OURS for alias in node.names]


@pytest.mark.parametrize("script", sorted(BENCH.glob("*.py")), ids=lambda p: p.name)
def test_a_bench_scripts_project_imports_resolve(script):
    missing = []
    for module, name in _imports(script):
        found = importlib.import_module(module)
        if not hasattr(found, name):
            try:
                importlib.import_module(f"{module}.{name}")
            except ModuleNotFoundError:
                missing.append(f"{module}.{name}")
    assert not missing, f"{script.name} imports what no longer exists: {missing}"


def test_the_check_reads_imports_inside_functions(tmp_path):
    script = tmp_path / "old.py"
    script.write_text("import os\nfrom numpy import nan\n\n\ndef f():\n"
                      "    from posescore.model import load_model\n")
    assert _imports(script) == [("posescore.model", "load_model")]
