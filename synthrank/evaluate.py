"""Score a run against qrels with ranx; keep the mean and the per-query values."""

from __future__ import annotations

from typing import Any

from synthrank.errors import SynthrankError
from synthrank.io import read_qrels, read_run


def evaluate_run(run_path: str, qrels_path: str, metrics: list[str]) -> dict[str, Any]:
    """Mean and per-query values of ``metrics`` (ranx names, e.g. ``ndcg@10``) for one run.

    Queries of the qrels that the run does not answer score 0; run queries without
    judgments are ignored (ranx's ``make_comparable``), as trec_eval does with ``-c``.
    """
    from ranx import Qrels, Run, evaluate

    qrels_dict = read_qrels(qrels_path)
    if not qrels_dict:
        raise SynthrankError(f"{qrels_path}: no relevance judgments")
    run_dict = read_run(run_path)
    qrels = Qrels(qrels_dict)
    # ranx cannot build an empty Run; a placeholder query that no qrels name scores every query 0
    run = Run({qid: docs for qid, docs in run_dict.items() if docs} or {"": {"": 0.0}})
    try:
        means = evaluate(qrels, run, metrics, make_comparable=True)
    except (ValueError, KeyError) as exc:
        raise SynthrankError(f"metrics {metrics}: {exc}") from None
    if isinstance(means, float):
        means = {metrics[0]: means}
    per_query = {metric: {qid: float(v) for qid, v in sorted(run.scores[metric].items())} for metric in metrics}
    return {
        "run": str(run_path),
        "qrels": str(qrels_path),
        "num_queries": len(qrels_dict),
        "num_queries_answered": sum(1 for qid in qrels_dict if run_dict.get(qid)),
        "metrics": {metric: round(float(means[metric]), 6) for metric in metrics},
        "per_query": per_query,
    }
