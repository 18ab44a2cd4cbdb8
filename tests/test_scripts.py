"""The scripts/ adapters share one shape: a docstring, imports, ``main()``, ``run(snakemake, main)``.

``main`` reads Snakemake's inputs, outputs, params and wildcards and calls one synthrank function;
:func:`synthrank.step.run` gives it the log file, the one-line errors and the provenance record.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from .conftest import REPO

SCRIPTS = sorted((REPO / "scripts").glob("*.py"))


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_script_shape(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    body = tree.body
    assert ast.get_docstring(tree), f"{path.name}: no docstring saying what its rule makes"
    kinds = [type(node).__name__ for node in body[1:]]
    imports = [k for k in kinds if k in ("Import", "ImportFrom")]
    assert kinds == [*imports, "FunctionDef", "Expr"], f"{path.name}: statements {kinds}"
    main = body[-2]
    assert isinstance(main, ast.FunctionDef) and main.name == "main" and not main.args.args
    assert ast.unparse(body[-1]) == "run(snakemake, main)"
    assert any(
        isinstance(n, ast.ImportFrom) and n.module == "synthrank.step" and [a.name for a in n.names] == ["run"]
        for n in body
    )


def test_every_script_belongs_to_a_rule_and_every_rule_script_exists() -> None:
    rules = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "rules").glob("*.smk"))
    named = set(re.findall(r'"\.\./scripts/([a-z0-9_]+\.py)"', rules))
    assert named, "no script: directive found in rules/"
    assert named == {p.name for p in SCRIPTS}
