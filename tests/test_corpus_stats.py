"""The corpus statistics (synthrank.corpus_stats): each statistic on hand-computed values, one corpus
streamed end to end, the judge, the seeded sample and the shared 2-D projection."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from synthrank.corpus_stats import (
    DistinctN,
    Hasher,
    NearDuplicates,
    answer_rate,
    corpus_map,
    corpus_statistics,
    jaccard,
    judge_ranks,
    length_summary,
    ngram_keys,
    novelty,
    pca_2d,
    query_overlap,
    sample_key,
    sample_passages,
    tokens,
)
from synthrank.errors import SynthrankError


def keys(text: str, n: int) -> np.ndarray:
    return ngram_keys(Hasher()(tokens(text)), n)


def test_tokenisation_is_lower_case_words_without_punctuation() -> None:
    assert tokens("It's 5°C!  Boil-then-COOL.") == ["it", "s", "5", "c", "boil", "then", "cool"]
    assert tokens("") == []


def test_ngram_keys_are_one_per_ngram_and_equal_for_equal_ngrams() -> None:
    assert len(keys("a b c a b", 2)) == 4
    k = keys("a b c a b", 2)
    assert k[0] == k[3] and len(set(k.tolist())) == 3  # (a b) twice, (b c), (c a)
    assert keys("a b", 3).size == 0
    assert keys("x y", 2)[0] != keys("y x", 2)[0]  # order matters


def test_length_summary_by_hand() -> None:
    # numpy's linear percentiles: p5 at position 0.05 * 4 = 0.2 -> 1 + 0.2 * (2 - 1); p95 at 3.8 -> 4 + 0.8 * 6
    assert length_summary([10, 1, 3, 2, 4]) == pytest.approx({"mean": 4.0, "median": 3.0, "p5": 1.2, "p95": 8.8})
    with pytest.raises(SynthrankError):
        length_summary([])


def test_query_overlap_counts_distinct_query_terms() -> None:
    assert query_overlap(["how", "to", "boil", "eggs"], ["boil", "the", "eggs", "now"]) == 0.5
    assert query_overlap(["eggs", "eggs", "boil"], ["eggs"]) == 0.5  # distinct terms: eggs, boil
    assert query_overlap(["a"], []) == 0.0
    assert query_overlap([], ["a"]) is None


def test_jaccard_by_hand() -> None:
    assert jaccard({1, 2, 3}, {2, 3, 4}) == 0.5
    assert jaccard([1, 1], [1]) == 1.0
    assert jaccard([], []) == 1.0
    assert jaccard([1], [2]) == 0.0


def test_distinct_n_by_hand() -> None:
    hasher = Hasher()
    one, two = DistinctN(), DistinctN()
    for text in ("a b a", "b c"):
        h = hasher(tokens(text))
        one.add(ngram_keys(h, 1))
        two.add(ngram_keys(h, 2))
    assert one.value() == pytest.approx(3 / 5)  # a, b, c of a b a b c
    assert two.value() == 1.0  # (a b), (b a), (b c)
    repeated = DistinctN()
    repeated.add(keys("a b a b", 2))  # (a b), (b a), (a b)
    assert repeated.value() == pytest.approx(2 / 3)
    assert DistinctN().value() is None


def test_novelty_is_the_share_of_the_passages_ngrams_no_human_passage_has() -> None:
    human = keys("eggs boil fast here", 3)  # (eggs boil fast), (boil fast here)
    assert novelty(keys("the eggs boil fast", 3), human) == 0.5  # (the eggs boil) is new
    assert novelty(keys("eggs boil fast", 3), human) == 0.0
    assert novelty(keys("two words", 3), human) is None


def test_near_duplicates_by_hand() -> None:
    words = [f"w{i}" for i in range(30)]
    original = " ".join(words)
    edited = " ".join([*words[:-1], "other"])  # 26 five-gram shingles each, 25 shared: Jaccard 25/27
    unrelated = " ".join(f"u{i}" for i in range(30))
    assert jaccard(keys(original, 5).tolist(), keys(edited, 5).tolist()) == pytest.approx(25 / 27)
    for threshold, rate in ((0.9, 2 / 3), (0.95, 0.0)):
        near = NearDuplicates(threshold, seed=0)
        for text in (original, unrelated, edited):
            near.add(keys(text, 5))
        assert near.rate() == pytest.approx(rate)
    exact = NearDuplicates(1.0)
    for text in ("a b c d e f", "a b c d e f", "a b c d e g", "x"):
        exact.add(keys(text, 5) if len(tokens(text)) >= 5 else keys(text, 1))
    assert exact.rate() == 0.5
    assert NearDuplicates(0.8).rate() is None
    with pytest.raises(SynthrankError):
        NearDuplicates(0.0)


def test_judge_ranks_each_passage_among_the_other_queries_passages() -> None:
    queries = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    passages = np.array([[1.0, 0.0], [0.6, 0.8], [0.8, 0.6]])
    # query c (1, 0) scores its passage 0.8 and query a's passage 1.0: second
    ranks = judge_ranks(queries, passages, ["a", "b", "c"])
    assert ranks.tolist() == [1, 1, 2]
    assert answer_rate(ranks) == pytest.approx({"answered": 2 / 3, "mrr": (1 + 1 + 0.5) / 3})
    # a passage of the same query is no competitor; a tie counts against the passage
    assert judge_ranks(queries, passages, ["a", "b", "a"]).tolist() == [1, 1, 1]
    assert judge_ranks(np.array([[1.0, 0.0], [1.0, 0.0]]), np.eye(2)[[0, 0]], ["a", "b"]).tolist() == [2, 2]
    assert answer_rate([]) == {"answered": None, "mrr": None}


def test_pca_projects_on_the_principal_axis_with_a_fixed_sign() -> None:
    coords = pca_2d(np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]))
    assert coords[:, 0] == pytest.approx([-np.sqrt(2), 0.0, np.sqrt(2)])
    assert coords[:, 1] == pytest.approx([0.0, 0.0, 0.0], abs=1e-12)
    flipped = pca_2d(np.array([[2.0, 2.0], [1.0, 1.0], [0.0, 0.0]]))
    assert flipped[:, 0] == pytest.approx([np.sqrt(2), 0.0, -np.sqrt(2)])  # same axis, not a flipped one


def write_jsonl(path: Path, records: list[dict]) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return str(path)


@pytest.fixture
def corpus_files(tmp_path: Path) -> dict[str, str]:
    queries = write_jsonl(
        tmp_path / "queries.jsonl", [{"_id": "q1", "text": "Boil eggs?"}, {"_id": "q2", "text": "bake bread"}]
    )
    human = write_jsonl(
        tmp_path / "human.jsonl",
        [
            {"query_id": "q1", "passage_id": "h1", "text": "Boil the eggs for ten minutes."},
            {"query_id": "q2", "passage_id": "h2", "text": "Bake bread at high heat."},
        ],
    )
    generated = write_jsonl(
        tmp_path / "generated.jsonl",
        [
            {"query_id": "q1", "passage_id": "g1", "text": "boil eggs, for ten minutes", "flags": []},
            {"query_id": "q2", "passage_id": "g2", "text": "Bake it for ten", "flags": ["truncated"]},
        ],
    )
    return {"queries": queries, "human": human, "generated": generated}


def test_one_corpus_streamed_by_hand(corpus_files: dict[str, str]) -> None:
    stats = corpus_statistics(corpus_files["generated"], corpus_files["queries"], corpus_files["human"])
    assert stats["passages"] == 2 and stats["queries"] == 2
    assert stats["length"] == pytest.approx({"mean": 4.5, "median": 4.5, "p5": 4.05, "p95": 4.95})
    assert stats["length_counts"] == {"4": 1, "5": 1}
    assert stats["query_overlap"] == pytest.approx(0.75)  # q1: boil, eggs both; q2: bake, not bread
    assert stats["distinct_1"] == pytest.approx(7 / 9)  # for, ten twice
    assert stats["distinct_2"] == pytest.approx(6 / 7)  # (for ten) twice
    # q1's trigrams: (boil eggs for) new, (eggs for ten) and (for ten minutes) human; q2's two all new
    assert stats["novelty"] == pytest.approx((1 / 3 + 1) / 2)
    assert stats["near_duplicates"] == 0.0
    assert stats["flags"] == {"truncated": 1}
    human = corpus_statistics(corpus_files["human"], corpus_files["queries"], corpus_files["human"])
    assert human["novelty"] is None and human["query_overlap"] == 1.0  # every query term in its passage


def test_a_passage_of_an_unknown_query_names_the_line(corpus_files: dict[str, str], tmp_path: Path) -> None:
    bad = write_jsonl(
        tmp_path / "bad.jsonl",
        [{"query_id": "q1", "passage_id": "x", "text": "a"}, {"query_id": "q9", "passage_id": "y", "text": "b"}],
    )
    with pytest.raises(SynthrankError, match=r"bad\.jsonl:2: query 'q9' is not in .*queries\.jsonl"):
        corpus_statistics(bad, corpus_files["queries"], None)
    empty = write_jsonl(tmp_path / "empty.jsonl", [])
    with pytest.raises(SynthrankError, match="no passage"):
        corpus_statistics(empty, corpus_files["queries"], None)


def test_the_sample_is_seeded_by_passage_id(tmp_path: Path) -> None:
    records = [{"query_id": f"q{i}", "passage_id": f"p{i}", "text": f"text {i}"} for i in range(20)]
    path = write_jsonl(tmp_path / "c.jsonl", records)
    sample = sample_passages(path, 5, seed=3)
    expected = sorted((f"p{i}" for i in range(20)), key=lambda p: sample_key(p, 3))[:5]
    assert [r["passage_id"] for r in sample] == expected
    # a corpus holding these passages among others (a mixture) samples the same ones where it can
    reversed_path = write_jsonl(tmp_path / "r.jsonl", records[::-1])
    assert [r["passage_id"] for r in sample_passages(reversed_path, 5, seed=3)] == expected
    assert sample_passages(path, 5, seed=4) != sample
    assert len(sample_passages(path, 50, seed=3)) == 20


def test_the_map_is_one_projection_of_every_corpus(tmp_path: Path) -> None:
    for name, rows in (("a", [[0.0, 0.0], [1.0, 1.0]]), ("b", [[2.0, 2.0]])):
        np.savez(tmp_path / f"{name}.npz", embeddings=np.array(rows, dtype=np.float32))
    coords = corpus_map({"a": str(tmp_path / "a.npz"), "b": str(tmp_path / "b.npz")})
    assert coords["a"][:, 0] == pytest.approx([-np.sqrt(2), 0.0])
    assert coords["b"][:, 0] == pytest.approx([np.sqrt(2)])


def test_npz_is_the_same_bytes_for_the_same_arrays(tmp_path: Path) -> None:
    import time

    from synthrank.corpus_stats import write_npz

    arrays = {"passage_ids": np.array(["p1", "p2"]), "embeddings": np.eye(2, dtype=np.float32)}
    with open(tmp_path / "a.npz", "wb") as handle:
        write_npz(handle, arrays)
    time.sleep(2.1)  # zip timestamps have a resolution of 2 s
    with open(tmp_path / "b.npz", "wb") as handle:
        write_npz(handle, arrays)
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    with np.load(tmp_path / "a.npz") as data:
        assert data["passage_ids"].tolist() == ["p1", "p2"] and (data["embeddings"] == np.eye(2)).all()


def test_near_duplicates_among_many_passages() -> None:
    rng = np.random.default_rng(0)
    texts = [" ".join(f"w{i}" for i in rng.integers(0, 1000, size=30)) for _ in range(50)]
    texts += [texts[0], texts[1]]  # two exact copies: four passages with a near-duplicate
    near = NearDuplicates(0.8, seed=0)
    for text in texts:
        near.add(keys(text, 5))
    assert near.rate() == pytest.approx(4 / 52)
