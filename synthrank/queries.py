"""The training queries: one seeded order that every corpus takes a prefix (or a slice) of.

A corpus with ``queries: N`` answers the first ``N`` queries of :func:`query_order`, so
small-corpus settings are nested prefixes of larger ones, and a mixture component takes
``order[offset:offset + N]`` (:func:`select_queries`). The exemplar pool's queries are left out
of the order: a query shown as a few-shot example is never a training query.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterable, Mapping
from typing import Any

from synthrank.collection import judged_queries
from synthrank.errors import SynthrankError
from synthrank.io import iter_jsonl, read_qrels


def query_order(
    queries_path: str | os.PathLike[str],
    qrels_path: str | os.PathLike[str],
    max_queries: int | None = None,
    seed: int = 0,
    exclude: Iterable[str] = (),
) -> dict[str, str]:
    """The training queries in one seeded order, without ``exclude`` (the exemplar pool), cut to
    ``max_queries``. Every corpus takes a prefix of this order."""
    queries = judged_queries(queries_path, qrels_path)
    qrels = read_qrels(qrels_path)
    excluded = set(exclude)
    order = sorted(q for q in queries if q not in excluded and any(s > 0 for s in qrels[q].values()))
    random.Random(seed).shuffle(order)
    if max_queries is not None:
        order = order[:max_queries]
    return {qid: queries[qid] for qid in order}


def training_order(
    queries_path: str,
    qrels_path: str,
    pool_path: str | None,
    max_queries: int | None,
    sample_seed: int,
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The exemplar pool (empty without one) and the query order of every corpus, which excludes it."""
    pool = list(iter_jsonl(pool_path, ("query_id", "query", "passage_id", "passage"))) if pool_path else []
    return pool, query_order(queries_path, qrels_path, max_queries, sample_seed, exclude={p["query_id"] for p in pool})


def select_queries(order: Mapping[str, str], count: int | None, offset: int = 0, where: str = "corpus") -> list[str]:
    """``order[offset:offset + count]`` (all from ``offset`` when count is None), checked."""
    ids = list(order)
    if offset + (count or 0) > len(ids):
        raise SynthrankError(
            f"{where}: asks for queries {offset}..{offset + (count or 0)} but only {len(ids)} training queries exist"
        )
    return ids[offset:] if count is None else ids[offset : offset + count]
