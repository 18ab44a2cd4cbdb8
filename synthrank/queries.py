"""The training queries: one seeded order that every corpus takes a prefix (or a slice) of.

A corpus with ``queries: N`` answers the first ``N`` queries of :func:`query_order`, so
small-corpus settings are nested prefixes of larger ones, and a mixture component takes
``order[offset:offset + N]`` (:func:`select_queries`). Left out of the order:

- the exemplar pool's queries: a query shown as a few-shot example is never a training query;
- every training query whose text equals an evaluation query's (the judged queries of every
  collection of ``evaluation:``, in and out of domain), compared normalised as the exemplar pool
  compares them (:func:`synthrank.collection.normalise_text`: case folded, punctuation dropped,
  whitespace collapsed), counted in a log line; dropped after the seeded shuffle, so the other
  queries keep their order (nothing excluded: the order is as before);
- the optional dev split (``training.dev_queries: N``): the last N queries of that order, written
  to a file of their own (:func:`write_dev_queries`) for choosing recipes and prompts, never a corpus's.
"""

from __future__ import annotations

import logging
import os
import random
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from synthrank.collection import judged_queries, normalise_text
from synthrank.errors import SynthrankError
from synthrank.io import iter_jsonl, read_qrels, read_texts, write_jsonl

log = logging.getLogger(__name__)


def evaluation_pairs(queries: Sequence[str], qrels: Sequence[str]) -> list[tuple[str, str]]:
    """(queries file, qrels file) per evaluation collection, from a job's two parallel input lists."""
    if len(queries) != len(qrels):
        raise SynthrankError(f"evaluation inputs: {len(queries)} queries files for {len(qrels)} qrels files")
    return list(zip(queries, qrels, strict=True))


def evaluation_texts(evaluation: Iterable[tuple[str, str]]) -> set[str]:
    """The normalised texts of the judged queries of each (queries file, qrels file) pair."""
    texts: set[str] = set()
    for queries_path, qrels_path in evaluation:
        queries = read_texts(queries_path)
        texts |= {normalise_text(queries[qid]) for qid in read_qrels(qrels_path) if qid in queries}
    return texts


class Split(NamedTuple):
    """The training-query order (id -> text) every corpus takes a prefix of, and the dev split."""

    order: dict[str, str]
    dev: dict[str, str]


def query_order(
    queries_path: str | os.PathLike[str],
    qrels_path: str | os.PathLike[str],
    max_queries: int | None = None,
    seed: int = 0,
    exclude: Iterable[str] = (),
    exclude_texts: Iterable[str] = (),
    dev_queries: int = 0,
) -> Split:
    """The training queries in one seeded order and the dev split carved from its end.

    Without ``exclude`` (the exemplar pool's ids) before the shuffle, as always; then without the
    queries whose normalised text is in ``exclude_texts`` (:func:`evaluation_texts`); the last
    ``dev_queries`` of what is left are the dev split, the rest, cut to ``max_queries``, the order
    every corpus takes a prefix of."""
    queries = judged_queries(queries_path, qrels_path)
    qrels = read_qrels(qrels_path)
    excluded = set(exclude)
    order = sorted(q for q in queries if q not in excluded and any(s > 0 for s in qrels[q].values()))
    random.Random(seed).shuffle(order)
    texts = set(exclude_texts)
    kept = [q for q in order if normalise_text(queries[q]) not in texts]
    log.info("excluded %d training queries whose text equals an evaluation query's", len(order) - len(kept))
    if dev_queries:
        if dev_queries >= len(kept):
            raise SynthrankError(
                f"training.dev_queries: {dev_queries} leaves no training query ({len(kept)} judged ones left)"
            )
        kept, dev = kept[: len(kept) - dev_queries], kept[len(kept) - dev_queries :]
    else:
        dev = []
    if max_queries is not None:
        kept = kept[:max_queries]
    return Split({qid: queries[qid] for qid in kept}, {qid: queries[qid] for qid in dev})


def training_order(
    queries_path: str,
    qrels_path: str,
    pool_path: str | None,
    max_queries: int | None,
    sample_seed: int,
    evaluation: Sequence[tuple[str, str]] = (),
    dev_queries: int = 0,
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The exemplar pool (empty without one) and the query order of every corpus, which excludes
    it, the queries equal to an evaluation query (``evaluation``: (queries, qrels) file pairs) and
    the dev split."""
    pool = read_pool(pool_path)
    ids = {p["query_id"] for p in pool}
    texts = evaluation_texts(evaluation)
    return pool, query_order(queries_path, qrels_path, max_queries, sample_seed, ids, texts, dev_queries).order


def read_pool(pool_path: str | None) -> list[dict[str, Any]]:
    """The exemplar pool's records (none without a pool file)."""
    return list(iter_jsonl(pool_path, ("query_id", "query", "passage_id", "passage"))) if pool_path else []


def write_dev_queries(
    out_path: str,
    queries_path: str,
    qrels_path: str,
    pool_path: str | None,
    sample_seed: int,
    evaluation: Sequence[tuple[str, str]],
    dev_queries: int,
) -> int:
    """The dev split (``training.dev_queries``) as JSONL ``{"query_id", "query"}``, in order: for
    choosing recipes and prompts; no corpus, training set or reported table reads it."""
    ids = {p["query_id"] for p in read_pool(pool_path)}
    texts = evaluation_texts(evaluation)
    dev = query_order(queries_path, qrels_path, None, sample_seed, ids, texts, dev_queries).dev
    return write_jsonl(out_path, [{"query_id": qid, "query": text} for qid, text in dev.items()])


def select_queries(order: Mapping[str, str], count: int | None, offset: int = 0, where: str = "corpus") -> list[str]:
    """``order[offset:offset + count]`` (all from ``offset`` when count is None), checked."""
    ids = list(order)
    if offset + (count or 0) > len(ids):
        raise SynthrankError(
            f"{where}: asks for queries {offset}..{offset + (count or 0)} but only {len(ids)} training queries exist"
        )
    return ids[offset:] if count is None else ids[offset : offset + count]
