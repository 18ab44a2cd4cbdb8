"""The cost estimate (synthrank.cost_estimate): every prompt rendered as generation renders it."""

import json
from pathlib import Path

import pytest

from synthrank.corpora import CorpusSpec, generation_inputs
from synthrank.cost_estimate import estimate, observed_completion_tokens
from synthrank.llm.cache import RequestCache
from synthrank.queries import training_order

from .conftest import PROMPTS, REPO

PRICE = {"input_per_mtok": 0.4, "output_per_mtok": 1.6}


def spec(name: str, paradigm: str, queries: int, batch: bool = False) -> CorpusSpec:
    generator = {"name": "gpt", "backend": "openai", "model": "gpt-x", "api_key_env": "KEY", "price": PRICE}
    generator["sampling"] = {"max_tokens": 100}
    if batch:
        generator["batch"] = {"poll_seconds": 60}
    cfg = {"name": name, "paradigm": paradigm, "generator": generator, "template": str(PROMPTS / f"{paradigm}.txt")}
    return CorpusSpec.from_config({**cfg, "queries": queries, "exemplars": {"k": 2, "pool": 5}})


def test_estimate_counts_the_prompts_generation_would_send(demo_files: dict[str, str], tmp_path: Path) -> None:
    files = (demo_files["cooking-corpus"], demo_files["cooking-queries"], demo_files["cooking-train"])
    specs = [spec("zs", "zero-shot", 10), spec("fsu", "few-shot-unsupervised", 6, batch=True)]
    out_json, out_md = tmp_path / "estimate.json", tmp_path / "estimate.md"
    rows = estimate(specs, str(out_json), str(out_md), *files, evaluation_qrels=[demo_files["cooking-test"]])

    pool, order = training_order(files[1], files[2], None, None, 0)
    for row, corpus in zip(rows, specs, strict=True):
        queries, template, plan = generation_inputs(corpus, order, pool, files[0], [demo_files["cooking-test"]])
        chars = sum(
            len(template.render(q, plan.for_query(qid) if plan else [])[0]["content"]) for qid, q in queries.items()
        )
        assert row["requests"] == len(queries)
        assert row["prompt_tokens"] == chars // 4
        assert row["completion_tokens_max"] == 100 * len(queries)
        assert row["completion_basis"] == "max_tokens"
        factor = 0.5 if row["batch"] else 1.0
        expected = (row["prompt_tokens"] * 0.4 + row["completion_tokens_max"] * 1.6) / 1e6 * factor
        assert row["usd_max"] == pytest.approx(expected, abs=1e-4)
    assert [r["batch"] for r in rows] == [False, True]
    summary = json.loads(out_json.read_text(encoding="utf-8"))
    assert summary["total_usd_max"] == pytest.approx(sum(r["usd_max"] for r in rows), abs=1e-4)
    table = out_md.read_text(encoding="utf-8").splitlines()
    assert table[-3].startswith("| **total** | | 16 (16) |")
    assert any(line.startswith("| fsu | gpt (batch) | 6 (6) |") for line in table)


def test_a_request_another_corpus_sends_is_paid_once(demo_files: dict[str, str], tmp_path: Path) -> None:
    files = (demo_files["cooking-corpus"], demo_files["cooking-queries"], demo_files["cooking-train"])
    # the 4-query corpus's prompts are the first 4 of the 10-query one's: the cache answers them
    specs = [spec("zs", "zero-shot", 10), spec("zs-4", "zero-shot", 4), spec("fsu", "few-shot-unsupervised", 4)]
    out_json, out_md = tmp_path / "estimate.json", tmp_path / "estimate.md"
    rows = estimate(specs, str(out_json), str(out_md), *files, evaluation_qrels=[demo_files["cooking-test"]])
    assert [(r["requests"], r["requests_paid"]) for r in rows] == [(10, 10), (4, 0), (4, 4)]
    assert rows[1]["prompt_tokens"] == 0 and rows[1]["usd_max"] == 0
    assert rows[2]["usd_max"] > 0


def test_observed_completion_length_from_the_cache(tmp_path: Path) -> None:
    cache_path = tmp_path / "cache.sqlite"
    assert observed_completion_tokens(str(cache_path), "gpt-x") is None  # no cache yet
    cache = RequestCache(cache_path)
    for i, tokens in enumerate((10, 30)):
        answer = {"choices": [{"message": {"content": "x"}}], "usage": {"completion_tokens": tokens}}
        cache.put(f"k{i}", {"model": "gpt-x", "n": i}, answer)
    cache.put("other", {"model": "other"}, {"choices": [], "usage": {"completion_tokens": 999}})
    assert observed_completion_tokens(str(cache_path), "gpt-x") == 20
    assert observed_completion_tokens(str(cache_path), "missing") is None


