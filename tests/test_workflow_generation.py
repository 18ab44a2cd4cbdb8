"""Corpus construction through the workflow: every paradigm with the real local LLM, and the
failures that must stop a run before anything is spent."""

import csv
import json
import subprocess
from pathlib import Path

import pytest
import yaml

from .conftest import copy_workflow
from .conftest import snakemake as run_snakemake

pytestmark = pytest.mark.slow

CORPORA = {
    "human": {"paradigm": "human"},
    "zs": {"paradigm": "zero-shot", "generator": "smollm2", "template": "config/prompts/zero-shot.txt"},
    "fsu": {
        "paradigm": "few-shot-unsupervised",
        "generator": "smollm2",
        "template": "config/prompts/few-shot-unsupervised.txt",
        "exemplars": {"k": 2, "pool": 20, "sampling": "per-query", "seed": 1},
    },
    "fss": {
        "paradigm": "few-shot-supervised",
        "generator": "smollm2",
        "template": "config/prompts/few-shot-supervised.txt",
        "queries": 4,
        "exemplars": {"k": 2, "sampling": "fixed"},
    },
    "human-2+fss-2": {
        "paradigm": "mixture",
        "components": [{"corpus": "human", "queries": 2}, {"corpus": "fss", "queries": 2, "offset": 2}],
    },
    # read back from its release instead of generated (synthrank.release)
    "zs-released": {"paradigm": "release", "path": "results/release/demo-cooking/zs"},
}


# Dummy secrets in the environment of every run of this module: the local generator reads its
# "API key" from SYNTHRANK_SECRET_KEY and sends it with each request (llama.cpp ignores it), the
# others are what a user of the thesis config has set. None may be written anywhere.
SECRETS = {
    "SYNTHRANK_SECRET_KEY": "sk-dummy-local-4f1e0c9b7a2d",
    "OPENAI_API_KEY": "sk-dummy-openai-93b1d6e5c8f0",
    "GEMINI_API_KEY": "dummy-gemini-5a7c2e9f1b3d",
    "GOOGLE_API_KEY": "dummy-google-8e4b0d2f6a1c",
}


def snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_snakemake(workdir, *args, env=SECRETS)


def grid_config(workdir: Path, **changes) -> str:
    config = yaml.safe_load((workdir / "config" / "demo.yaml").read_text())
    config["training"] |= {"max_queries": 6, "exemplar_pool": {"size": 4, "seed": 0}}
    config["generators"]["smollm2"]["sampling"]["max_tokens"] = 40
    config["generators"]["smollm2"]["api_key_env"] = "SYNTHRANK_SECRET_KEY"
    config["generators"]["smollm2"]["price"] = {"input_per_mtok": 0.4, "output_per_mtok": 1.6}
    config["corpora"] = CORPORA
    for key, value in changes.items():
        config[key] = value
    (workdir / "config" / "grid.yaml").write_text(yaml.safe_dump(config))
    return "config/grid.yaml"


@pytest.fixture(scope="module")
def grid_run(tmp_path_factory: pytest.TempPathFactory, gguf: Path) -> Path:
    workdir = copy_workflow(tmp_path_factory.mktemp("grid"))
    (workdir / "resources" / "llm").mkdir(parents=True)
    (workdir / "resources" / "llm" / "smollm2.gguf").symlink_to(gguf)
    targets = [f"results/corpora/demo-cooking/{name}.jsonl" for name in CORPORA]
    targets += [f"results/leakage/demo-cooking/{name}.json" for name in ("zs", "fsu", "fss")]
    targets += ["results/costs/demo-cooking/estimate.md", "results/export/demo-cooking/llm-requests.jsonl.gz"]
    targets += ["results/release/demo-cooking/manifest.csv"]
    done = snakemake(workdir, *targets, "--configfile", grid_config(workdir))
    assert done.returncode == 0, done.stderr[-4000:]
    return workdir


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.open()]


def test_every_paradigm_builds(grid_run: Path) -> None:
    corpora = grid_run / "results/corpora/demo-cooking"
    pool = {p["query_id"] for p in read(grid_run / "results/exemplars/demo-cooking/pool.jsonl")}
    assert len(pool) == 4
    human = read(corpora / "human.jsonl")
    assert len({r["query_id"] for r in human}) == 6 and not {r["query_id"] for r in human} & pool
    fss = read(corpora / "fss.jsonl")
    assert len({r["query_id"] for r in fss}) <= 4
    assert len({tuple(r["exemplar_ids"]) for r in fss}) == 1  # fixed exemplars
    assert set(fss[0]["exemplar_ids"]) <= pool
    fsu = read(corpora / "fsu.jsonl")
    assert all(len(r["exemplar_ids"]) == 2 and r["template_sha256"] for r in fsu)
    mixture = read(corpora / "human-2+fss-2.jsonl")
    assert {r["component"] for r in mixture} == {"human", "fss"}
    first_two = list(dict.fromkeys(r["query_id"] for r in human))[:2]  # human follows the training order
    assert {r["query_id"] for r in mixture if r["component"] == "human"} == set(first_two)
    stats = json.loads((corpora / "fss.stats.json").read_text())
    assert stats["cost_usd"] > 0 and stats["prompt_tokens"] > 0 and set(stats["flags"]) >= {"empty", "duplicate"}


