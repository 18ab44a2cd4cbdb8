"""Peak memory (RSS) and time of ``build_trainset`` at MS MARCO scale, against the old design.

    PYTHONPATH=$PWD .venv/bin/python bench/negatives.py --workdir /tmp/synthrank-negatives

Writes a synthetic training dataset shaped like MS MARCO passage's (the sizes are options):

- ``corpus.jsonl``: 8,841,823 short passages (12 words each from a Zipfian vocabulary of 30,000
  made-up words; ids "0".."N-1"), the training collection;
- ``queries.jsonl``: 808,731 queries (MS MARCO's all-splits query file), ``train.tsv``: 502,939 of
  them judged (one relevant passage each, as MS MARCO's train/judged);
- ``passages.jsonl``: a 10,000-query corpus (one generated passage per query, as the thesis's);
- ``human.trec``: the mining run the ``negatives_run`` rule writes for it, BM25's top 100 over the
  collection for those 10,000 queries (synthetic scores; the judged passage among the hits of
  every tenth query, so the exclusion works); ``corpus.trec``: the same over the corpus's own
  passages (the ``corpus`` source).

Then it runs ``synthrank.train.build_trainset`` (count 7, depth 100) for each source in its own
child process, which reports its peak RSS (``VmHWM``, as ``bench/scale.py``), and times it.

The old design read one BM25 run of every judged training query at ``bm25.depth`` whole
(``read_run``): 502,939 x 1,000 entries for MS MARCO. ``--old-sample`` measures ``read_run`` on
a run of that shape cut to N queries and extrapolates its bytes per entry to the full run.
Every file is written under ``--workdir`` and deleted at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from childstep import peak_rss_kib

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("human", "corpus", "both")


def vocabulary(rng: np.random.Generator) -> tuple[list[str], np.ndarray]:
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    vocab = ["".join(rng.choice(letters, size=rng.integers(3, 11))) for _ in range(30_000)]
    weights = 1.0 / np.arange(1, len(vocab) + 1)
    return vocab, weights / weights.sum()


def texts(rng: np.random.Generator, vocab: list[str], weights: np.ndarray, count: int, words: int) -> list[str]:
    picks = rng.choice(len(vocab), size=(count, words), p=weights)
    return [" ".join(vocab[w] for w in row) for row in picks]


def make_dataset(work: Path, n_docs: int, n_queries: int, n_judged: int, n_corpus: int, depth: int) -> None:
    rng = np.random.default_rng(0)
    vocab, weights = vocabulary(rng)
    work.mkdir(parents=True, exist_ok=True)
    with open(work / "corpus.jsonl", "w", encoding="utf-8") as out:
        for start in range(0, n_docs, 100_000):
            chunk = texts(rng, vocab, weights, min(100_000, n_docs - start), 12)
            out.write("".join(f'{{"_id": "{start + i}", "title": "", "text": "{t}"}}\n' for i, t in enumerate(chunk)))
    with open(work / "queries.jsonl", "w", encoding="utf-8") as out:
        for start in range(0, n_queries, 100_000):
            chunk = texts(rng, vocab, weights, min(100_000, n_queries - start), 6)
            out.write("".join(f'{{"_id": "q{start + i}", "text": "{t}"}}\n' for i, t in enumerate(chunk)))
    relevant = rng.integers(0, n_docs, size=n_judged)
    with open(work / "train.tsv", "w", encoding="utf-8") as out:
        out.write("query-id\tcorpus-id\tscore\n")
        out.write("".join(f"q{q}\t{relevant[q]}\t1\n" for q in range(n_judged)))
    with open(work / "passages.jsonl", "w", encoding="utf-8") as out:
        for q, t in enumerate(texts(rng, vocab, weights, n_corpus, 40)):
            pid = f"q{q}.gpt-4.1-mini.zero-shot.0"
            out.write(json.dumps({"query_id": f"q{q}", "passage_id": pid, "text": t, "paradigm": "zero-shot"}) + "\n")
    scores = np.linspace(30.0, 10.0, depth)
    with open(work / "human.trec", "w", encoding="utf-8") as out:
        for q in range(n_corpus):
            hits = rng.integers(0, n_docs, size=depth)
            if q % 10 == 0:
                hits[q % depth] = relevant[q]
            out.write(
                "".join(
                    f"q{q} Q0 {d} {r + 1} {s:.8f} bm25\n" for r, (d, s) in enumerate(zip(hits, scores, strict=True))
                )
            )
    with open(work / "corpus.trec", "w", encoding="utf-8") as out:
        for q in range(n_corpus):
            hits = rng.choice(n_corpus, size=depth, replace=False)
            lines = (
                f"q{q} Q0 q{d}.gpt-4.1-mini.zero-shot.0 {r + 1} {s:.8f} bm25\n"
                for r, (d, s) in enumerate(zip(hits, scores, strict=True))
            )
            out.write("".join(lines))


def make_old_run(path: Path, n_queries: int, n_docs: int, depth: int) -> None:
    """The old design's run, cut to ``n_queries``: every judged query at bm25.depth."""
    rng = np.random.default_rng(1)
    scores = np.linspace(30.0, 10.0, depth)
    with open(path, "w", encoding="utf-8") as out:
        for q in range(n_queries):
            hits = rng.integers(0, n_docs, size=depth)
            out.write(
                "".join(
                    f"q{q} Q0 {d} {r + 1} {s:.8f} bm25\n" for r, (d, s) in enumerate(zip(hits, scores, strict=True))
                )
            )


