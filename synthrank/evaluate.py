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

A reranked run holds only the first stage's top ``depth`` candidates, reordered. A measure that
looks deeper (Recall@1000 of a depth-100 rerank, or MAP and MRR without a cutoff) would score the
first stage's candidate set, not the reranker, so it is not reported for such a run: the metric file
names it under ``not_reported`` with the reason (:func:`beyond_depth`).
"""

from __future__ import annotations

import random
import re
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from synthrank.errors import SynthrankError
from synthrank.io import Qrels, Run, read_qrels, read_run, trec_order


def parse_metric(metric: str) -> tuple[str, int, int]:
    """``ndcg@10`` -> ("ndcg", 10, 1); ``map@100-l2`` -> ("map", 100, 2) (ranx's names: ``-lN`` is the
    minimum grade that counts as relevant)."""
    from ranx.meta.evaluate import extract_metric_and_params

    try:
        name, k, rel_lvl = extract_metric_and_params(metric)
    except ValueError:
        raise SynthrankError(f"metrics: {metric!r} is not a metric name like 'ndcg@10' or 'map-l2'") from None
    return name, int(k), int(rel_lvl)


def metric_cutoff(metric: str) -> int:
    """The rank cutoff of a ranx metric name (``ndcg@10`` -> 10), 0 for a measure over the whole
    ranking (``map``, ``mrr``). Parsed here without importing ranx, so config checks stay fast."""
    match = re.search(r"@(\d+)", metric)
    return int(match.group(1)) if match else 0


def beyond_depth(metric: str, depth: int) -> bool:
    """Whether ``metric`` looks deeper than a rerank of the top ``depth`` candidates: its cutoff is
    larger than ``depth``, or it has none."""
    cutoff = metric_cutoff(metric)
    return cutoff == 0 or cutoff > depth


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


def _judged_run(run_path: str, qrels_path: str) -> tuple[Qrels, Run]:
    """The qrels (at least one judgment, else a one-line error) and the run."""
    qrels = read_qrels(qrels_path)
    if not qrels:
        raise SynthrankError(f"{qrels_path}: no relevance judgments")
    return qrels, read_run(run_path)


def _beyond(metrics: list[str], depth: int) -> dict[str, str]:
    """The measures a rerank of the top ``depth`` is not scored on, each with the reason."""
    reason = (
        f"beyond the reranking depth ({depth}): below it the run holds no candidates, so the value "
        "would measure the first stage, not the reranker"
    )
    return {m: reason for m in metrics if beyond_depth(m, depth)}


def evaluate_run(
    run_path: str,
    qrels_path: str,
    metrics: list[str],
    relevance_level: int = 1,
    rerank_depth: int | None = None,
) -> dict[str, Any]:
    """Mean and per-query values of ``metrics`` (ranx names, e.g. ``ndcg@10``) for one run file;
    binary measures count grades >= ``relevance_level`` as relevant (trec_eval's ``-l``).

    ``rerank_depth``: the run reranks the first stage's top ``rerank_depth`` candidates; measures
    beyond that depth are listed under ``not_reported`` instead of scored."""
    if relevance_level < 1:
        raise SynthrankError(f"relevance_level: {relevance_level} is below 1 (grade 0 means not relevant)")
    qrels, run = _judged_run(run_path, qrels_path)
    skipped = _beyond(metrics, rerank_depth) if rerank_depth is not None else {}
    per_query = per_query_scores(qrels, run, [m for m in metrics if m not in skipped], relevance_level)
    return {
        "run": str(run_path),
        "qrels": str(qrels_path),
        "relevance_level": relevance_level,
        "rerank_depth": rerank_depth,
        "not_reported": skipped,
        "num_queries": len(qrels),
        "num_queries_answered": sum(1 for qid in qrels if run.get(qid)),
        "metrics": {metric: round(float(np.mean(list(values.values()))), 6) for metric, values in per_query.items()},
        "per_query": per_query,
    }


def random_order_floor(
    run_path: str,
    qrels_path: str,
    metrics: list[str],
    depth: int,
    relevance_level: int = 1,
    permutations: int = 100,
    seed: int = 0,
) -> dict[str, Any]:
    """What a reranker scores by chance: the metrics of a uniformly random order of each query's
    top ``depth`` first-stage candidates (the reranker's candidate set), per query the mean over
    ``permutations`` seeded shuffles. A trained reranker within noise of this floor has learned
    nothing; the tables show it as the ``<arch> / random`` row. Measures beyond ``depth`` are not
    reported, as for a rerank (:func:`evaluate_run`)."""
    if permutations < 1:
        raise SynthrankError(f"permutations: {permutations} (at least 1)")
    qrels, run = _judged_run(run_path, qrels_path)
    candidates = {qid: trec_order(run.get(qid, {}))[:depth] for qid in sorted(qrels)}
    skipped = _beyond(metrics, depth)
    scored = [m for m in metrics if m not in skipped]
    rng = random.Random(seed)
    totals = {m: dict.fromkeys(candidates, 0.0) for m in scored}
    for _ in range(permutations):
        shuffled = {}
        for qid, docs in candidates.items():
            order = list(docs)
            rng.shuffle(order)
            shuffled[qid] = {doc: float(len(order) - i) for i, doc in enumerate(order)}
        for metric, values in per_query_scores(qrels, shuffled, scored, relevance_level).items():
            for qid, value in values.items():
                totals[metric][qid] += value
    per_query = {m: {qid: v / permutations for qid, v in values.items()} for m, values in totals.items()}
    return {
        "run": str(run_path),
        "qrels": str(qrels_path),
        "relevance_level": relevance_level,
        "rerank_depth": depth,
        "permutations": permutations,
        "seed": seed,
        "not_reported": skipped,
        "num_queries": len(qrels),
        "num_queries_answered": sum(1 for docs in candidates.values() if docs),
        "metrics": {m: round(float(np.mean(list(v.values()))), 6) for m, v in per_query.items()},
        "per_query": per_query,
    }
