"""Score a run against qrels with ranx's metric functions, ranked exactly as trec_eval ranks.

Two things here are not ``ranx.evaluate``, and why:

- **Ranking.** trec_eval ignores a run's rank column and re-sorts each query by score, compared as
  a C ``float`` (single precision), descending, and breaks ties by document id, descending
  (``strcmp(ptr2->docno, ptr1->docno)`` in ``form_res_rels.c``). ``ranx.Run`` hashes document ids
  with Python's per-process ``hash()`` and re-sorts by score alone, so tied scores come out in an
  order that changes from process to process (and so do MRR and nDCG). We rank each query the
  trec_eval way and hand ranx scores that are strictly decreasing in that order.
- **Start-up.** ``ranx.Qrels``/``ranx.Run``/``evaluate`` build numba typed dictionaries and lists,
  whose compiled code numba cannot cache on disk: 6-15 s of compilation in every process, for a
  metric computation of milliseconds. ranx's metric functions themselves (``ranx.metrics``) are
  ``njit(cache=True)``: called with plain lists of NumPy arrays they compile once per machine (in
  ``NUMBA_CACHE_DIR``) and load in well under a second afterwards.

Queries of the qrels that the run does not answer score 0; run queries without judgments are
ignored (trec_eval's ``-c``, ranx's ``make_comparable``).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from synthrank.errors import SynthrankError
from synthrank.io import read_qrels, read_run, trec_order


def parse_metric(metric: str) -> tuple[str, int, int]:
    """``ndcg@10`` -> ("ndcg", 10, 1); ``map@100-l2`` -> ("map", 100, 2) (ranx's names: ``-lN`` is the
    minimum grade that counts as relevant)."""
    from ranx.meta.evaluate import extract_metric_and_params

    try:
        name, k, rel_lvl = extract_metric_and_params(metric)
    except ValueError:
        raise SynthrankError(f"metrics: {metric!r} is not a metric name like 'ndcg@10' or 'map-l2'") from None
    return name, int(k), int(rel_lvl)


#: ranx's measures that count a document as relevant or not (trec_eval's ``-l`` applies to them);
#: the others (nDCG, DCG) weigh every grade
BINARY = frozenset({"hits", "hit_rate", "precision", "recall", "f1", "r_precision", "mrr", "map", "bpref"})


def per_query_scores(
    qrels: Mapping[str, Mapping[str, int]],
    run: Mapping[str, Mapping[str, float]],
    metrics: list[str],
    relevance_level: int = 1,
) -> dict[str, dict[str, float]]:
    """``{metric: {query id: value}}`` over the queries of ``qrels`` (sorted), with ranx's metric functions.

    ``relevance_level``: the lowest grade a binary measure counts as relevant, unless the metric
    name sets its own (``map-l2``)."""
    from numba.core.errors import NumbaPendingDeprecationWarning
    from ranx.metrics import metric_switch

    qids = sorted(qrels)
    qrels_arrays, run_arrays = [], []
    for qid in qids:
        judged = qrels[qid]
        ranked = trec_order(run.get(qid, {}))
        ids = {doc: i for i, doc in enumerate(dict.fromkeys([*judged, *ranked]), start=1)}
        # ranx expects each query's judgments by descending grade (its ideal DCG reads them in order)
        grades = sorted(((ids[doc], grade) for doc, grade in judged.items()), key=lambda pair: -pair[1])
        qrels_arrays.append(np.array(grades, dtype=np.float64).reshape(-1, 2))
        # strictly decreasing scores in trec_eval's order, so nothing can re-sort them
        n = len(ranked)
        run_arrays.append(
            np.array([(ids[doc], n - i) for i, doc in enumerate(ranked)], dtype=np.float64).reshape(-1, 2)
        )
    out: dict[str, dict[str, float]] = {}
    with warnings.catch_warnings():
        # numba will deprecate "reflected" lists; they are what lets ranx's functions load from the cache
        warnings.simplefilter("ignore", NumbaPendingDeprecationWarning)
        for metric in metrics:
            name, k, rel_lvl = parse_metric(metric)
            if name in BINARY and "-l" not in metric:
                rel_lvl = relevance_level
            try:
                function = metric_switch(name)
            except ValueError:
                raise SynthrankError(
                    f"metrics: unknown metric {metric!r} (ranx's names, e.g. ndcg@10, mrr@10, map)"
                ) from None
            values = function(qrels_arrays, run_arrays, k, rel_lvl) if qids else []
            out[metric] = {qid: float(v) for qid, v in zip(qids, values, strict=True)}
    return out


def evaluate_run(run_path: str, qrels_path: str, metrics: list[str], relevance_level: int = 1) -> dict[str, Any]:
    """Mean and per-query values of ``metrics`` (ranx names, e.g. ``ndcg@10``) for one run file;
    binary measures count grades >= ``relevance_level`` as relevant (trec_eval's ``-l``)."""
    if relevance_level < 1:
        raise SynthrankError(f"relevance_level: {relevance_level} is below 1 (grade 0 means not relevant)")
    qrels = read_qrels(qrels_path)
    if not qrels:
        raise SynthrankError(f"{qrels_path}: no relevance judgments")
    run = read_run(run_path)
    per_query = per_query_scores(qrels, run, metrics, relevance_level)
    return {
        "run": str(run_path),
        "qrels": str(qrels_path),
        "relevance_level": relevance_level,
        "num_queries": len(qrels),
        "num_queries_answered": sum(1 for qid in qrels if run.get(qid)),
        "metrics": {metric: round(float(np.mean(list(values.values()))), 6) for metric, values in per_query.items()},
        "per_query": per_query,
    }
