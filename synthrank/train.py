"""Training sets (positives + BM25-mined hard negatives) and the two trainers.

A training set is JSONL, one line per (query, positive passage)::

    {"query_id", "query", "passage_id", "positive", "negative_ids": [...], "negatives": [...]}

The positive comes from a passage corpus (human or generated); the negatives are always real
documents of the training collection that BM25 ranks high for the query but that are not
judged relevant.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from synthrank.collection import iter_corpus, judged_queries
from synthrank.errors import SynthrankError
from synthrank.io import atomic_dir, iter_jsonl, read_qrels, read_run, write_jsonl
from synthrank.models import load_bi_encoder, load_cross_encoder, seed_everything

log = logging.getLogger(__name__)


def build_trainset(
    passages_path: str,
    corpus_path: str,
    queries_path: str,
    qrels_path: str,
    bm25_run_path: str,
    out_path: str,
    negatives: int,
    depth: int,
    seed: int,
) -> int:
    """Pair each corpus passage with ``negatives`` hard negatives from BM25's top ``depth``."""
    queries = judged_queries(queries_path, qrels_path)
    qrels = read_qrels(qrels_path)
    run = read_run(bm25_run_path)
    rng = random.Random(seed)
    passages = list(iter_jsonl(passages_path, required=("query_id", "passage_id", "text")))
    if not passages:
        raise SynthrankError(f"{passages_path}: the passage corpus is empty")
    picked: dict[tuple[str, str], list[str]] = {}
    for record in passages:
        qid = str(record["query_id"])
        if qid not in queries:
            raise SynthrankError(f"{passages_path}: query id {qid!r} is not a judged training query")
        ranked = sorted(run.get(qid, {}).items(), key=lambda item: (-item[1], item[0]))[:depth]
        pool = [docid for docid, _ in ranked if docid not in qrels.get(qid, {})]
        picked[(qid, str(record["passage_id"]))] = rng.sample(pool, min(negatives, len(pool)))
    wanted = {docid for docs in picked.values() for docid in docs}
    texts = {docid: text for docid, text in iter_corpus(corpus_path) if docid in wanted}
    rows = []
    for record in passages:
        qid, pid = str(record["query_id"]), str(record["passage_id"])
        neg_ids = picked[(qid, pid)]
        if len(neg_ids) < negatives:
            log.warning("query %s: only %d hard negatives in BM25's top %d", qid, len(neg_ids), depth)
        rows.append(
            {
                "query_id": qid,
                "query": queries[qid],
                "passage_id": pid,
                "positive": record["text"],
                "negative_ids": neg_ids,
                "negatives": [texts[d] for d in neg_ids],
            }
        )
    return write_jsonl(out_path, rows)


def _load_rows(trainset_path: str) -> list[dict[str, Any]]:
    rows = list(iter_jsonl(trainset_path, required=("query", "positive", "negatives")))
    if not rows:
        raise SynthrankError(f"{trainset_path}: the training set is empty")
    return rows


def _trainer_args(hyper: Mapping[str, Any], seed: int, output_dir: str) -> dict[str, Any]:
    precision = hyper.get("precision", "fp32")
    if precision != "fp32":
        import torch

        if not torch.cuda.is_available():
            raise SynthrankError(f"training precision {precision} needs a CUDA GPU (none here); use fp32 on a CPU")
    return {
        "output_dir": output_dir,
        "num_train_epochs": float(hyper["epochs"]),
        "per_device_train_batch_size": int(hyper["batch_size"]),
        "learning_rate": float(hyper["learning_rate"]),
        "warmup_ratio": float(hyper.get("warmup_ratio", 0.1)),
        "bf16": hyper.get("precision") == "bf16",
        "fp16": hyper.get("precision") == "fp16",
        "seed": seed,
        "data_seed": seed,
        "save_strategy": "no",
        "report_to": "none",
        "logging_steps": 10,
        "disable_tqdm": False,
    }


def train_cross_encoder(trainset_path: str, base_model: str, out_dir: str, seed: int, hyper: Mapping[str, Any]) -> None:
    """Fine-tune a cross-encoder with binary cross-entropy on (query, passage, 0/1) pairs."""
    rows = _load_rows(trainset_path)  # a bad training set fails before the slow imports
    from datasets import Dataset
    from sentence_transformers.cross_encoder import CrossEncoderTrainer, CrossEncoderTrainingArguments
    from sentence_transformers.cross_encoder.losses import BinaryCrossEntropyLoss

    seed_everything(seed)
    pairs: dict[str, list[Any]] = {"query": [], "passage": [], "label": []}
    for row in rows:
        for text, label in [(row["positive"], 1.0)] + [(neg, 0.0) for neg in row["negatives"]]:
            pairs["query"].append(row["query"])
            pairs["passage"].append(text)
            pairs["label"].append(label)
    model = load_cross_encoder(base_model, max_length=int(hyper.get("max_length", 256)))
    with atomic_dir(out_dir) as tmp:
        args = CrossEncoderTrainingArguments(**_trainer_args(hyper, seed, str(Path(tmp) / "trainer")))
        trainer = CrossEncoderTrainer(
            model=model, args=args, train_dataset=Dataset.from_dict(pairs), loss=BinaryCrossEntropyLoss(model)
        )
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
