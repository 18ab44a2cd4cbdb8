import math
from pathlib import Path

import pytest

from synthrank.errors import SynthrankError
from synthrank.evaluate import evaluate_run
from synthrank.io import write_qrels, write_run


def test_metrics_match_hand_computed_values(tmp_path: Path) -> None:
    write_qrels(tmp_path / "q.tsv", {"q1": {"d1": 1}, "q2": {"d5": 1}})
    # q2 is unanswered: it counts as 0, as trec_eval -c does; q9 has no judgments: ignored
    write_run(tmp_path / "r.trec", {"q1": {"d2": 0.9, "d1": 0.8}, "q9": {"d1": 1.0}}, tag="t")
    result = evaluate_run(str(tmp_path / "r.trec"), str(tmp_path / "q.tsv"), ["ndcg@10", "mrr@10", "recall@100"])
    ndcg_q1 = 1 / math.log2(3)
    assert result["per_query"]["ndcg@10"] == pytest.approx({"q1": ndcg_q1, "q2": 0.0})
    assert result["metrics"]["ndcg@10"] == pytest.approx(ndcg_q1 / 2, abs=1e-6)
    assert result["metrics"]["mrr@10"] == pytest.approx(0.25)
    assert result["metrics"]["recall@100"] == pytest.approx(0.5)
    assert result["num_queries"] == 2 and result["num_queries_answered"] == 1
    assert result["run"].endswith("r.trec") and result["qrels"].endswith("q.tsv")


def test_unknown_metric_is_one_line(tmp_path: Path) -> None:
    write_qrels(tmp_path / "q.tsv", {"q1": {"d1": 1}})
    write_run(tmp_path / "r.trec", {"q1": {"d1": 1.0}}, tag="t")
    with pytest.raises(SynthrankError, match="metrics"):
        evaluate_run(str(tmp_path / "r.trec"), str(tmp_path / "q.tsv"), ["ndgc@10"])


@pytest.mark.heavy
def test_metrics_equal_ranx_evaluate_on_untied_runs(tmp_path: Path) -> None:
    """Without ties, the fast path gives exactly what ranx.evaluate gives (graded judgments too)."""
    import random

    from ranx import Qrels, Run, evaluate

    rng = random.Random(3)
    qrels = {f"q{q}": {f"d{d}": rng.choice([0, 1, 2, 3]) for d in rng.sample(range(40), 8)} for q in range(12)}
    run = {f"q{q}": {f"d{d}": rng.random() for d in rng.sample(range(40), 25)} for q in range(14)}
    write_qrels(tmp_path / "q.tsv", qrels)
    write_run(tmp_path / "r.trec", run, tag="t")
    metrics = ["ndcg@10", "mrr@10", "recall@20", "map", "precision@5", "map-l2", "mrr-l2"]
    ours = evaluate_run(str(tmp_path / "r.trec"), str(tmp_path / "q.tsv"), metrics)
    theirs = evaluate(Qrels(qrels), Run(run), metrics, make_comparable=True)
    for metric in metrics:
        assert ours["metrics"][metric] == pytest.approx(float(theirs[metric]), abs=1e-6), metric


def test_ties_are_broken_as_trec_eval_does(tmp_path: Path) -> None:
    """trec_eval: score descending, ties by document id *descending*; the rank column is ignored."""
    write_qrels(tmp_path / "q.tsv", {"q1": {"a": 1}, "q2": {"z": 1}})
    # every score equal: q1 ranks c, b, a (a at 3), q2 ranks z first
    (tmp_path / "r.trec").write_text(
        "q1 Q0 a 1 0.5 t\nq1 Q0 b 2 0.5 t\nq1 Q0 c 3 0.5 t\nq2 Q0 x 1 0.5 t\nq2 Q0 z 2 0.5 t\n"
    )
    result = evaluate_run(str(tmp_path / "r.trec"), str(tmp_path / "q.tsv"), ["mrr@10", "ndcg@10", "recall@2"])
    assert result["per_query"]["mrr@10"] == {"q1": pytest.approx(1 / 3), "q2": 1.0}
    assert result["per_query"]["ndcg@10"] == {"q1": pytest.approx(0.5), "q2": 1.0}
    assert result["per_query"]["recall@2"] == {"q1": 0.0, "q2": 1.0}


def test_scores_are_compared_in_single_precision_like_trec_eval(tmp_path: Path) -> None:
    """trec_eval holds scores as C floats: 0.1 and 0.1 + 1e-12 are a tie there, broken by id."""
    write_qrels(tmp_path / "q.tsv", {"q1": {"a": 1}})
    write_run(tmp_path / "r.trec", {"q1": {"a": 0.1 + 1e-12, "b": 0.1}}, tag="t")
    assert (tmp_path / "r.trec").read_text().splitlines()[0].split()[2] == "b"  # the file's order is trec_eval's
    result = evaluate_run(str(tmp_path / "r.trec"), str(tmp_path / "q.tsv"), ["mrr@10"])
    assert result["metrics"]["mrr@10"] == pytest.approx(0.5)


