"""The thesis grid grows cell by cell: its dry-run plan after adding one BEIR dataset, job by job
(its corpus jobs gain the new set's queries and qrels: the training-query order leaves out training
queries equal to any evaluation query, ``training.exclude_evaluation_queries: all``).

Nothing of the thesis grid can run here, so the check is on the plan itself: every job of the
grid before and after the edit (``tests/plan_jobs.py``: rule, wildcards, input, output, params)
and, for the jobs of the edited grid, which ones Snakemake's rerun triggers would run on a
finished grid (a new output, or other inputs or params than before). ``tests/test_micro.py``
makes the same edits on a finished micro run and reads Snakemake's own plan.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from .conftest import REPO
from .test_micro import AGGREGATES


def plan(config: Path, out: Path, targets: list[str] | None = None) -> dict[tuple[str, ...], dict]:
    # targets before --configfile, which takes every value after it
    cmd = [sys.executable, str(REPO / "tests" / "plan_jobs.py"), str(out), *(targets or []), "--cores", "4"]
    cmd += ["--configfile", str(config)]
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    jobs = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    return {tuple(job["output"]) or (job["rule"],): job for job in jobs}


def thesis_grid_with(keep: set[str], path: Path) -> dict:
    """The thesis config with only the ``keep`` BEIR sets out of domain (every corpus, model and
    in-domain collection as they are), written to ``path``: planning all 12k jobs of the whole
    BEIR suite twice would cost CI a minute for the same property."""
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))
    dropped = {name for name in config["datasets"] if name.startswith("beir-") and name not in keep}
    for name in dropped:
        del config["datasets"][name]
    ood = config["evaluation"]["out_of_domain"]
    ood[:] = [c for c in ood if c["dataset"] not in dropped]
    for spec in config["architectures"].values():  # a dropped set is no longer one to leave out of "OOD avg unseen"
        if "trained_on" in spec:
            spec["trained_on"] = [name for name in spec["trained_on"] if name not in dropped]
    kept = {
        f"{c.get('group', c['dataset'])}/{c['split']}"
        for d in ("in_domain", "out_of_domain")
        for c in config["evaluation"][d]
    }
    for kind in ("bm25", "dense"):
        for expected in config.get("expected", {}).get(kind, []):
            expected["scores"] = {c: v for c, v in expected["scores"].items() if c in kept}
        config.get("expected", {})[kind] = [e for e in config.get("expected", {}).get(kind, []) if e["scores"]]
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return config


def test_thesis_grid_plus_one_beir_dataset_plans_only_its_cells(tmp_path: Path) -> None:
    # the thesis grid with two BEIR sets, then with SCIDOCS added
    base = {"beir-scifact", "beir-nfcorpus"}
    thesis_grid_with(base, tmp_path / "without-scidocs.yaml")
    config = thesis_grid_with(base | {"beir-scidocs"}, tmp_path / "with-scidocs.yaml")
    before = plan(tmp_path / "without-scidocs.yaml", tmp_path / "before.jsonl")
    after = plan(tmp_path / "with-scidocs.yaml", tmp_path / "after.jsonl")

    stale = [job for key, job in after.items() if key not in before or before[key] != job]
    # the jobs that make the training-query order read every evaluation collection's queries and
    # qrels (it leaves out training queries equal to one): they gain the new set's two files as
    # inputs, nothing else; run, they rebuild the same corpora unless a SCIDOCS query equals a
    # training query, but Snakemake then reruns what reads their outputs (mtime)
    order_rules = {"human_corpus", "generated_corpus", "mixture_corpus", "dev_queries"}
    new_files = {"results/datasets/beir-scidocs/queries.jsonl", "results/datasets/beir-scidocs/qrels/test.tsv"}
    for job in stale:
        if job["rule"] in order_rules:
            old = before[tuple(job["output"])]
            assert job["params"] == old["params"], job["rule"]
            assert set(job["input"]) - set(old["input"]) == new_files and set(old["input"]) <= set(job["input"])
    assert {job["rule"] for job in stale} >= {"human_corpus", "generated_corpus", "dev_queries"}
    cells = [job for job in stale if job["rule"] not in {*AGGREGATES, *order_rules}]
    assert all(job["wildcards"].get("dataset") == "beir-scidocs" for job in cells), [
        (j["rule"], j["wildcards"]) for j in cells if j["wildcards"].get("dataset") != "beir-scidocs"
    ]
    by_rule: dict[str, int] = {}
    for job in cells:
        by_rule[job["rule"]] = by_rule.get(job["rule"], 0) + 1
    models = {
        kind: sum(1 for job in after.values() if job["rule"] == f"train_{kind}")
        for kind in ("cross_encoder", "bi_encoder")
    }
    untuned = sum(1 for a in config["architectures"].values() if a.get("untuned_baseline"))
    floors = sum(1 for a in config["architectures"].values() if a.get("random_baseline"))
    systems = 1 + models["cross_encoder"] + models["bi_encoder"] + untuned
    assert floors == 1  # the cross-encoder's chance floor, on the new collection too
    assert by_rule == {
        "ingest_collection": 1,
        "ingest_qrels": 1,
        "bm25_index": 1,
        "bm25_search": 1,
        "random_order_floor": floors,
        "rerank": models["cross_encoder"],
        "dense_retrieve": models["bi_encoder"] + untuned,
        "evaluate_run": systems,
    }
    assert models["cross_encoder"] > 10 and models["bi_encoder"] > 10  # the grid, not a toy
    # and nothing else upstream of the runs: no exemplar pool, negatives mining, training set or model is stale
    upstream = {"exemplar_pool", "corpus_bm25_index", "negatives_run", "training_set"}
    assert not {job["rule"] for job in stale} & upstream


def test_thesis_grid_trains_every_cell_of_an_architecture_for_the_same_steps(tmp_path: Path) -> None:
    """The planned params of every training job: one step budget per architecture, whatever the
    corpus's size (1k, 10k, a 20k mixture), and the thesis recipe (pos_weight, E5's scale)."""
    config = thesis_grid_with({"beir-scifact"}, tmp_path / "thesis.yaml")
    jobs = plan(tmp_path / "thesis.yaml", tmp_path / "plan.jsonl").values()
    hyper: dict[str, dict[str, dict]] = {}
    for job in jobs:
        if job["rule"] in ("train_cross_encoder", "train_bi_encoder"):
            hyper.setdefault(job["wildcards"]["arch"], {})[job["wildcards"]["corpus"]] = job["params"]["hyper"]
    assert set(hyper) == set(config["architectures"])
    for arch, by_corpus in hyper.items():
        assert len(by_corpus) > 10, arch  # the grid, not a toy
        budgets = {corpus: h.get("steps") for corpus, h in by_corpus.items()}
        assert len(set(budgets.values())) == 1 and None not in budgets.values(), (arch, budgets)
        assert not any("epochs" in h for h in by_corpus.values()), arch
    assert {"human-1k", "human", "human+zero-shot-gpt"} <= set(hyper["cross-encoder"])
    # mixtures are compared with human at equal training: the same steps and batch size (the
    # mixtures table's caption says so), and so are the negatives ablation's 2x2 cells
    for arch, by_corpus in hyper.items():
        for cell in ("human+zero-shot-gpt", "human+few-shot-sup-gemini", "human-corpus-negatives"):
            same = ("steps", "batch_size")
            assert [by_corpus[cell][k] for k in same] == [by_corpus["human"][k] for k in same], (arch, cell)
    assert {h["pos_weight"] for h in hyper["cross-encoder"].values()} == {7}
    assert {h["scale"] for h in hyper["bi-encoder"].values()} == {100}
    assert config["architectures"]["cross-encoder"]["random_baseline"] is True


def test_card_settings_change_only_the_cards(tmp_path: Path) -> None:
    """What only the cards quote (a generator's licence, a dataset's licence, citation and Hub id,
    an architecture's base_model_card) reaches no job but the release folders and bundles: no
    corpus is generated, no model trained again for a licence."""
    with_cards = yaml.safe_load((REPO / "config" / "demo.yaml").read_text(encoding="utf-8"))
    without = json.loads(json.dumps(with_cards))
    for generator in without["generators"].values():
        generator.pop("licence")
    for dataset in without["datasets"].values():
        for key in ("licence", "citation", "hub"):
            dataset.pop(key, None)
    for arch in without["architectures"].values():
        arch.pop("base_model_card")
    (tmp_path / "with.yaml").write_text(yaml.safe_dump(with_cards), encoding="utf-8")
    (tmp_path / "without.yaml").write_text(yaml.safe_dump(without), encoding="utf-8")
    targets = ["all", "release_checkpoints", "release_results"]
    before = plan(tmp_path / "without.yaml", tmp_path / "before.jsonl", targets)
    after = plan(tmp_path / "with.yaml", tmp_path / "after.jsonl", targets)
    assert before.keys() == after.keys()
    stale = {job["rule"] for key, job in after.items() if before[key] != job}
    assert stale == {"release_corpus", "checkpoint_bundle", "results_bundle"}
