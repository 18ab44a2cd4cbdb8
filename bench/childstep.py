"""One step of a benchmark in a child process of its own, so that its peak memory is its own.

The benchmark scripts (``bench/scale.py``, ``bench/corpus_stats.py``, ``bench/negatives.py``) run
themselves again with ``--step STEP --workdir W --sizes N``; the child does the step and prints
its peak resident memory (``VmHWM``) last on stdout. Imported as ``from childstep import ...``
(``bench/`` is the running script's folder).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def peak_rss_kib() -> int:
    """This process's peak resident memory so far, in KiB (Linux)."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


def measure(script: str, step: str, work: Path, size: int, what: str) -> dict[str, float]:
    """Run ``script --step step`` at ``size`` in a child; its peak memory (MiB) and wall time (s)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    env.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".cache" / "numba"))
    start = time.perf_counter()
    with open(work / f"{step}.log", "w") as log:
        child = subprocess.run(
            [sys.executable, script, "--step", step, "--workdir", str(work), "--sizes", str(size)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            check=False,
        )
    if child.returncode != 0:
        raise SystemExit(f"{step} at {size} {what} failed: see {work / f'{step}.log'}")
    return {
        "peak_rss_mib": round(int(child.stdout.split()[-1]) / 1024, 1),
        "wall_s": round(time.perf_counter() - start, 1),
    }


def write_results(path: Path, results: list[dict], sizes: list[int], steps: list[str], unit: str) -> None:
    """Write the rows as JSON to ``path`` and print them as a Markdown table: one row per step,
    one column per size, each cell ``peak RSS (wall)``."""
    path.write_text(json.dumps(results, indent=1) + "\n")
    print("\n| step | " + " | ".join(f"{n:,} {unit}" for n in sizes) + " |")
    print("|---|" + "---:|" * len(sizes))
    for step in steps:
        cells = [f"{r['peak_rss_mib']:,.0f} MiB ({r['wall_s']:.0f} s)" for r in results if r["step"] == step]
        print(f"| {step} | " + " | ".join(cells) + " |")
