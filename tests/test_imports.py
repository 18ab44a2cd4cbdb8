"""The package's import graph: one-way, the LLM backends behind the registry, the leaves leaves.

Every ``import``/``from ... import`` of a synthrank module counts, at module level or inside a
function (a lazy import still runs); imports under ``if TYPE_CHECKING:`` do not (they never run).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from .conftest import REPO

PACKAGE = REPO / "synthrank"
#: the modules that talk to one LLM API or server: only the registry may import them
BACKENDS = {
    "synthrank.llm.openai_api",
    "synthrank.llm.gemini_api",
    "synthrank.llm.vllm_offline",
    "synthrank.llm.llamacpp",
}
#: modules any other may import because they import no synthrank module themselves
LEAVES = {"synthrank.errors", "synthrank.paradigms", "synthrank.pricing", "synthrank", "synthrank.llm"}


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name: str) -> bool:
    path = REPO.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported(path: Path) -> set[str]:
    """The synthrank modules a file imports (a name imported from a package that is a submodule
    counts as that submodule)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "synthrank")
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "synthrank":
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if is_module(sub) else node.module)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return {module_name(p): imported(p) - {module_name(p)} for p in sorted(PACKAGE.rglob("*.py"))}


def test_no_import_cycle_inside_synthrank(graph: dict[str, set[str]]) -> None:
    done: set[str] = set()

    def walk(node: str, stack: list[str]) -> None:
        if node in stack:
            cycle = [*stack[stack.index(node) :], node]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        if node in done:
            return
        for dep in sorted(graph.get(node, ())):
            walk(dep, [*stack, node])
        done.add(node)

    for module in sorted(graph):
        walk(module, [])


def test_backends_are_imported_by_the_registry_only(graph: dict[str, set[str]]) -> None:
    for module, deps in graph.items():
        for backend in deps & BACKENDS:
            assert module == "synthrank.llm.registry", f"{module} imports the backend {backend}"
    assert graph["synthrank.llm.registry"] >= BACKENDS


def test_leaves_import_nothing_from_synthrank(graph: dict[str, set[str]]) -> None:
    for leaf in LEAVES:
        assert graph[leaf] == set(), f"{leaf} imports {sorted(graph[leaf])}"


def test_nothing_below_the_registry_imports_it(graph: dict[str, set[str]]) -> None:
    llm = {m for m in graph if m.startswith("synthrank.llm.")}
    importers = {m for m, deps in graph.items() if "synthrank.llm.registry" in deps}
    assert not importers & llm, f"{sorted(importers & llm)} import the registry from below it"


def test_retrieve_and_dense_do_not_import_each_other(graph: dict[str, set[str]]) -> None:
    assert "synthrank.dense" not in graph["synthrank.retrieve"]
    assert "synthrank.retrieve" not in graph["synthrank.dense"]


def test_the_checker_sees_a_cycle(tmp_path: Path) -> None:
    """The graph walk would report a cycle (so the tests above cannot pass vacuously)."""
    (tmp_path / "a.py").write_text("def f():\n    from synthrank.dense import x\n", encoding="utf-8")
    assert imported(tmp_path / "a.py") == {"synthrank.dense"}
    typed = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from synthrank.dense import x\n"
    (tmp_path / "b.py").write_text(typed, encoding="utf-8")
    assert imported(tmp_path / "b.py") == set()
    (tmp_path / "c.py").write_text("from synthrank.llm import base\n", encoding="utf-8")
    assert imported(tmp_path / "c.py") == {"synthrank.llm.base"}
