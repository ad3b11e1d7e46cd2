"""The runtime package `duka` and the functions never import the local harness `duka_local`."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HARNESS = "duka_local"


def _imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    """Every module an `import` or `from … import` names, at top level or inside a body."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def _harness_imports(paths: list[Path]) -> list[str]:
    offenders = []
    for path in paths:
        tree = ast.parse(path.read_text(), filename=str(path))
        for line, module in _imported_modules(tree):
            if module == HARNESS or module.startswith(HARNESS + "."):
                offenders.append(f"{path.relative_to(REPO)}:{line} imports {module}")
    return offenders


def test_no_runtime_module_imports_the_local_harness() -> None:
    runtime = sorted((REPO / "shared" / "duka").rglob("*.py"))
    assert len(runtime) > 50
    assert _harness_imports(runtime) == []


def test_no_function_entry_point_imports_the_local_harness() -> None:
    entry_points = sorted(REPO.glob("functions/*/*.py"))
    assert entry_points
    assert _harness_imports(entry_points) == []


def test_the_check_sees_imports_inside_function_bodies() -> None:
    source = "def f():\n    from duka_local.stack import stack\n    import duka_local.cli\n"
    modules = [module for _, module in _imported_modules(ast.parse(source))]
    assert modules == ["duka_local.stack", "duka_local.cli"]