# ---------------------------------------------------------------- GPU-hours


def workload(tmp_path: Path) -> dict:
    """A grid of one cross-encoder and one bi-encoder, two corpora (one a mixture), two seeds,
    on a BEIR set by ir_datasets id and a local folder."""
    folder = tmp_path / "local"
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text("".join(f'{{"_id": "d{i}", "text": "t"}}\n' for i in range(1000)))
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td2\t1\nq2\td3\t1\n")
    hyper = {"epochs": 1, "batch_size": 64, "learning_rate": 2e-5}
    return {
        "architectures": {
            "ce": {
                "kind": "cross-encoder",
                "depth": 100,
                "precision": "fp32",
                "corpora": ["h", "mix"],
                "train": {**hyper, "precision": "bf16"},
            },
            "bi": {
                "kind": "bi-encoder",
                "depth": 1000,
                "precision": "fp16",
                "untuned_baseline": True,
                "corpora": ["h"],
                "train": {**hyper, "precision": "bf16"},
            },
        },
        "corpora": {
            "h": {"paradigm": "human", "queries": 1000},
            "g": {"paradigm": "zero-shot", "generator": "gpt", "queries": 1000},
            "mix": {"paradigm": "mixture", "components": ["h", {"corpus": "g", "queries": 500, "offset": 100}]},
        },
        "samples_per_query": {"gpt": 2},
        "seeds": [1, 2],
        "max_queries": None,
        "hard_negatives": {"count": 7},
        "datasets": {
            "scifact": {"irds": {"test": "beir/scifact/test"}},
            "local": {"path": str(folder)},
            "other": {"irds": {"test": "beir/not-listed"}},
        },
        "collections": ["scifact/test", "local/test", "other/test"],
    }


def test_gpu_hours_per_stage_from_the_throughput_table(tmp_path: Path) -> None:
    from synthrank.cost_estimate import GPU_THROUGHPUT, gpu_hours, training_rows

    work = workload(tmp_path)
    assert training_rows(work, "h", 5000) == 1000
    assert training_rows(work, "mix", 5000) == 1000 + 500 * 2  # a slice of g's 1000 queries, 2 passages each
    assert training_rows(work, "h", 600) == 600  # fewer training queries than the corpus asks for
    gpu = gpu_hours(work, 5000)
    rows = {(r["stage"], r["arch"]): r for r in gpu["rows"]}
    # cross-encoder training: (1000 + 2000 rows) x 2 seeds x (1 positive + 7 negatives) pairs, bf16's rate
    train_ce = rows[("train", "ce")]
    assert (train_ce["models"], train_ce["items"]) == (4, 3000 * 2 * 8)
    assert train_ce["per_second"] == GPU_THROUGHPUT[("train", "cross-encoder", "bf16")][0] == 1131.0
    assert train_ce["gpu_hours"] == round(48000 / 1131 / 3600, 2)
    # reranking: judged queries (scifact 300 + the local folder's 2) x depth 100, 4 models, fp32
    rerank = rows[("rerank", "ce")]
    assert (rerank["models"], rerank["items"], rerank["per_second"]) == (4, 4 * 302 * 100, 3113.0)
    # encoding: scifact's 5,183 + the folder's 1,000 passages for 2 trained models + the untuned one,
    # at fp32's measured rate (the fp16 figure is an open assumption)
    encode = rows[("encode", "bi")]
    assert (encode["models"], encode["items"], encode["per_second"]) == (3, 3 * 6183, 1656.0)
    assert encode["basis"].startswith("assumption") and rerank["basis"].startswith("measured")
    assert gpu["unknown_sizes"] == ["other/test"]


