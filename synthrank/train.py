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
import math
import random
from collections.abc import Collection, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from synthrank.collection import load_passages
from synthrank.errors import SynthrankError
from synthrank.io import (
    atomic_dir,
    atomic_write,
    iter_jsonl,
    iter_qrels,
    iter_run,
    run_lines,
    write_json,
    write_jsonl,
)
from synthrank.models import (
    TRAINING_RECORD,
    load_bi_encoder,
    load_cross_encoder,
    resolve_precision,
    seed_everything,
)
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


def training_length(hyper: Mapping[str, Any]) -> dict[str, Any]:
    """The trainer's length arguments: ``train.steps`` as ``max_steps`` (transformers then passes
    over the training set as often as the budget needs, each pass in a new seeded order, and stops
    mid-pass where it is reached), else ``train.epochs``."""
    if "steps" in hyper:
        return {"max_steps": int(hyper["steps"]), "num_train_epochs": 1.0}
    if "epochs" not in hyper:
        raise SynthrankError("train: give epochs or steps (optimiser steps)")
    return {"num_train_epochs": float(hyper["epochs"])}


def _trainer_args(hyper: Mapping[str, Any], seed: int, output_dir: str) -> dict[str, Any]:
    precision = resolve_precision(str(hyper.get("precision", "fp32")), "training")
    on_cpu = False
    if precision != "fp32":
        import torch

        on_cpu = not torch.cuda.is_available()  # bf16 autocast on a CPU that computes it natively
    log.info("training in %s%s", precision, " (auto)" if hyper.get("precision") == "auto" else "")
    return {
        "output_dir": output_dir,
        **training_length(hyper),
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
        # the loss curve (training.json) at 50 points whatever the length: a ratio of the steps
        "logging_steps": LOGGING_RATIO,
        "disable_tqdm": False,
    }


#: the training loss is logged every this share of the steps (transformers reads a float < 1 so)
LOGGING_RATIO = 0.02

#: the share of the last steps whose logged losses make a model's final training loss
FINAL_SHARE = 0.1

#: log-history keys that measure the machine, not the training: left out of the record, which is
#: then the same file on every rerun (the byte-reproducibility check)
_TIMING_KEYS = ("train_runtime", "train_samples_per_second", "train_steps_per_second")


def constant_loss(loss: str, *, positives: float = 0.0, pos_weight: float = 1.0, candidates: int = 0) -> float:
    """The training loss of a model that gives every input the same score: the value a trained
    model's final loss must fall below for it to have learned anything from its training set.

    - ``bce`` (mean binary cross-entropy over pairs, ``positives`` of them positive, positives
      weighted ``pos_weight``): a constant probability s scores
      ``w*p*(-log s) + (1-p)*(-log(1-s))``, smallest at ``s = w*p / (w*p + 1 - p)``; without
      a weight that is the label entropy (ln 2 for balanced pairs).
    - ``mnrl`` (a softmax over ``candidates`` scored passages, one of them positive): equal
      scores give each 1/n, a loss of ``ln n``.
    """
    if loss == "bce":
        p, w = positives, pos_weight
        if not 0.0 < p < 1.0:
            raise SynthrankError(f"bce: a share of positive pairs of {p} (it must lie strictly between 0 and 1)")
        s = w * p / (w * p + 1.0 - p)
        return float(w * p * -math.log(s) + (1.0 - p) * -math.log(1.0 - s))
    if loss == "mnrl":
        if candidates < 2:
            raise SynthrankError(f"mnrl: {candidates} candidate(s) per query (a softmax needs at least 2)")
        return math.log(candidates)
    raise SynthrankError(f"no constant-predictor loss for {loss!r} (bce, mnrl)")


def final_loss(history: Sequence[Mapping[str, Any]], steps: int) -> float | None:
    """The mean of the training losses logged over the last :data:`FINAL_SHARE` of ``steps`` (at
    least the last one logged); None when nothing was logged."""
    logged = [(int(h["step"]), float(h["loss"])) for h in history if "loss" in h and "step" in h]
    if not logged:
        return None
    tail = [value for step, value in logged if step > steps * (1.0 - FINAL_SHARE)] or [logged[-1][1]]
    return float(sum(tail) / len(tail))


