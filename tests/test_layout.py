"""The packages import one way: core <- gis <- layers <- maps <- api, and cli beside api."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "gis", "layers", "maps", "api", "cli")
# What each package may import from the project (itself included).
ALLOWED = {
    "core": {"core"},
    "gis": {"core", "gis"},
    "layers": {"core", "gis", "layers"},
    "maps": {"core", "gis", "layers", "maps"},
    "api": {"core", "gis", "layers", "maps", "api"},
    "cli": {"core", "gis", "layers", "maps", "cli"},
}


def _imports(tree: ast.AST) -> list[tuple[int, str, bool]]:
    """(line, module, inside a function) of every absolute import of a project package."""
    out: list[tuple[int, str, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                out.extend((child.lineno, a.name, in_function) for a in child.names)
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                out.append((child.lineno, child.module, in_function))
            visit(child, nested)

    visit(tree, False)
    return [(n, m, f) for n, m, f in out if m.split(".")[0] in PACKAGES]


def _modules() -> list[tuple[str, Path]]:
    return [(pkg, f) for pkg in PACKAGES for f in sorted((ROOT / pkg).rglob("*.py"))
            if "node_modules" not in f.parts]


def test_every_package_exists() -> None:
    assert all((ROOT / pkg / "__init__.py").exists() for pkg in PACKAGES)


def test_imports_run_one_way() -> None:
    wrong = [f"{f.relative_to(ROOT)}:{line} imports {mod}"
             for pkg, f in _modules()
             for line, mod, _ in _imports(ast.parse(f.read_text(encoding="utf-8")))
             if mod.split(".")[0] not in ALLOWED[pkg]]
    assert wrong == []


def test_no_project_import_inside_a_function() -> None:
    lazy = [f"{f.relative_to(ROOT)}:{line} imports {mod} inside a function"
            for _, f in _modules()
            for line, mod, inside in _imports(ast.parse(f.read_text(encoding="utf-8")))
            if inside]
    assert lazy == []


def test_the_rules_catch_a_wrong_import(tmp_path: Path) -> None:
    tree = ast.parse("from api.errors import X\ndef f():\n    from layers import models\n")
    found = _imports(tree)
    assert (1, "api.errors", False) in found and (3, "layers", True) in found
    assert "api" not in ALLOWED["maps"] and "api" not in ALLOWED["cli"]
