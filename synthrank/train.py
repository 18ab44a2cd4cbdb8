"""Training sets (positives + BM25-mined hard negatives) and the two trainers.

A training set is JSONL, one line per (query, positive passage)::

    {"query_id", "query", "passage_id", "positive", "negative_ids": [...], "negatives": [...]}

The positive comes from a passage corpus (human or generated). The negatives are a seeded sample
of ``count`` from BM25's top ``depth`` for the query, mined per corpus for the queries that corpus
answers (:func:`mine_candidates`), from the source its settings name
(:data:`synthrank.paradigms.NEGATIVE_SOURCES`):

- ``human`` (the thesis default): documents of the training collection, minus those the training
  qrels judge for the query;
- ``corpus`` (label-free): the corpus's own passages, each one a document, minus the query's own
  passage(s) (:func:`build_passages_index`);
- ``both``: the two lists merged alternately by rank (each without what either excludes), without
  repeats, cut to ``depth``.

:func:`build_trainset` streams the candidate runs, keeping at most ``2 x depth`` candidates per
query it needs, and reads the collection's text only for the negatives it picked.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import Any

from synthrank.collection import load_passages
from synthrank.errors import SynthrankError
from synthrank.io import atomic_dir, atomic_write, iter_jsonl, iter_qrels, iter_run, run_lines, write_jsonl
from synthrank.models import load_bi_encoder, load_cross_encoder, resolve_precision, seed_everything
from synthrank.paradigms import NEGATIVE_SOURCES

log = logging.getLogger(__name__)

#: queries BM25 mines at a time: the mining job holds this many queries' hits, not the corpus's all
MINING_CHUNK = 10_000


def read_candidates(run_path: str, queries: Collection[str], depth: int) -> dict[str, list[str]]:
    """The top ``depth`` documents (score descending, ties by id) of each of ``queries`` in a TREC
    run, streamed: the run is read line by line, lines of other queries are skipped, and no query
    holds more than ``2 x depth`` candidates at a time, so memory grows with the queries asked
    for, never with the run."""
    kept: dict[str, dict[str, float]] = {}
    for qid, docid, score in iter_run(run_path):
        if qid not in queries:
            continue
        docs = kept.setdefault(qid, {})
        docs[docid] = score
        if len(docs) >= 2 * depth:
            kept[qid] = dict(_best(docs, depth))
    return {qid: [docid for docid, _ in _best(docs, depth)] for qid, docs in kept.items()}


def _best(docs: Mapping[str, float], depth: int) -> list[tuple[str, float]]:
    return sorted(docs.items(), key=lambda item: (-item[1], item[0]))[:depth]


def _merge_alternately(first: list[str], second: list[str], depth: int) -> list[str]:
    """``first[0], second[0], first[1], ...`` without repeats, cut to ``depth``."""
    merged: dict[str, None] = {}
    for i in range(max(len(first), len(second))):
        for ranked in (first, second):
            if i < len(ranked):
                merged.setdefault(ranked[i])
    return list(merged)[:depth]


def _needed_queries(
    passages: list[dict[str, Any]], queries_path: str, qrels_path: str, passages_path: str
) -> tuple[dict[str, str], dict[str, set[str]]]:
    """The texts and judged documents of the queries the passages answer (only theirs are kept)."""
    needed = dict.fromkeys(str(record["query_id"]) for record in passages)
    judged: dict[str, set[str]] = {}
    for qid, docid, _ in iter_qrels(qrels_path):
        if qid in needed:
            judged.setdefault(qid, set()).add(docid)
    unjudged = [qid for qid in needed if qid not in judged]
    if unjudged:
        raise SynthrankError(f"{passages_path}: query id {unjudged[0]!r} is not a judged training query")
    return _query_texts(queries_path, needed, qrels_path), judged


def _query_texts(queries_path: str, needed: Collection[str], where: str) -> dict[str, str]:
    """The texts of the ``needed`` query ids, in their order; ``where`` names the file that asked."""
    texts = {
        str(r["_id"]): str(r["text"]) for r in iter_jsonl(queries_path, ("_id", "text")) if str(r["_id"]) in needed
    }
    missing = [qid for qid in needed if qid not in texts]
    if missing:
        raise SynthrankError(f"{where}: query id {missing[0]!r} is not in {queries_path}")
    return {qid: texts[qid] for qid in needed}


def build_trainset(
    passages_path: str,
    queries_path: str,
    qrels_path: str,
    out_path: str,
    *,
    count: int,
    depth: int,
    seed: int,
    source: str = "human",
    collection_path: str | None = None,
    collection_run: str | None = None,
    corpus_run: str | None = None,
) -> int:
    """Pair each corpus passage with ``count`` hard negatives sampled from BM25's top ``depth``.

    ``collection_path`` and ``collection_run`` (the training collection, and BM25's candidates
    from it for the corpus's queries) serve sources ``human`` and ``both``; ``corpus_run`` (BM25's
    candidates from the corpus's own passages) serves ``corpus`` and ``both``."""
    if source not in NEGATIVE_SOURCES:
        raise SynthrankError(f"hard-negative source {source!r} is none of {', '.join(NEGATIVE_SOURCES)}")
    uses_collection, uses_corpus = source in ("human", "both"), source in ("corpus", "both")
    if uses_collection and not (collection_path and collection_run):
        raise SynthrankError(f"hard negatives from {source}: the training collection and its BM25 run are needed")
    if uses_corpus and not corpus_run:
        raise SynthrankError(f"hard negatives from {source}: the BM25 run over the corpus's passages is needed")
    passages = list(iter_jsonl(passages_path, required=("query_id", "passage_id", "text")))
    if not passages:
        raise SynthrankError(f"{passages_path}: the passage corpus is empty")
    queries, judged = _needed_queries(passages, queries_path, qrels_path, passages_path)
    own: dict[str, set[str]] = {}
    corpus_texts: dict[str, str] = {}
    for record in passages:
        own.setdefault(str(record["query_id"]), set()).add(str(record["passage_id"]))
        corpus_texts.setdefault(str(record["passage_id"]), str(record["text"]))
    from_collection = read_candidates(collection_run, queries, depth) if collection_run and uses_collection else {}
    from_corpus = read_candidates(corpus_run, queries, depth) if corpus_run and uses_corpus else {}
    pools: dict[str, list[str]] = {}
    in_corpus: set[str] = set()  # candidates whose text is read from the corpus, not the collection
    for qid in queries:
        excluded = {"human": judged[qid], "corpus": own[qid], "both": judged[qid] | own[qid]}[source]
        collection_list = [d for d in from_collection.get(qid, []) if d not in excluded]
        corpus_list = [d for d in from_corpus.get(qid, []) if d not in excluded]
        in_corpus.update(set(corpus_list) - set(collection_list))
        if source == "both":
            pools[qid] = _merge_alternately(collection_list, corpus_list, depth)
        else:
            pools[qid] = collection_list if source == "human" else corpus_list
    rng = random.Random(seed)
    picked: dict[tuple[str, str], list[str]] = {}
    short = []
    for record in passages:
        qid = str(record["query_id"])
        pool = pools[qid]
        picked[(qid, str(record["passage_id"]))] = rng.sample(pool, min(count, len(pool)))
        if len(pool) < count:
            short.append(qid)
    if short:
        first = short[0]
        log.warning(
            "%d of %d passages have fewer than %d hard negatives (e.g. query %s: %d in BM25's top %d, source %s)",
            *(len(short), len(passages), count, first, len(pools[first]), depth, source),
        )
    wanted = {docid for docs in picked.values() for docid in docs}
    texts = {docid: corpus_texts[docid] for docid in wanted & in_corpus}
    if wanted - in_corpus:
        assert collection_path is not None
        texts.update(load_passages(collection_path, wanted - in_corpus))
    rows = (
        {
            "query_id": qid,
            "query": queries[qid],
            "passage_id": pid,
            "positive": str(record["text"]),
            "negative_ids": picked[(qid, pid)],
            "negatives": [texts[d] for d in picked[(qid, pid)]],
        }
        for record in passages
        for qid, pid in [(str(record["query_id"]), str(record["passage_id"]))]
    )
    return write_jsonl(out_path, rows)


def _corpus_queries(passages_path: str, queries_path: str) -> dict[str, str]:
    """The texts of the queries a passage corpus answers, each once, in corpus order."""
    needed = dict.fromkeys(str(r["query_id"]) for r in iter_jsonl(passages_path, ("query_id", "passage_id", "text")))
    if not needed:
        raise SynthrankError(f"{passages_path}: the passage corpus is empty")
    return _query_texts(queries_path, needed, passages_path)


def mine_candidates(
    index_dir: str,
    passages_path: str,
    queries_path: str,
    out_path: str,
    depth: int,
    k1: float,
    b: float,
    threads: int = 1,
    remove_query: bool = False,
) -> int:
    """BM25's top ``depth`` from ``index_dir`` (the training collection's index, or the corpus's
    own: :func:`build_passages_index`) for each query the passage corpus answers, as a TREC run,
    ``MINING_CHUNK`` queries at a time; returns the number of queries."""
    from synthrank.retrieve import bm25_search

    queries = _corpus_queries(passages_path, queries_path)
    qids = list(queries)
    with atomic_write(out_path) as handle:
        for start in range(0, len(qids), MINING_CHUNK):
            chunk = {qid: queries[qid] for qid in qids[start : start + MINING_CHUNK]}
            run = bm25_search(index_dir, chunk, k=depth, k1=k1, b=b, threads=threads, remove_query=remove_query)
            handle.writelines(run_lines(run, "bm25"))
    return len(qids)


def _unique_passages(passages_path: str) -> Iterator[tuple[str, str]]:
    seen: set[str] = set()
    for record in iter_jsonl(passages_path, ("query_id", "passage_id", "text")):
        pid = str(record["passage_id"])
        if pid not in seen:  # a human passage judged for two queries is one document
            seen.add(pid)
            yield pid, str(record["text"])


def build_passages_index(passages_path: str, index_dir: str, threads: int = 1) -> int:
    """A BM25 index of a passage corpus, each passage one document (its ``passage_id``): where the
    ``corpus`` source mines negatives, without any label."""
    from synthrank.retrieve import index_documents

    return index_documents(_unique_passages(passages_path), index_dir, passages_path, threads)


def _load_rows(trainset_path: str) -> list[dict[str, Any]]:
    rows = list(iter_jsonl(trainset_path, required=("query", "positive", "negatives")))
    if not rows:
        raise SynthrankError(f"{trainset_path}: the training set is empty")
    return rows


def _trainer_args(hyper: Mapping[str, Any], seed: int, output_dir: str) -> dict[str, Any]:
    precision = resolve_precision(str(hyper.get("precision", "fp32")), "training")
    on_cpu = False
    if precision != "fp32":
        import torch

        on_cpu = not torch.cuda.is_available()  # bf16 autocast on a CPU that computes it natively
    log.info("training in %s%s", precision, " (auto)" if hyper.get("precision") == "auto" else "")
    return {
        "output_dir": output_dir,
        "num_train_epochs": float(hyper["epochs"]),
        "per_device_train_batch_size": int(hyper["batch_size"]),
        "learning_rate": float(hyper["learning_rate"]),
        "warmup_ratio": float(hyper.get("warmup_ratio", 0.1)),
        "bf16": precision == "bf16",
        "fp16": precision == "fp16",
        "use_cpu": on_cpu,
        "seed": seed,
        "data_seed": seed,
        "save_strategy": "no",
        "report_to": "none",
        "logging_steps": 10,
        "disable_tqdm": False,
    }


#: cross-encoder losses (``train.loss``): what each trains on is built by :func:`cross_encoder_data`
CROSS_ENCODER_LOSSES = ("bce", "mnrl", "lambda")


def cross_encoder_data(rows: list[dict[str, Any]], loss: str) -> dict[str, list[Any]]:
    """The training columns a cross-encoder loss reads, from training-set rows.

    - ``bce``: one (query, passage, label) pair per positive and per hard negative;
    - ``mnrl``: (query, positive, negative_1..k) with k the fewest hard negatives of any row (the
      loss adds in-batch negatives);
    - ``lambda``: (query, [positive, negatives...], [1, 0, ...]): one ranked list per row.
    """
    if loss == "bce":
        pairs: dict[str, list[Any]] = {"query": [], "passage": [], "label": []}
        for row in rows:
            for text, label in [(row["positive"], 1.0)] + [(neg, 0.0) for neg in row["negatives"]]:
                pairs["query"].append(row["query"])
                pairs["passage"].append(text)
                pairs["label"].append(label)
        return pairs
    if loss == "mnrl":
        k = min(len(row["negatives"]) for row in rows)
        columns: dict[str, list[Any]] = {"query": [r["query"] for r in rows], "positive": [r["positive"] for r in rows]}
        for i in range(k):
            columns[f"negative_{i + 1}"] = [r["negatives"][i] for r in rows]
        return columns
    if loss == "lambda":
        return {
            "query": [r["query"] for r in rows],
            "docs": [[r["positive"], *r["negatives"]] for r in rows],
            "labels": [[1] + [0] * len(r["negatives"]) for r in rows],
        }
    raise SynthrankError(f"train.loss: {loss!r} is not a cross-encoder loss ({', '.join(CROSS_ENCODER_LOSSES)})")


def cross_encoder_loss(losses: Any, model: Any, loss_name: str, hyper: Mapping[str, Any]) -> Any:
    """The loss object of ``train.loss`` (``losses``: sentence-transformers' cross-encoder losses module).

    ``mnrl`` adds ``train.in_batch_negatives`` random other passages of the batch to each query's
    positive and hard negatives (sentence-transformers' ``num_negatives``, default 4).
    """
    if loss_name == "mnrl":
        # 4 written out, not left to the library: its docs say the defaults "are subject to change",
        # and a config without the key must keep meaning what it meant when its numbers were made
        return losses.MultipleNegativesRankingLoss(model, num_negatives=int(hyper.get("in_batch_negatives", 4)))
    return {"bce": losses.BinaryCrossEntropyLoss, "lambda": losses.LambdaLoss}[loss_name](model)


def train_cross_encoder(trainset_path: str, base_model: str, out_dir: str, seed: int, hyper: Mapping[str, Any]) -> None:
    """Fine-tune a cross-encoder with the configured loss (``hyper["loss"]``, default ``bce``)."""
    rows = _load_rows(trainset_path)  # a bad training set fails before the slow imports
    loss_name = str(hyper.get("loss", "bce"))
    data = cross_encoder_data(rows, loss_name)
    from datasets import Dataset
    from sentence_transformers.cross_encoder import CrossEncoderTrainer, CrossEncoderTrainingArguments, losses

    seed_everything(seed)
    model = load_cross_encoder(base_model, max_length=int(hyper.get("max_length", 256)))
    loss = cross_encoder_loss(losses, model, loss_name, hyper)
    with atomic_dir(out_dir) as tmp:
        args = CrossEncoderTrainingArguments(**_trainer_args(hyper, seed, str(Path(tmp) / "trainer")))
        trainer = CrossEncoderTrainer(model=model, args=args, train_dataset=Dataset.from_dict(data), loss=loss)
        trainer.train()
        _save(model, tmp)


def train_bi_encoder(
    trainset_path: str,
    base_model: str,
    out_dir: str,
    seed: int,
    hyper: Mapping[str, Any],
    query_prefix: str = "",
    passage_prefix: str = "",
) -> None:
    """Fine-tune a bi-encoder with MultipleNegativesRankingLoss on (query, positive, hard negatives)."""
    rows = _load_rows(trainset_path)  # a bad training set fails before the slow imports
    from datasets import Dataset
    from sentence_transformers import SentenceTransformerTrainer, SentenceTransformerTrainingArguments
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    from sentence_transformers.sentence_transformer.training_args import BatchSamplers

    seed_everything(seed)
    k = min(len(row["negatives"]) for row in rows)
    columns: dict[str, list[str]] = {"anchor": [r["query"] for r in rows], "positive": [r["positive"] for r in rows]}
    for i in range(k):
        columns[f"negative_{i + 1}"] = [r["negatives"][i] for r in rows]
    model = load_bi_encoder(
        base_model, int(hyper.get("max_length", 256)), query_prefix=query_prefix, passage_prefix=passage_prefix
    )
    prompts = {name: (query_prefix if name == "anchor" else passage_prefix) for name in columns}
    with atomic_dir(out_dir) as tmp:
        args = SentenceTransformerTrainingArguments(
            **_trainer_args(hyper, seed, str(Path(tmp) / "trainer")),
            prompts=prompts,
            batch_sampler=BatchSamplers.NO_DUPLICATES,
        )
        trainer = SentenceTransformerTrainer(
            model=model,
            args=args,
            train_dataset=Dataset.from_dict(columns),
            loss=MultipleNegativesRankingLoss(model),
        )
        trainer.train()
        _save(model, tmp)


def _save(model: Any, folder: Path) -> None:
    import shutil

    shutil.rmtree(folder / "trainer", ignore_errors=True)
    model.save_pretrained(str(folder))
