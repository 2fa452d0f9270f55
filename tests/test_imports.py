"""The package's import graph: no cycles, and no import hidden in a function to patch one.

Read from the sources with ``ast`` (nothing is imported): an edge ``a → b`` for every
module-level ``import``/``from … import`` of one autograder module by another
(``from pkg import submodule`` is an edge to the submodule; imports under
``if TYPE_CHECKING:`` are for annotations only and do not count).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "autograder"

DEFERRED = {"autograder.launch"}
"""Modules allowed imports inside functions: the entry point starts the sandbox's torch
import before sympy and the specs load (its docstring says why), which is an order, not a cycle."""


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name in MODULES]
    base = node.module or ""
    if node.level:
        package = module if MODULES[module].name == "__init__.py" else module.rsplit(".", 1)[0]
        for _ in range(node.level - 1):
            package = package.rsplit(".", 1)[0]
        base = f"{package}.{base}" if base else package
    submodules = [f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in MODULES]
    names_from_base = len(submodules) < len(node.names)
    return submodules + ([base] if names_from_base and base in MODULES else [])


def _imports(module: str) -> tuple[set[str], list[tuple[str, int]]]:
    """(modules imported at module level, [(module, line)] imported inside a function)."""
    at_top: set[str] = set()
    inside: list[tuple[str, int]] = []

    def visit(body: list[ast.stmt], top: bool) -> None:
        for node in body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                for target in _targets(module, node):
                    if top:
                        at_top.add(target)
                    else:
                        inside.append((target, node.lineno))
            elif isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                visit(node.body, False)
            else:
                for field in ("body", "orelse", "finalbody"):
                    visit(getattr(node, field, []), top)
                for handler in getattr(node, "handlers", []):
                    visit(handler.body, top)

    visit(ast.parse(MODULES[module].read_text(encoding="utf-8")).body, True)
    return at_top - {module}, inside


GRAPH = {module: _imports(module)[0] for module in MODULES}


def _cycle() -> list[str]:
    """One import cycle, as a path of modules, or [] when there is none."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(module: str) -> list[str]:
        state[module] = 1
        path.append(module)
        for target in sorted(GRAPH[module]):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[module] = 2
        return []

    for module in sorted(MODULES):
        if module not in state and (found := visit(module)):
            return found
    return []


def test_the_graph_sees_the_package() -> None:
    assert "autograder.spec" in GRAPH["autograder.session"]
    assert "autograder.graders" in GRAPH["autograder.spec"]  # the loader checks each part's kind
    assert "autograder.problem" in GRAPH["autograder.graders.symbolic"]


def test_no_import_cycle() -> None:
    assert _cycle() == []


@pytest.mark.parametrize("module", sorted(set(MODULES) - DEFERRED))
def test_no_import_inside_a_function(module: str) -> None:
    assert _imports(module)[1] == []
