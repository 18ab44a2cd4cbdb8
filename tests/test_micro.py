"""The fast tier's end-to-end run: config/micro.yaml through Snakemake, as a user runs it.

Ingestion, the human corpus and a corpus written by the embedded LLM (8 queries), one
cross-encoder and one bi-encoder per corpus trained for one epoch, BM25, reranking, dense
retrieval, ranx metrics, one table and one figure; then a second invocation that has nothing to do.
"""

import json
from pathlib import Path

import pandas as pd
import pytest

from .conftest import copy_workflow, reuse_llm, snakemake

TARGETS = ["results/tables/overview.md", "figures/id-vs-ood.png"]
PROFILE = ["--workflow-profile", "profiles/demo", "--configfile", "config/micro.yaml"]


@pytest.fixture(scope="module")
def micro_run(tmp_path_factory: pytest.TempPathFactory, gguf: Path) -> Path:
    workdir = copy_workflow(tmp_path_factory.mktemp("micro"))
    reuse_llm(workdir, gguf)
    done = snakemake(workdir, *TARGETS, *PROFILE, timeout=900)
    assert done.returncode == 0, done.stderr[-4000:]
    return workdir


def test_micro_table_is_the_metric_files(micro_run: Path) -> None:
    table = pd.read_csv(micro_run / "results/tables/overview.csv", index_col=0)
    assert list(table.index) == [
        "BM25",
        "cross-encoder / human",
        "cross-encoder / zero-shot-smollm2",
        "bi-encoder / human",
        "bi-encoder / zero-shot-smollm2",
    ]
    assert list(table.columns) == ["demo-cooking/test", "demo-astronomy/test", "ID avg", "OOD avg"]
    assert table.notna().all().all() and ((table > 0) & (table <= 1)).all().all()
    for system, path in {
        "BM25": "bm25",
        "cross-encoder / zero-shot-smollm2": "cross-encoder/demo-cooking/zero-shot-smollm2/seed1",
        "bi-encoder / human": "bi-encoder/demo-cooking/human/seed1",
    }.items():
        for collection in ("demo-cooking/test", "demo-astronomy/test"):
            metrics = json.loads((micro_run / f"results/metrics/{collection}/{path}.json").read_text())
            assert metrics["num_queries"] == 30 and len(metrics["per_query"]["ndcg@10"]) == 30
            assert table.loc[system, collection] == pytest.approx(metrics["metrics"]["ndcg@10"], abs=1e-3)
    assert "zero-shot-smollm2" in (micro_run / "results/tables/overview.md").read_text()
    assert (micro_run / "figures/id-vs-ood.png").stat().st_size > 1000


def test_micro_runs_are_reranked_and_dense(micro_run: Path) -> None:
    bm25 = (micro_run / "results/runs/demo-cooking/test/bm25.trec").read_text().splitlines()
    reranked = (micro_run / "results/runs/demo-cooking/test/cross-encoder/demo-cooking/human/seed1.trec").read_text()
    dense = (micro_run / "results/runs/demo-cooking/test/bi-encoder/demo-cooking/human/seed1.trec").read_text()
    # reranking reorders each query's BM25 top 10 (BM25 finds fewer for a few queries of this
    # small collection); dense retrieval ranks the whole corpus (top 100)
    top10: dict[str, set[str]] = {}
    for line in bm25:
        qid, _, doc, rank = line.split()[:4]
        if int(rank) <= 10:
            top10.setdefault(qid, set()).add(doc)
    reranked_top: dict[str, set[str]] = {}
    for line in reranked.splitlines():
        qid, _, doc = line.split()[:3]
        reranked_top.setdefault(qid, set()).add(doc)
    assert reranked_top == top10
    order = [line.split()[:3:2] for line in reranked.splitlines()]
    assert order != [line.split()[:3:2] for line in bm25 if int(line.split()[3]) <= 10]
    assert len(dense.splitlines()) == 30 * 100


def test_micro_generated_corpus(micro_run: Path) -> None:
    passages = [
        json.loads(line) for line in (micro_run / "results/corpora/demo-cooking/zero-shot-smollm2.jsonl").open()
    ]
    human = (micro_run / "results/corpora/demo-cooking/human.jsonl").read_text().splitlines()
    assert 6 <= len(passages) <= 8 and len({p["query_id"] for p in passages}) == len(passages)
    assert all(p["text"].strip() and p["model"] == "SmolLM2-135M-Instruct" for p in passages)
    assert len({json.loads(line)["query_id"] for line in human}) == 8
    for arch in ("cross-encoder", "bi-encoder"):
        assert (micro_run / f"results/models/{arch}/demo-cooking/zero-shot-smollm2/seed1/config.json").is_file()


def test_micro_second_run_does_nothing(micro_run: Path) -> None:
    again = snakemake(micro_run, *TARGETS, *PROFILE)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "Nothing to be done" in again.stdout + again.stderr
