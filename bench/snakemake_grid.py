"""Snakemake's own cost on the thesis grid (config/config.yaml): dry run, no-op run, and what
one changed setting reruns.

    PYTHONPATH=$PWD .venv/bin/python bench/snakemake_grid.py --workdir /tmp/synthrank-grid

In a fresh copy of the workflow (what a clone holds; nothing is computed):

1. ``snakemake -n --quiet rules`` with no outputs: time and job count of the full grid.
2. Every output the grid would build is created empty (``snakemake --summary`` lists them;
   the ``directory()`` outputs, BM25 indexes and model checkpoints, as folders), with each
   job's ``benchmark:`` file, then ``snakemake --touch --forceall`` marks them built in DAG
   order: mtimes in order and a metadata record per job (params, code, software stack), what
   a real run leaves for Snakemake's rerun triggers.
3. No-op: ``snakemake -n`` and ``snakemake --cores 2`` on the finished grid, each must say
   ``Nothing to be done``: their wall time.
4. One generator's sampling temperature changed (a config copy): ``snakemake -n`` lists the jobs
   the params trigger reruns; the script checks that they are exactly that generator's corpora
   and their descendants (by path) and prints the counts per rule.
5. One BEIR collection added out of domain (``beir-nfcorpus-dev``, NFCorpus's dev split: the
   thesis grid has every public BEIR test set): the jobs ``snakemake -n`` plans, per rule
   (README, "Growing the grid"); and a generator's concurrency raised: nothing to do.

Dummy API keys are set for the copy (the ``onstart`` check refuses a real run without them;
no job that would use them runs). Prints Markdown.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
COPY = ("Snakefile", "rules", "scripts", "envs", "config", "profiles", "data", "report")
CPU: dict[tuple[str, ...], list[float]] = {}
DIRECTORY_RULES = {"bm25_index", "train_cross_encoder", "train_bi_encoder"}


def snakemake(workdir: Path, *args: str) -> tuple[float, str]:
    """Run Snakemake; returns (wall seconds, output). Its CPU seconds go to ``CPU[args]``."""
    env = os.environ | {"OPENAI_API_KEY": "dummy-bench", "GEMINI_API_KEY": "dummy-bench"}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "snakemake", *args], cwd=workdir, env=env, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.setdefault(args, []).append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        sys.exit(f"snakemake {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return wall, done.stdout + done.stderr


def job_counts(text: str) -> Counter[str]:
    """The ``Job stats`` table of a dry run, as rule -> count (``total`` excluded)."""
    counts: Counter[str] = Counter()
    table = text.split("Job stats:", 1)[-1] if "Job stats:" in text else text
    for line in table.splitlines():
        match = re.fullmatch(r"([a-z_0-9]+)\s+(\d+)", line.strip())
        if match and match.group(1) != "total":
            counts[match.group(1)] = int(match.group(2))
    return counts


def best(times: list[float]) -> str:
    return f"{min(times):.1f} ({sorted(times)[len(times) // 2]:.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, required=True, help="emptied and reused")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--generator", default="gpt-4.1-mini", help="whose temperature changes")
    args = parser.parse_args()

    work = args.workdir
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for name in COPY:
        (shutil.copytree if (ROOT / name).is_dir() else shutil.copy2)(ROOT / name, work / name)

    dry = [snakemake(work, "-n", "--quiet", "rules") for _ in range(args.repeat)]
    grid = job_counts(dry[0][1])
    total = sum(grid.values())

    _, summary = snakemake(work, "--summary")
    outputs = 0
    for line in summary.splitlines()[1:]:
        fields = line.split("\t")
        if len(fields) < 3 or not fields[0].startswith(("results/", "figures/", "resources/")):
            continue
        path = work / fields[0]
        if fields[2] in DIRECTORY_RULES:
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
        outputs += 1
    # a real job also leaves its benchmark file; a missing one makes Snakemake rerun the job
    # whenever a job downstream of it reruns
    _, plan = snakemake(work, "--dry-run")
    for benchmark in re.findall(r"^\s*benchmark: (\S+)$", plan, flags=re.M):
        (work / benchmark).parent.mkdir(parents=True, exist_ok=True)
        (work / benchmark).touch()
    touch_wall, _ = snakemake(work, "--touch", "--forceall", "--cores", "1", "--quiet", "all")

    noop_dry = [snakemake(work, "-n") for _ in range(args.repeat)]
    noop_run = [snakemake(work, "--cores", "2") for _ in range(args.repeat)]
    for _, text in noop_dry + noop_run:
        if "Nothing to be done" not in text:
            sys.exit(f"the finished grid is not a no-op:\n{text[-3000:]}")

    config = yaml.safe_load((work / "config" / "config.yaml").read_text())
    sampling = config["generators"][args.generator]["sampling"]
    old_temp = sampling["temperature"]
    sampling["temperature"] = round(old_temp + 0.1, 3)
    (work / "config" / "changed.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    changed_wall, changed = snakemake(work, "-n", "--configfile", "config/changed.yaml")
    reran = job_counts(changed)
    generated = [c for c, spec in config["corpora"].items() if spec.get("generator") == args.generator]
    mixtures = [
        c
        for c, spec in config["corpora"].items()
        if spec.get("paradigm") == "mixture"
        and any((part if isinstance(part, str) else part["corpus"]) in generated for part in spec["components"])
    ]
    corpus_outputs = re.findall(r"output: (\S*results/corpora/\S+?\.jsonl)", changed)
    rerun_corpora = sorted({Path(p).stem for p in corpus_outputs})
    unexpected = sorted(set(rerun_corpora) - set(generated) - set(mixtures))

    print("### Dry run and no-op\n")
    print(f"`snakemake -n --quiet rules` in a fresh copy, no outputs: **{total} jobs**, {len(grid)} rules.\n")
    print(f"All {outputs} outputs created empty, then `snakemake --touch --forceall all`: {touch_wall:.1f} s.\n")
    print(f"| command (thesis grid, {args.repeat} runs) | wall s: best (median) | CPU s: best (median) |")
    print("|---|---:|---:|")
    rows = [
        (f"`snakemake -n --quiet rules`, nothing built ({total} jobs)", dry, ("-n", "--quiet", "rules")),
        ("`snakemake -n`, everything built (no-op)", noop_dry, ("-n",)),
        ("`snakemake --cores 2`, everything built (no-op)", noop_run, ("--cores", "2")),
    ]
    for label, runs, key in rows:
        print(f"| {label} | {best([t for t, _ in runs])} | {best(CPU[key])} |")
    print(
        f"\n### `{args.generator}` temperature {old_temp} -> {sampling['temperature']}\n\n"
        f"`snakemake -n --configfile config/changed.yaml` ({changed_wall:.1f} s): "
        f"**{sum(reran.values())} of {total} jobs** rerun.\n"
    )
    print(f"Corpora rebuilt: {', '.join(rerun_corpora) or 'none'}.")
    print(f"Generated by {args.generator}: {', '.join(generated)}.")
    print(f"Mixtures using them: {', '.join(mixtures) or 'none'}.")
    print(f"Other corpora rebuilt: {', '.join(unexpected) or 'none'}.\n")
    print("| rule | jobs rerun | jobs in the grid |")
    print("|---|---:|---:|")
    for rule, count in grid.most_common():
        print(f"| {rule} | {reran.get(rule, 0)} | {count} |")

    # growing the grid: one more collection out of domain (README, "Growing the grid"); the thesis
    # grid holds every public BEIR test set, so the new one is NFCorpus's dev split
    added = yaml.safe_load((work / "config" / "config.yaml").read_text())
    added["datasets"]["beir-nfcorpus-dev"] = {"irds": {"dev": "beir/nfcorpus/dev"}, "splits": ["dev"]}
    added["evaluation"]["out_of_domain"].append({"dataset": "beir-nfcorpus-dev", "split": "dev"})
    (work / "config" / "added.yaml").write_text(yaml.safe_dump(added, sort_keys=False))
    added_wall, added_plan = snakemake(work, "-n", "--configfile", "config/added.yaml")
    grown = job_counts(added_plan)
    print(
        f"\n### One BEIR dataset added (beir-nfcorpus-dev, out of domain)\n\n"
        f"`snakemake -n --configfile config/added.yaml` ({added_wall:.1f} s): **{sum(grown.values())} jobs**.\n"
    )
    print("| rule | jobs planned |")
    print("|---|---:|")
    for rule, count in grown.most_common():
        print(f"| {rule} | {count} |")

    # a setting that changes how answers are fetched, not which: nothing to do
    fetch = yaml.safe_load((work / "config" / "config.yaml").read_text())
    fetch["generators"][args.generator]["concurrency"] = fetch["generators"][args.generator].get("concurrency", 1) + 1
    (work / "config" / "fetch.yaml").write_text(yaml.safe_dump(fetch, sort_keys=False))
    _, fetch_plan = snakemake(work, "-n", "--configfile", "config/fetch.yaml")
    verdict = f"{sum(job_counts(fetch_plan).values())} jobs"
    if "Nothing to be done" in fetch_plan:
        verdict = "Nothing to be done"
    print(f"\n`{args.generator}` concurrency + 1: {verdict}.")


if __name__ == "__main__":
    main()