def test_leakage_costs_and_export(grid_run: Path) -> None:
    report = json.loads((grid_run / "results/leakage/demo-cooking/fss.json").read_text())
    assert report["problems"] == [] and report["exemplars_shown"] == 2
    assert report["collections"]["demo-cooking/test"]["exemplar_queries_in_evaluation"] == []
    estimate = json.loads((grid_run / "results/costs/demo-cooking/estimate.json").read_text())
    rows = {row["corpus"]: row for row in estimate["corpora"]}
    assert rows["fss"]["requests"] == 4 and rows["zs"]["requests"] == 6
    assert rows["fsu"]["prompt_tokens"] > rows["zs"]["prompt_tokens"]  # exemplars make longer prompts
    assert estimate["total_usd_max"] >= estimate["total_usd_expected"] > 0
    assert "| **total** |" in (grid_run / "results/costs/demo-cooking/estimate.md").read_text()


def test_release_round_trip_and_manifest(grid_run: Path) -> None:
    corpora = grid_run / "results/corpora/demo-cooking"
    assert (corpora / "zs-released.jsonl").read_bytes() == (corpora / "zs.jsonl").read_bytes()
    manifest = list(csv.DictReader((grid_run / "results/release/demo-cooking/manifest.csv").open()))
    assert [row["corpus"] for row in manifest] == ["human", "zs", "fsu", "fss", "human-2+fss-2"]
    assert all(int(row["passages"]) > 0 for row in manifest) and float(manifest[3]["cost_usd"]) > 0
    card = (grid_run / "results/release/demo-cooking/fss/README.md").read_text()
    assert "few-shot-supervised" in card and str(grid_run) not in card and "cc0-1.0" in card


def test_rerun_with_full_cache_calls_nothing(grid_run: Path) -> None:
    stats_before = json.loads((grid_run / "results/corpora/demo-cooking/zs.stats.json").read_text())
    (grid_run / "results/corpora/demo-cooking/zs.jsonl").unlink()
    done = snakemake(grid_run, "results/corpora/demo-cooking/zs.jsonl", "--configfile", "config/grid.yaml")
    assert done.returncode == 0, done.stderr[-2000:]
    stats = json.loads((grid_run / "results/corpora/demo-cooking/zs.stats.json").read_text())
    assert stats["api_calls"] == 0 and stats["cache_hits"] == stats_before["requests"]


def test_missing_api_key_stops_before_any_job(grid_run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SYNTHRANK_TEST_KEY", raising=False)
    generators = {
        "api": {
            "backend": "openai",
            "model": "m",
            "base_url": "http://127.0.0.1:9/v1",
            "api_key_env": "SYNTHRANK_TEST_KEY",
        }
    }
    corpora = {
        "human": {"paradigm": "human"},
        "api-zs": {"paradigm": "zero-shot", "generator": "api", "template": "config/prompts/zero-shot.txt"},
    }
    config = grid_config(grid_run, generators=generators, corpora=corpora)
    done = snakemake(grid_run, "results/corpora/demo-cooking/api-zs.jsonl", "--configfile", config)
    assert done.returncode != 0
    assert "corpus api-zs needs the API key in environment variable SYNTHRANK_TEST_KEY (not set)" in done.stderr
    assert "Traceback" not in done.stderr and not (grid_run / "logs/generated_corpus/demo-cooking/api-zs.log").exists()


def test_bad_template_placeholder_is_one_line(grid_run: Path) -> None:
    (grid_run / "config/prompts/bad.txt").write_text("Answer {query} like {persona}.")
    corpora = {
        "human": {"paradigm": "human"},
        "bad": {"paradigm": "zero-shot", "generator": "smollm2", "template": "config/prompts/bad.txt"},
    }
    done = snakemake(grid_run, "-n", "--configfile", grid_config(grid_run, corpora=corpora))
    assert done.returncode != 0
    assert "synthrank: config/prompts/bad.txt: unknown placeholder {persona}" in done.stderr
    assert "Traceback" not in done.stderr


def test_no_secret_is_written_anywhere(grid_run: Path) -> None:
    """Every file the runs above left (outputs, ledgers, request cache, export, logs, benchmarks,
    provenance, .snakemake metadata and logs) is free of the API keys in their environment."""
    # the local generator reads its key (a run without it stops before any job)
    assert "api_key_env: SYNTHRANK_SECRET_KEY" in (grid_run / "config" / "grid.yaml").read_text()
    secrets = [value.encode() for value in SECRETS.values()]
    checked = 0
    for path in grid_run.rglob("*"):
        if path.is_symlink() or not path.is_file():
            continue
        data = path.read_bytes()
        leaked = [s.decode() for s in secrets if s in data]
        assert not leaked, f"{path.relative_to(grid_run)} holds {leaked}"
        checked += 1
    written = {p.relative_to(grid_run).parts[0] for p in grid_run.rglob("*") if p.is_file()}
    assert {"results", "logs", "benchmarks", ".snakemake"} <= written and checked > 50