def test_the_estimate_writes_the_gpu_hours(demo_files: dict[str, str], tmp_path: Path) -> None:
    files = (demo_files["cooking-corpus"], demo_files["cooking-queries"], demo_files["cooking-train"])
    out_json, out_md = tmp_path / "estimate.json", tmp_path / "estimate.md"
    estimate([spec("zs", "zero-shot", 4)], str(out_json), str(out_md), *files, gpu=workload(tmp_path))
    summary = json.loads(out_json.read_text(encoding="utf-8"))
    assert summary["total_gpu_hours"] == pytest.approx(sum(r["gpu_hours"] for r in summary["gpu"]["rows"]), abs=0.01)
    text = out_md.read_text(encoding="utf-8")
    assert "| encoding test corpora | bi | 3 | 18,549 passages | 1,656 (assumption: fp32's measured rate" in text
    assert "Left out, sizes unknown: other/test" in text
    assert text.index("| **total** | | 4 (4) |") < text.index("GPU-hours")  # after the LLM table


def test_collection_sizes_are_ir_datasets_own() -> None:
    """The size table is ir_datasets' metadata (shipped with the package: no download)."""
    ir_datasets = pytest.importorskip("ir_datasets")
    from synthrank.cost_estimate import COLLECTION_SIZES

    for dataset_id, (docs, queries) in COLLECTION_SIZES.items():
        dataset = ir_datasets.load(dataset_id)
        assert (dataset.docs_count(), dataset.queries_count()) == (docs, queries), dataset_id


def test_training_gpu_hours_follow_a_step_budget(tmp_path: Path) -> None:
    """Under train.steps every corpus costs steps x batch rows, whatever its size."""
    from synthrank.cost_estimate import gpu_hours, trained_examples

    bce = {"steps": 2500, "batch_size": 64}
    # a cross-encoder's rate is per pair, and a bce row is a pair: 2,500 x 64 pairs per model
    assert trained_examples("cross-encoder", bce, rows=1000, negatives=7) == 160_000
    assert trained_examples("cross-encoder", bce, rows=20_000, negatives=7) == 160_000
    # by epochs, a corpus's pairs per pass
    assert trained_examples("cross-encoder", {"epochs": 2, "batch_size": 64}, rows=1000, negatives=7) == 16_000
    # mnrl reads queries, each scoring its positive, 7 hard and 4 in-batch negatives
    mnrl = {"steps": 100, "batch_size": 8, "loss": "mnrl", "in_batch_negatives": 4}
    assert trained_examples("cross-encoder", mnrl, rows=10, negatives=7) == 100 * 8 * 12
    # a bi-encoder's rate is per query with 7 negatives: 3 negatives cost half
    assert trained_examples("bi-encoder", {"steps": 1000, "batch_size": 64}, rows=10, negatives=3) == 32_000
    load = workload(tmp_path)
    by_epochs = {r["arch"]: r["gpu_hours"] for r in gpu_hours(load, 5000)["rows"] if r["stage"] == "train"}
    for spec in load["architectures"].values():
        spec["train"] = {**spec["train"], "steps": 50_000}
        del spec["train"]["epochs"]
    by_steps = {r["arch"]: r for r in gpu_hours(load, 5000)["rows"] if r["stage"] == "train"}
    # 2 corpora x 2 seeds x 50k steps x 64 pairs at the bf16 rate
    assert by_steps["ce"]["items"] == 2 * 2 * 50_000 * 64 and by_steps["ce"]["gpu_hours"] != by_epochs["ce"]
    assert by_steps["bi"]["items"] == 1 * 2 * 50_000 * 64  # 7 negatives: the measured rate as it is


def test_thesis_grid_gpu_hours_from_its_config_at_given_rates() -> None:
    """grid.gpu_workload reads the grid from the config alone (the cost_estimate rule's param, and
    bench/gpu.py's input): the thesis grid is about 533 GPU-hours at GPU_THROUGHPUT (10 of them training at the step budgets); rates twice
    as high (what bench/gpu.py passes after measuring) halve every row."""
    from synthrank.config import load
    from synthrank.cost_estimate import COLLECTION_SIZES, GPU_THROUGHPUT, gpu_hours
    from synthrank.grid import gpu_workload

    workload = gpu_workload(load(REPO / "config" / "config.yaml"))
    queries = COLLECTION_SIZES["msmarco-passage/train/judged"][1]
    rows = gpu_hours(workload, queries)["rows"]
    assert sum(r["gpu_hours"] for r in rows) == pytest.approx(533.23, abs=0.01)
    doubled = {key: (rate * 2, "twice") for key, (rate, _) in GPU_THROUGHPUT.items()}
    halved = gpu_hours(workload, queries, doubled)["rows"]
    assert [r["gpu_hours"] for r in halved] == pytest.approx([r["gpu_hours"] / 2 for r in rows], abs=0.01)
    assert {r["basis"] for r in halved} == {"twice"}