def test_a_query_with_only_grade_0_judgments_scores_0(tmp_path: Path) -> None:
    write_qrels(tmp_path / "q.tsv", {"q1": {"a": 0}, "q2": {"b": 1}})
    write_run(tmp_path / "r.trec", {"q1": {"a": 1.0}, "q2": {"b": 1.0}}, tag="t")
    result = evaluate_run(str(tmp_path / "r.trec"), str(tmp_path / "q.tsv"), ["ndcg@10", "mrr@10"])
    assert result["per_query"]["ndcg@10"] == {"q1": 0.0, "q2": 1.0}
    assert result["per_query"]["mrr@10"] == {"q1": 0.0, "q2": 1.0}


def test_relevance_level_applies_to_binary_measures_only(tmp_path: Path) -> None:
    """TREC DL style: grades 0-3, binary measures count grade >= 2 (trec_eval -l 2); nDCG keeps every grade."""
    write_qrels(tmp_path / "q.tsv", {"q1": {"d1": 1, "d2": 3, "d3": 0}})
    write_run(tmp_path / "r.trec", {"q1": {"d1": 0.9, "d3": 0.8, "d2": 0.7}}, tag="t")
    metrics = ["ndcg@10", "mrr@10", "recall@2", "map-l1"]
    level1 = evaluate_run(str(tmp_path / "r.trec"), str(tmp_path / "q.tsv"), metrics)
    level2 = evaluate_run(str(tmp_path / "r.trec"), str(tmp_path / "q.tsv"), metrics, relevance_level=2)
    assert level1["metrics"]["mrr@10"] == pytest.approx(1.0) and level2["metrics"]["mrr@10"] == pytest.approx(1 / 3)
    assert level1["metrics"]["recall@2"] == pytest.approx(0.5) and level2["metrics"]["recall@2"] == pytest.approx(0.0)
    # nDCG (graded gains) and a metric that names its own level do not change
    assert level2["metrics"]["ndcg@10"] == pytest.approx(level1["metrics"]["ndcg@10"])
    assert level2["metrics"]["map-l1"] == pytest.approx(level1["metrics"]["map-l1"])
    assert (level1["relevance_level"], level2["relevance_level"]) == (1, 2)
    with pytest.raises(SynthrankError, match="relevance_level: 0 is below 1"):
        evaluate_run(str(tmp_path / "r.trec"), str(tmp_path / "q.tsv"), metrics, relevance_level=0)


def test_a_rerank_is_not_scored_beyond_its_depth(tmp_path: Path) -> None:
    write_qrels(tmp_path / "q.tsv", {"q1": {"d1": 1, "d9": 1}})
    write_run(tmp_path / "r.trec", {"q1": {"d2": 0.9, "d1": 0.8}}, tag="t")
    metrics = ["ndcg@2", "recall@2", "recall@100", "map", "mrr"]
    reranked = evaluate_run(str(tmp_path / "r.trec"), str(tmp_path / "q.tsv"), metrics, rerank_depth=2)
    # within the depth: scored as for any run
    assert reranked["metrics"] == {"ndcg@2": pytest.approx(0.3868528, abs=1e-6), "recall@2": 0.5}
    # deeper cutoffs and measures without one would score the first stage's candidate set
    assert set(reranked["not_reported"]) == {"recall@100", "map", "mrr"}
    assert "beyond the reranking depth (2)" in reranked["not_reported"]["map"]
    assert set(reranked["per_query"]) == {"ndcg@2", "recall@2"}
    first_stage = evaluate_run(str(tmp_path / "r.trec"), str(tmp_path / "q.tsv"), metrics)
    assert set(first_stage["metrics"]) == set(metrics) and first_stage["not_reported"] == {}
    assert first_stage["rerank_depth"] is None and reranked["rerank_depth"] == 2


def test_random_order_floor_is_the_chance_score_of_the_candidates(tmp_path: Path) -> None:
    from synthrank.evaluate import random_order_floor

    write_qrels(tmp_path / "q.tsv", {"q1": {"d1": 1}, "q2": {"d9": 1}})
    # q1: the relevant document is one of the 2 candidates reranked; q2: it is below the depth
    write_run(
        tmp_path / "r.trec", {"q1": {"d2": 0.9, "d1": 0.8, "d3": 0.1}, "q2": {"d8": 1.0, "d7": 0.5, "d9": 0.2}}, tag="t"
    )
    args = (str(tmp_path / "r.trec"), str(tmp_path / "q.tsv"), ["mrr@2", "recall@2", "recall@100"], 2)
    floor = random_order_floor(*args, permutations=4000, seed=3)
    # q1's relevant document comes first in half the orders: MRR 1 or 1/2, expected 3/4
    assert floor["per_query"]["mrr@2"]["q1"] == pytest.approx(0.75, abs=0.02)
    assert floor["per_query"]["mrr@2"]["q2"] == 0.0 and floor["per_query"]["recall@2"] == {"q1": 1.0, "q2": 0.0}
    assert floor["metrics"]["mrr@2"] == pytest.approx(0.375, abs=0.01)
    assert set(floor["not_reported"]) == {"recall@100"}
    assert (floor["rerank_depth"], floor["permutations"], floor["seed"]) == (2, 4000, 3)
    assert random_order_floor(*args, permutations=50, seed=1) == random_order_floor(*args, permutations=50, seed=1)
    with pytest.raises(SynthrankError, match="permutations: 0"):
        random_order_floor(*args, permutations=0)
