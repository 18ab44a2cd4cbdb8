"""One GPU job, its own GPUs: pin each GPU job on one machine to devices no other job holds.

Snakemake's ``gpu`` resource (``profiles/local``: ``resources: {gpu: N}``) bounds how many GPUs
the running jobs ask for together, but it does not say which: every job would see every device,
and CUDA would put them all on device 0. :func:`claim`, called by :func:`synthrank.step.run` for a
job whose rule asks for ``gpu=k``, takes ``k`` devices that no other job holds and sets
``CUDA_VISIBLE_DEVICES`` to them before the job's work imports torch or vLLM.

A device is held by an exclusive ``fcntl.flock`` on its lock file (:func:`lock_dir`, one file
per device id), kept for the life of the process. The kernel drops a process's locks when it
ends, however it ends (``kill -9`` and an out-of-memory kill included), so a finished or crashed
job frees its devices and no stale lock file can block one. A job that finds fewer than ``k``
free devices lets go of the ones it got and tries again every half second: it never holds some
while it waits for others, so two jobs cannot block each other.

Which devices there are (:func:`devices`): ``SYNTHRANK_GPUS`` (comma-separated ids, e.g.
``0,1,2,3``), else the ``CUDA_VISIBLE_DEVICES`` the workflow was started with, else the NVIDIA
GPUs the driver lists (``/proc/driver/nvidia/gpus``), numbered 0 to n-1. None at all: a CPU
run, nothing to do. Under SLURM (``SLURM_JOB_ID`` set) the scheduler has already given the job
its GPUs and set ``CUDA_VISIBLE_DEVICES``: that is left alone, unless ``SYNTHRANK_GPUS`` is set
(e.g. the local profile run inside one large allocation).
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import time
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any

from synthrank.errors import SynthrankError

log = logging.getLogger(__name__)

#: the devices to hand out (comma-separated ids); overrides what the machine shows
GPUS_ENV = "SYNTHRANK_GPUS"
#: the folder of the lock files (default: one per user under /tmp, shared by every workflow there)
LOCKS_ENV = "SYNTHRANK_GPU_LOCKS"
#: where the NVIDIA driver lists the machine's GPUs (one entry per GPU)
NVIDIA_GPUS = Path("/proc/driver/nvidia/gpus")

#: the lock files' descriptors this process holds: open until it ends
_HELD: list[int] = []


def devices(env: MutableMapping[str, str] | None = None, nvidia: Path = NVIDIA_GPUS) -> tuple[list[str], str]:
    """The device ids to hand out and where they come from (for messages)."""
    env = os.environ if env is None else env
    for var in (GPUS_ENV, "CUDA_VISIBLE_DEVICES"):
        value = env.get(var)
        if value is not None:
            ids = [part.strip() for part in value.split(",") if part.strip()]
            if len(set(ids)) != len(ids):
                raise SynthrankError(f"{var}={value!r}: a device is listed twice")
            return ids, var
    if nvidia.is_dir():
        return [str(i) for i in range(len(list(nvidia.iterdir())))], str(nvidia)
    return [], "no GPU"


def lock_dir(env: MutableMapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    return Path(env.get(LOCKS_ENV) or f"/tmp/synthrank-gpus-{os.getuid()}")


def _lock_file(folder: Path, device: str) -> Path:
    return folder / (re.sub(r"[^A-Za-z0-9_.-]", "_", device) + ".lock")


def _try_lock(path: Path) -> int | None:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())  # who holds it, for a person looking
    return fd


def claim(
    count: int,
    env: MutableMapping[str, str] | None = None,
    *,
    nvidia: Path = NVIDIA_GPUS,
    poll: float = 0.5,
    timeout: float | None = None,
) -> list[str]:
    """Hold ``count`` devices for the rest of this process and set ``CUDA_VISIBLE_DEVICES`` in
    ``env`` (default: this process's environment) to them; their ids, or ``[]`` where nothing is
    to be assigned (no GPU asked for, none on the machine, or SLURM's own assignment).

    Waits while fewer than ``count`` are free (``timeout``: seconds, then a
    :class:`~synthrank.errors.SynthrankError`; None waits as long as it takes)."""
    env = os.environ if env is None else env
    if count <= 0:
        return []
    if GPUS_ENV not in env and "SLURM_JOB_ID" in env:
        log.info("GPUs: the SLURM job's own (CUDA_VISIBLE_DEVICES=%s)", env.get("CUDA_VISIBLE_DEVICES", ""))
        return []
    ids, source = devices(env, nvidia)
    if not ids:
        return []
    if count > len(ids):
        raise SynthrankError(f"this job needs {count} GPUs, the machine has {len(ids)} ({source}: {', '.join(ids)})")
    folder = lock_dir(env)
    folder.mkdir(parents=True, exist_ok=True)
    began, waiting = time.monotonic(), False
    while True:
        held: list[tuple[str, int]] = []
        for device in ids:
            fd = _try_lock(_lock_file(folder, device))
            if fd is not None:
                held.append((device, fd))
                if len(held) == count:
                    break
        if len(held) == count:
            break
        for _, fd in held:  # never hold some while waiting for the rest
            os.close(fd)
        if timeout is not None and time.monotonic() - began > timeout:
            raise SynthrankError(f"no {count} free GPUs of {', '.join(ids)} ({source}) within {timeout:g} s")
        if not waiting:
            log.info("GPUs: waiting for %d of %s to be free (locks in %s)", count, ", ".join(ids), folder)
            waiting = True
        time.sleep(poll)
    _HELD.extend(fd for _, fd in held)
    mine = [device for device, _ in held]
    env["CUDA_VISIBLE_DEVICES"] = ",".join(mine)
    log.info("GPUs: CUDA_VISIBLE_DEVICES=%s (of %s from %s)", env["CUDA_VISIBLE_DEVICES"], ", ".join(ids), source)
    return mine


def generation_gpus(backend: str, options: Mapping[str, Any]) -> int:
    """The GPUs a generation job holds: a vllm generator's ``tensor_parallel_size`` x
    ``pipeline_parallel_size`` (its ``options``; 1 x 1 by default), none for an API or llama.cpp."""
    if backend != "vllm":
        return 0
    return int(options.get("tensor_parallel_size", 1)) * int(options.get("pipeline_parallel_size", 1))