def training_record(
    history: Sequence[Mapping[str, Any]],
    *,
    steps: int,
    planned_steps: int,
    epochs: float,
    rows: int,
    rows_seen: int,
    loss: str,
    constant: float | None,
    hyper: Mapping[str, Any],
) -> dict[str, Any]:
    """What a model folder's :data:`TRAINING_RECORD` says: the steps done (and planned), the
    training-set rows and how many the trainer read (a row is a pair for bce, a query with its
    passages otherwise; more than the set where a step budget cycles through it), the loss curve
    (the trainer's log history, without its timings), the final loss and the loss of a constant
    predictor for that loss (:func:`constant_loss`)."""
    curve = [{k: v for k, v in entry.items() if k not in _TIMING_KEYS} for entry in history]
    final = final_loss(history, steps)
    return {
        "steps": steps,
        "planned_steps": planned_steps,
        "epochs": round(float(epochs), 4),
        "training_rows": rows,
        "rows_seen": rows_seen,
        "passes": round(rows_seen / rows, 4) if rows else None,
        "loss": loss,
        "final_loss": final,
        "constant_loss": constant,
        "final_below_constant": None if final is None or constant is None else final < constant,
        "hyper": dict(hyper),
        "log_history": curve,
    }


class RowCounter:
    """Wraps a trainer's data collator and notes the rows of every batch it collates, in order
    (transformers records only samples per second).

    The data loader collates one batch ahead (accelerate looks for the end of a pass), so where
    a step budget stops mid-pass one batch more is collated than trained on: the rows trained on
    are those of the first ``steps`` batches (:meth:`rows`)."""

    def __init__(self, collate: Any) -> None:
        self.collate = collate
        self.batches: list[int] = []

    def __call__(self, features: list[Any]) -> Any:
        self.batches.append(len(features))
        return self.collate(features)

    def rows(self, steps: int) -> int:
        """The rows of the first ``steps`` batches (one optimiser step each: no gradient accumulation)."""
        return sum(self.batches[:steps])

    def __getattr__(self, name: str) -> Any:  # the trainers read the collator's settings
        return getattr(self.collate, name)


def _train_and_record(trainer: Any, folder: Path, *, rows: int, loss: str, constant: float | None, hyper: Any) -> None:
    """Run ``trainer`` with its rows counted and write the model folder's training record."""
    counter = RowCounter(trainer.data_collator)
    trainer.data_collator = counter
    trainer.train()
    state = trainer.state
    seen = counter.rows(int(state.global_step))
    record = training_record(
        state.log_history,
        steps=int(state.global_step),
        planned_steps=int(state.max_steps),
        epochs=float(state.epoch or 0.0),
        rows=rows,
        rows_seen=seen,
        loss=loss,
        constant=constant,
        hyper=hyper,
    )
    if record["final_below_constant"] is False:
        log.warning(
            "final training loss %.4f is not below a constant predictor's %.4f: the model may not have learned",
            record["final_loss"],
            constant,
        )
    passes = record["passes"] or 0.0
    log.info("trained %d steps (%d rows read, %.2f passes over %d)", record["steps"], seen, passes, rows)
    write_json(folder / TRAINING_RECORD, record)


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


#: sentence-transformers' defaults, written out: its docs say the defaults "are subject to
#: change", and a config without the key must keep meaning what it meant when its numbers were made
CROSS_ENCODER_IN_BATCH_NEGATIVES = 4
CROSS_ENCODER_MNRL_SCALE = 10.0
BI_ENCODER_MNRL_SCALE = 20.0


