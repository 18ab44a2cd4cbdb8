"""What a few-shot prompt shows besides the query.

- few-shot-supervised: labelled (query, passage) pairs from the exemplar pool
  (:func:`build_exemplar_pool`), which is disjoint from the training queries and whose queries
  never equal an evaluation query;
- few-shot-unsupervised: raw passages of the training collection (:func:`sample_passages`, no
  queries), never one judged for an evaluation query.

:class:`ExemplarPlan` picks the ``k`` exemplars of each query's prompt (one fixed set, or a
seeded set per query). Defaults of ``k``, ``sampling`` and ``seed`` come from the config schema;
the size of the unsupervised sample when ``pool`` is not set is :data:`UNSUPERVISED_POOL` here,
because its default depends on the paradigm (supervised: the whole labelled pool), which the
schema cannot express.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from synthrank.collection import judged_queries, normalise_text, passage_text
from synthrank.errors import SynthrankError
from synthrank.io import iter_jsonl, read_qrels, write_jsonl
from synthrank.paradigms import PARADIGMS
from synthrank.queries import evaluation_texts
from synthrank.schema import defaults

#: raw passages sampled for few-shot-unsupervised prompts when ``exemplars.pool`` is not set
UNSUPERVISED_POOL = 100


def build_exemplar_pool(
    out_path: str,
    corpus_path: str,
    queries_path: str,
    qrels_path: str,
    evaluation: Sequence[tuple[str, str]],
    size: int,
    seed: int,
) -> int:
    """The labelled (query, passage) pool few-shot-supervised prompts draw from.

    Drawn in a seeded order from the judged training queries, skipping any query whose text
    (normalised) is also an evaluation query (``evaluation``: (queries, qrels) file pairs);
    these queries are then excluded from every corpus.
    """
    eval_texts = evaluation_texts(evaluation)  # (queries file, qrels file) of each evaluation collection
    queries = judged_queries(queries_path, qrels_path)
    qrels = read_qrels(qrels_path)
    order = sorted(q for q in queries if any(s > 0 for s in qrels[q].values()))
    random.Random(seed).shuffle(order)
    chosen: list[tuple[str, str]] = []
    for qid in order:
        if len(chosen) == size:
            break
        if normalise_text(queries[qid]) in eval_texts:
            continue
        best = sorted(qrels[qid].items(), key=lambda item: (-item[1], item[0]))[0][0]
        chosen.append((qid, best))
    if len(chosen) < size:
        raise SynthrankError(f"{qrels_path}: only {len(chosen)} judged queries for an exemplar pool of {size}")
    wanted = {docid for _, docid in chosen}
    texts = {str(d["_id"]): passage_text(d) for d in iter_jsonl(corpus_path, ("_id", "text")) if d["_id"] in wanted}
    missing = sorted(wanted - set(texts))
    if missing:
        raise SynthrankError(f"{qrels_path}: judged passage {missing[0]!r} is not in {corpus_path}")
    rows = [{"query_id": q, "query": queries[q], "passage_id": d, "passage": texts[d]} for q, d in chosen]
    return write_jsonl(out_path, rows)


def sample_passages(
    corpus_path: str, size: int, seed: int, exclude: set[str] | None = None, max_chars: int = 1200
) -> list[dict[str, str]]:
    """A seeded uniform sample of ``size`` raw passages, streamed (reservoir sampling, so an
    8.8M-passage corpus is read once in constant memory). ``exclude``: ids never shown."""
    rng = random.Random(seed)
    reservoir: list[dict[str, str]] = []
    seen = 0
    for doc in iter_jsonl(corpus_path, ("_id", "text")):
        docid = str(doc["_id"])
        if exclude and docid in exclude:
            continue
        text = passage_text(doc)
        if not text:
            continue
        seen += 1
        item = {"passage_id": docid, "passage": text[:max_chars]}
        if len(reservoir) < size:
            reservoir.append(item)
        else:
            slot = rng.randrange(seen)
            if slot < size:
                reservoir[slot] = item
    if len(reservoir) < size:
        raise SynthrankError(f"{corpus_path}: only {len(reservoir)} passages for an exemplar sample of {size}")
    return sorted(reservoir, key=lambda item: item["passage_id"])


@dataclass(frozen=True)
class ExemplarPlan:
    """Which exemplars each query's prompt shows (``sampling``: ``fixed`` or ``per-query``)."""

    pool: Sequence[Mapping[str, str]]
    k: int
    sampling: str = "per-query"
    seed: int = 0

    def for_query(self, qid: str) -> list[Mapping[str, str]]:
        if self.k > len(self.pool):
            raise SynthrankError(f"exemplars: k={self.k} but the pool holds {len(self.pool)}")
        # str seeds are hashed with SHA-512 by random.Random: stable across runs and machines
        rng = random.Random(f"{self.seed}" if self.sampling == "fixed" else f"{self.seed}:{qid}")
        return rng.sample(list(self.pool), self.k)


def exemplar_plan(
    paradigm: str,
    settings: Mapping[str, Any] | None,
    pool: Sequence[Mapping[str, str]],
    corpus_path: str,
    evaluation_qrels: Sequence[str],
    where: str = "corpus",
) -> ExemplarPlan | None:
    """The exemplars a corpus's prompts show (None for a paradigm without exemplars).

    ``settings``: the corpus's ``exemplars`` config (schema defaults filled in for missing keys);
    ``pool``: the labelled exemplar pool (supervised); ``corpus_path``: the training collection
    (unsupervised samples its raw passages, never one judged for an evaluation query)."""
    kind = PARADIGMS[paradigm].exemplars
    if kind is None:
        return None
    cfg = defaults("exemplars") | dict(settings or {})
    k, sampling, seed = int(cfg["k"]), str(cfg["sampling"]), int(cfg["seed"])
    if kind == "pairs":
        if not pool:
            raise SynthrankError(f"{where}: {paradigm} needs training.exemplar_pool (size > 0)")
        size = int(cfg.get("pool", len(pool)))
        return ExemplarPlan(list(pool)[:size], k, sampling, seed)
    judged = {docid for path in evaluation_qrels for docs in read_qrels(path).values() for docid in docs}
    sample = sample_passages(corpus_path, int(cfg.get("pool", UNSUPERVISED_POOL)), seed, exclude=judged)
    return ExemplarPlan(sample, k, sampling, seed)
