"""The three reproduction levels on the demo, as a reviewer runs them: a results bundle (and a
checkpoint bundle) made from the session's finished demo, then, in a fresh copy of the repository's
files, level 1 (every table rebuilt from the bundle, byte for byte) and level 2 (one trained model
retrained from the released corpora, each cell conclusive or not against its floor, and the whole
default plan as a dry run) with the Makefile's commands; level 3's estimate and confirmation prompt
in the finished demo.

Cost: no second demo. The bundles are made in a hard-linked copy of the demo (4 jobs); level 1 runs
the results rules only (17 jobs); level 2 retrains one bi-encoder (about 14 jobs, ingestion included).
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from synthrank import release
from synthrank.reproduce import TABLE_RULES

from .conftest import REPO, copy_workflow, snakemake

pytestmark = pytest.mark.slow

BUNDLE = "results/release/demo-cooking/results"
CHECKPOINT = "results/release/demo-cooking/checkpoints/bi-encoder/human/seed1"
CELL = "bi-encoder/human/seed1"
BIN = REPO / ".venv" / "bin"


def jobs(stderr: str) -> dict[str, int]:
    """Snakemake's job stats: rule -> count (the last table printed; a dry run prints it on stdout)."""
    if "Job stats:" not in stderr:
        return {}
    table = stderr.rsplit("Job stats:", 1)[-1].split("total")[0]
    return {rule: int(count) for rule, count in re.findall(r"^(\w+)\s+(\d+)$", table, re.M)}


@pytest.fixture(scope="module")
def released(demo_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The finished demo, hard-linked (outputs are replaced, never written in place), with its results
    bundle and one checkpoint bundle made: nothing of the demo reruns."""
    workdir = tmp_path_factory.mktemp("released") / "demo"
    shutil.copytree(
        demo_run, workdir, symlinks=True, copy_function=os.link, ignore=shutil.ignore_patterns(".snakemake")
    )
    done = snakemake(workdir, "--workflow-profile", "profiles/demo", "release_results", CHECKPOINT)
    assert done.returncode == 0, done.stderr[-4000:]
    assert jobs(done.stderr) == {"seed_variance": 1, "results_bundle": 1, "checkpoint_bundle": 1, "release_results": 1}
    return workdir


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh copy of the repository: its tracked (and untracked, not ignored) files, no results."""
    dest = tmp_path_factory.mktemp("clone")
    listed = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        text=True,
        check=False,
    )
    if listed.returncode != 0:  # not a git checkout: what a clone holds, by name
        copy_workflow(dest)
        for name in ("Makefile", "pyproject.toml"):
            shutil.copy2(REPO / name, dest / name)
        return dest
    for name in filter(None, listed.stdout.split("\0")):
        if (REPO / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, dest / name)
    assert not (dest / "results" / "metrics").exists()
    return dest


