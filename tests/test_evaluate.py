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
