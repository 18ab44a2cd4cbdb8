"""Run one workflow step from a Snakemake ``script:``: log to the rule's log, fail in one line.

Usage in ``scripts/<step>.py``::

    from synthrank.step import run
    run(snakemake, lambda: ingest(...))

All output (Python logging, tqdm, libraries, child processes) goes to the rule's ``log:``
file. A job whose rule asks for GPUs (the ``gpu`` resource) first gets devices of its own
(:func:`synthrank.gpus.claim`). A :class:`~synthrank.errors.SynthrankError` ends the job with
its one-line message on stderr and in the log, exit code 1, no traceback; any other exception is
a bug and keeps its traceback (in the log). A job that succeeds records its environment for each
output (``results/provenance/<output>.json``, see :mod:`synthrank.provenance`).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from typing import Any

from synthrank import gpus, provenance
from synthrank.errors import SynthrankError


def run(snakemake: Any, work: Callable[[], Any]) -> None:
    log_path = str(snakemake.log[0]) if snakemake.log else None
    real_stderr = os.dup(2)
    if log_path:
        os.makedirs(os.path.dirname(log_path) or ".", exist_ok=True)
        log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        os.close(log_fd)
    os.environ.setdefault("NUMBA_CACHE_DIR", os.path.abspath(os.path.join(".cache", "numba")))
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # Libraries import torch/numba lazily, inside ``work``: cap their threads at the rule's.
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[var] = str(max(1, int(getattr(snakemake, "threads", 1))))
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr, force=True
    )
    try:
        # before ``work`` imports torch or vLLM: CUDA reads CUDA_VISIBLE_DEVICES when it starts
        gpus.claim(int(getattr(getattr(snakemake, "resources", None), "gpu", 0) or 0))
        work()
    except SynthrankError as exc:
        logging.getLogger("synthrank").error("%s", exc)
        sys.stderr.flush()
        os.write(real_stderr, f"synthrank error in rule {snakemake.rule}: {exc}\n".encode())
        sys.exit(1)
    provenance.write(list(snakemake.output), provenance.from_snakemake(snakemake))