def make(clone: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``make`` in the copy with this checkout's installed .venv (never reinstalled: -o) and its numba cache."""
    stamp = REPO / ".venv" / ".synthrank-installed"
    command = ["make", "-C", str(clone), "-o", str(stamp), f"VENV={REPO / '.venv'}", *args]
    env = {**os.environ, "NUMBA_CACHE_DIR": str(REPO / ".cache" / "numba")}
    return subprocess.run(command, capture_output=True, text=True, timeout=900, check=False, env=env)


def test_bundles_verify_and_load_offline(released: Path) -> None:
    folder = released / BUNDLE
    done = subprocess.run(
        [BIN / "synthrank", "release", "verify", BUNDLE], cwd=released, capture_output=True, text=True
    )
    assert done.returncode == 0 and "files match checksums.sha256" in done.stdout, done.stderr
    with open(folder / "manifest.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    roles: dict[str, int] = {}
    for row in rows:
        roles[row["role"]] = roles.get(row["role"], 0) + 1
    # per collection: BM25, the untuned bi-encoder, 2 architectures x 2 corpora x 2 seeds (+ the chance floor's metrics)
    assert roles["run"] == 2 * 10 and roles["metrics"] == 2 * 11
    # significance: the two architectures' tests and claims tests, their floor tests (the tables' † mark), the seed variance
    assert roles["table"] == 40 and roles["figure"] == 8 and roles["significance"] == 7
    assert "results/ledgers/demo-cooking/zero-shot-smollm2.jsonl" in {r["path"] for r in rows}
    meta = json.loads((folder / "metadata.json").read_text())
    assert set(meta["corpora"]) == {"human", "zero-shot-smollm2"}
    with open(folder / "results/significance/seed-variance.csv", newline="") as handle:
        variance = list(csv.DictReader(handle))
    # pooled per architecture (reproduce.pool's default) over its 2 corpora x 2 collections, 1 df each
    assert [(v["arch"], v["metric"], set(v["collections"].split()), v["df"]) for v in variance] == [
        (arch, "ndcg@10", {"demo-cooking/test", "demo-astronomy/test"}, "4") for arch in ("cross-encoder", "bi-encoder")
    ]
    assert all(float(v["pooled_std"]) > 0 for v in variance)
    code = (
        "import datasets, sentence_transformers as st;"
        f"print(len(datasets.load_dataset('{BUNDLE}', split='train')));"
        f"print(st.SentenceTransformer('{CHECKPOINT}').encode(['a query']).shape)"
    )
    # a datasets cache of its own: the shared ~/.cache/huggingface/datasets keys a local folder's
    # dataset by the folder's name and may answer with an earlier run's bundle of the same name
    env = {
        **os.environ,
        "HF_DATASETS_OFFLINE": "1",
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_CACHE": str(released / ".hf-datasets-cache"),
    }
    loaded = subprocess.run(
        [sys.executable, "-c", code], cwd=released, capture_output=True, text=True, env=env, timeout=300
    )
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    assert loaded.stdout.split() == [str(len(rows)), "(1,", "384)"]
    card = (released / CHECKPOINT / "README.md").read_text()
    trainset = release.sha256_file(released / "results/trainsets/demo-cooking/human.jsonl")
    assert "| seed | 1 |" in card and trainset in card
    # the header a hub reads: sentence-transformers' own, with base model, licence, datasets, metrics
    header = release.check_card(card, "checkpoint", CHECKPOINT)
    assert header["base_model"] == "sentence-transformers/all-MiniLM-L6-v2" and header["license"] == "apache-2.0"
    assert header["datasets"] == ["demo-cooking"] and "generated_from_trainer" in header["tags"]
    collections = {result["dataset"]["name"] for result in header["model-index"][0]["results"]}
    assert collections == {"demo-cooking/test", "demo-astronomy/test"}


def test_level_1_tables_byte_for_byte_in_a_fresh_copy(released: Path, clone: Path) -> None:
    done = make(clone, "reproduce-tables", f"BUNDLE={released / BUNDLE}")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "# Level 1: 47 of 47 tables, significance tests and checks byte-identical" in done.stdout
    assert "All byte-identical." in done.stdout
    verdict = json.loads((clone / "results/reproduce/tables/results/reproduce/tables.json").read_text())
    assert verdict["ok"] and verdict["figures_identical"] == verdict["figures"] == 8
    ran = jobs(done.stderr)
    assert set(ran) <= set(TABLE_RULES) and ran["effectiveness_table"] == 8 and ran["compare_tables"] == 1
    assert not (clone / "results/reproduce/tables/results/models").exists()


def test_level_2_retrains_one_model_from_the_released_corpora(released: Path, clone: Path) -> None:
    done = make(clone, "reproduce-models", f"BUNDLE={released / BUNDLE}", f"CELLS={CELL}")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    summary = re.search(
        r"# Level 2: 2 cells: (\d+) reproduced, (\d+) outside tolerance, (\d+) inconclusive", done.stdout
    )
    assert summary, done.stdout[-3000:]
    assert "| tolerance | floor | conclusive | verdict |" in done.stdout
    ran = jobs(done.stderr)
    assert ran["corpus_from_release"] == 1 and ran["train_bi_encoder"] == 1 and ran["compare_models"] == 1
    assert not {"generated_corpus", "human_corpus", "train_cross_encoder", "fetch_llm_gguf"} & set(ran)
    with open(clone / "results/reproduce/models/results/reproduce/models.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["arch"], r["corpus"], r["collection"], r["seeds"]) for r in rows] == [
        ("bi-encoder", "human", "demo-cooking/test", "1"),
        ("bi-encoder", "human", "demo-astronomy/test", "1"),
    ]
    for row in rows:  # a CPU retrains bit for bit; the tolerance is the measured seed variance's
        assert float(row["tolerance"]) > 0 and abs(float(row["difference"])) <= float(row["tolerance"])
        # conclusive where the bundle's untuned model (the bi-encoder's floor) lies outside the tolerance
        published, floor, tolerance = float(row["published"]), float(row["floor"]), float(row["tolerance"])
        distance = float(row["floor_distance"])
        assert distance == pytest.approx(abs(published - floor), abs=2e-6)
        if abs(distance - tolerance) > 1e-5:  # the CSV's 6 decimals decide no closer call
            assert row["conclusive"] == str(distance > tolerance)
        assert row["verdict"] == ("reproduced" if row["conclusive"] == "True" else "inconclusive")
    counts = [sum(r["verdict"] == v for r in rows) for v in ("reproduced", "outside tolerance", "inconclusive")]
    assert [int(n) for n in summary.groups()] == counts


def test_level_2_default_plan_is_the_whole_grid_without_generation(released: Path, clone: Path) -> None:
    done = make(clone, "reproduce-models", f"BUNDLE={released / BUNDLE}", "SNAKEMAKE_ARGS=-n")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    ran = jobs(done.stdout) or jobs(done.stderr)
    assert ran["corpus_from_release"] == 2 and ran["train_cross_encoder"] == 4 and ran["train_bi_encoder"] == 4
    assert ran["rerank"] == 8 and ran["dense_retrieve"] == 8 and ran["compare_models"] == 1
    assert not {"generated_corpus", "human_corpus", "fetch_llm_gguf", "release_corpus"} & set(ran)


def test_level_3_prints_the_estimate_then_asks(released: Path) -> None:
    argv = [str(BIN / "synthrank"), "reproduce", "all", "--configfile", "config/demo.yaml"]
    declined = subprocess.run(argv, cwd=released, input="n\n", capture_output=True, text=True, timeout=300)
    assert declined.returncode == 1, declined.stderr[-2000:]
    estimate = (released / "results/costs/demo-cooking/estimate.md").read_text()
    assert estimate.strip() in declined.stdout and "GPU" in estimate
    assert declined.stderr.rstrip().endswith("synthrank: not confirmed; nothing else was run")
    confirmed = subprocess.run([*argv, "--yes", "--", "-n"], cwd=released, capture_output=True, text=True, timeout=300)
    assert confirmed.returncode == 0, confirmed.stderr[-2000:]
    assert "[y/N]" not in confirmed.stdout and "Nothing to be done" in confirmed.stderr + confirmed.stdout
