"""The pins: one version per package across the per-stage conda environments (envs/*.yaml), the
pip install path's constraints (envs/constraints.txt) and pyproject.toml's ranges; every rule
names an environment that exists."""

import re
import tomllib

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