def current_rss_kib() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def run_child(step: str, work: Path) -> None:
    """One measured step, in this (child) process; prints its peak RSS in KiB last."""
    if step == "old_read_run":
        from synthrank.io import read_run

        base = current_rss_kib()
        run = read_run(work / "old.trec")
        entries = sum(len(docs) for docs in run.values())
        print(f"entries {entries} base_kib {base}")
    else:
        from synthrank.train import build_trainset

        build_trainset(
            str(work / "passages.jsonl"),
            str(work / "queries.jsonl"),
            str(work / "train.tsv"),
            str(work / f"trainset-{step}.jsonl"),
            count=7,
            depth=100,
            seed=42,
            source=step,
            collection_path=str(work / "corpus.jsonl"),
            collection_run=str(work / "human.trec"),
            corpus_run=str(work / "corpus.trec"),
        )
    print(peak_rss_kib())


def measure(step: str, work: Path) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    child = subprocess.run(
        [sys.executable, __file__, "--step", step, "--workdir", str(work)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if child.returncode != 0:
        raise SystemExit(f"{step} failed:\n{child.stderr[-3000:]}")
    out = child.stdout.split()
    row: dict[str, object] = {"step": step, "peak_rss_mib": round(int(out[-1]) / 1024, 1)}
    row["wall_s"] = round(time.perf_counter() - start, 1)
    if step == "old_read_run":
        row["entries"], row["base_mib"] = int(out[1]), round(int(out[3]) / 1024, 1)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/synthrank-negatives"))
    parser.add_argument("--docs", type=int, default=8_841_823)
    parser.add_argument("--queries", type=int, default=808_731)
    parser.add_argument("--judged", type=int, default=502_939)
    parser.add_argument("--corpus-queries", type=int, default=10_000)
    parser.add_argument("--depth", type=int, default=100, help="the mining run's depth")
    parser.add_argument("--sources", nargs="*", choices=SOURCES, default=list(SOURCES))
    parser.add_argument("--old-sample", type=int, default=2_000, help="queries of the old run measured (0: none)")
    parser.add_argument("--old-depth", type=int, default=1_000, help="bm25.depth of the old whole-split run")
    parser.add_argument("--keep", action="store_true", help="keep the files")
    parser.add_argument("--step", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:  # child mode
        run_child(args.step, args.workdir)
        return
    work = args.workdir
    began = time.perf_counter()
    try:
        make_dataset(work, args.docs, args.queries, args.judged, args.corpus_queries, args.depth)
        sizes = {p.name: round(p.stat().st_size / 2**20, 1) for p in sorted(work.iterdir())}
        print(json.dumps({"written_mib": sizes, "seconds": round(time.perf_counter() - began, 1)}), flush=True)
        rows = []
        for source in args.sources:
            rows.append(measure(source, work))
            print(json.dumps(rows[-1]), flush=True)
        if args.old_sample:
            make_old_run(work / "old.trec", args.old_sample, args.docs, args.old_depth)
            row = measure("old_read_run", work)
            per_entry = (float(row["peak_rss_mib"]) - float(row["base_mib"])) * 2**20 / int(row["entries"])
            full = args.judged * args.old_depth
            row |= {"bytes_per_entry": round(per_entry), "full_run_entries": full}
            row["full_run_gib_estimate"] = round(per_entry * full / 2**30, 1)
            rows.append(row)
            print(json.dumps(row), flush=True)
        (Path(ROOT / "bench" / "negatives-results.json")).write_text(json.dumps(rows, indent=1) + "\n")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