def cross_encoder_loss(losses: Any, model: Any, loss_name: str, hyper: Mapping[str, Any]) -> Any:
    """The loss object of ``train.loss`` (``losses``: sentence-transformers' cross-encoder losses module).

    ``mnrl`` adds ``train.in_batch_negatives`` random other passages of the batch to each query's
    positive and hard negatives (sentence-transformers' ``num_negatives``, default 4), its softmax
    at ``train.scale`` (default 10); ``bce`` weighs positive pairs by ``train.pos_weight`` (default 1).
    """
    if loss_name == "mnrl":
        return losses.MultipleNegativesRankingLoss(
            model,
            num_negatives=int(hyper.get("in_batch_negatives", CROSS_ENCODER_IN_BATCH_NEGATIVES)),
            scale=float(hyper.get("scale", CROSS_ENCODER_MNRL_SCALE)),
        )
    if loss_name == "bce" and "pos_weight" in hyper:
        import torch

        return losses.BinaryCrossEntropyLoss(model, pos_weight=torch.tensor(float(hyper["pos_weight"])))
    return {"bce": losses.BinaryCrossEntropyLoss, "lambda": losses.LambdaLoss}[loss_name](model)


def cross_encoder_constant_loss(
    data: Mapping[str, list[Any]], loss_name: str, hyper: Mapping[str, Any]
) -> float | None:
    """:func:`constant_loss` of a cross-encoder's training columns (:func:`cross_encoder_data`).

    LambdaLoss has none: with equal scores its value depends on how the sort orders the ties."""
    if loss_name == "bce":
        labels = data["label"]
        return constant_loss("bce", positives=sum(labels) / len(labels), pos_weight=float(hyper.get("pos_weight", 1.0)))
    if loss_name == "mnrl":
        hard = sum(1 for column in data if column.startswith("negative_"))
        batch = int(hyper["batch_size"])
        in_batch = min(int(hyper.get("in_batch_negatives", CROSS_ENCODER_IN_BATCH_NEGATIVES)), batch - 1)
        return constant_loss("mnrl", candidates=1 + hard + in_batch)
    return None


def train_cross_encoder(trainset_path: str, base_model: str, out_dir: str, seed: int, hyper: Mapping[str, Any]) -> None:
    """Fine-tune a cross-encoder with the configured loss (``hyper["loss"]``, default ``bce``)."""
    rows = _load_rows(trainset_path)  # a bad training set fails before the slow imports
    loss_name = str(hyper.get("loss", "bce"))
    data = cross_encoder_data(rows, loss_name)
    from datasets import Dataset
    from sentence_transformers.cross_encoder import CrossEncoderTrainer, CrossEncoderTrainingArguments, losses

    constant = cross_encoder_constant_loss(data, loss_name, hyper)
    seed_everything(seed)
    model = load_cross_encoder(base_model, max_length=int(hyper.get("max_length", 256)))
    loss = cross_encoder_loss(losses, model, loss_name, hyper)
    with atomic_dir(out_dir) as tmp:
        args = CrossEncoderTrainingArguments(**_trainer_args(hyper, seed, str(Path(tmp) / "trainer")))
        dataset = Dataset.from_dict(data)
        trainer = CrossEncoderTrainer(model=model, args=args, train_dataset=dataset, loss=loss)
        _train_and_record(trainer, tmp, rows=len(dataset), loss=loss_name, constant=constant, hyper=hyper)
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
            loss=MultipleNegativesRankingLoss(model, scale=float(hyper.get("scale", BI_ENCODER_MNRL_SCALE))),
        )
        # every query of a full batch against each passage of the batch: its positive, the other
        # queries' positives and every hard negative
        constant = constant_loss("mnrl", candidates=int(hyper["batch_size"]) * (1 + k))
        _train_and_record(trainer, tmp, rows=len(rows), loss="mnrl", constant=constant, hyper=hyper)
        _save(model, tmp)


def _save(model: Any, folder: Path) -> None:
    import shutil

    shutil.rmtree(folder / "trainer", ignore_errors=True)  # the trainer's scratch, not the record
    model.save_pretrained(str(folder))
