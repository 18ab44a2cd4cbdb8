"""Each GPU job on one machine gets its own devices (synthrank.gpus), with fake device ids: no GPU
is needed, since what is checked is which ids the jobs are given, when."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from synthrank import gpus
from synthrank.errors import SynthrankError

from .conftest import REPO


def _env(tmp_path: Path, ids: str) -> dict[str, str]:
    return {gpus.GPUS_ENV: ids, gpus.LOCKS_ENV: str(tmp_path / "locks")}


def test_devices_come_from_synthrank_gpus_then_cuda_visible_devices_then_the_driver(tmp_path: Path) -> None:
    nvidia = tmp_path / "nvidia"
    for bus in ("0000:17:00.0", "0000:65:00.0", "0000:ca:00.0"):
        (nvidia / bus).mkdir(parents=True)
    assert gpus.devices({gpus.GPUS_ENV: "2, 3", "CUDA_VISIBLE_DEVICES": "0"}, nvidia) == (["2", "3"], gpus.GPUS_ENV)
    assert gpus.devices({"CUDA_VISIBLE_DEVICES": "GPU-a1,GPU-b2"}, nvidia) == (
        ["GPU-a1", "GPU-b2"],
        "CUDA_VISIBLE_DEVICES",
    )
    assert gpus.devices({}, nvidia) == (["0", "1", "2"], str(nvidia))
    assert gpus.devices({"CUDA_VISIBLE_DEVICES": ""}, nvidia) == ([], "CUDA_VISIBLE_DEVICES")  # all hidden
    assert gpus.devices({}, tmp_path / "no-driver") == ([], "no GPU")
    with pytest.raises(SynthrankError, match=r"SYNTHRANK_GPUS='0,0': a device is listed twice"):
        gpus.devices({gpus.GPUS_ENV: "0,0"})


def test_nothing_is_assigned_without_a_gpu_or_under_slurm(tmp_path: Path) -> None:
    env = _env(tmp_path, "0,1")
    assert gpus.claim(0, env) == [] and "CUDA_VISIBLE_DEVICES" not in env
    cpu = {gpus.LOCKS_ENV: str(tmp_path / "locks")}
    assert gpus.claim(1, cpu, nvidia=tmp_path / "no-driver") == [] and "CUDA_VISIBLE_DEVICES" not in cpu
    slurm = {"SLURM_JOB_ID": "42", "CUDA_VISIBLE_DEVICES": "3"}
    assert gpus.claim(1, slurm) == [] and slurm["CUDA_VISIBLE_DEVICES"] == "3"  # the scheduler's choice
    assert gpus.claim(1, {**slurm, **_env(tmp_path, "5,6")}) == ["5"]  # unless SYNTHRANK_GPUS says


def test_jobs_get_distinct_devices_and_more_than_there_are_is_one_line(tmp_path: Path) -> None:
    env = _env(tmp_path, "0,1,2")
    first, second = dict(env), dict(env)
    assert gpus.claim(2, first) == ["0", "1"] and first["CUDA_VISIBLE_DEVICES"] == "0,1"
    assert gpus.claim(1, second) == ["2"] and second["CUDA_VISIBLE_DEVICES"] == "2"
    with pytest.raises(SynthrankError, match=r"no 1 free GPUs of 0, 1, 2 \(SYNTHRANK_GPUS\) within 0.2 s"):
        gpus.claim(1, dict(env), poll=0.05, timeout=0.2)
    with pytest.raises(SynthrankError) as err:
        gpus.claim(4, dict(env))
    assert str(err.value) == "this job needs 4 GPUs, the machine has 3 (SYNTHRANK_GPUS: 0, 1, 2)"


HOLDER = """
import os, sys, time
from synthrank import gpus
env = dict(os.environ)
print(",".join(gpus.claim(int(sys.argv[1]), env)), flush=True)
time.sleep(600)
"""


def _holder(tmp_path: Path, ids: str, count: int) -> tuple[subprocess.Popen[str], str]:
    """A process that claims ``count`` devices and keeps them until it is killed; and its ids."""
    env = {**os.environ, **_env(tmp_path, ids), "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(count)], env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def test_a_killed_job_frees_its_device(tmp_path: Path) -> None:
    holder, held = _holder(tmp_path, "7", 1)
    try:
        assert held == "7"
        with pytest.raises(SynthrankError, match="no 1 free GPUs"):
            gpus.claim(1, _env(tmp_path, "7"), poll=0.05, timeout=0.3)
    finally:
        holder.send_signal(signal.SIGKILL)  # no handler runs, no file is cleaned up: the kernel frees it
        holder.wait()
    assert gpus.claim(1, _env(tmp_path, "7"), poll=0.05, timeout=5) == ["7"]


def test_a_waiting_job_holds_nothing(tmp_path: Path) -> None:
    """A job waiting for two devices while another holds one leaves the free one to a third job:
    two jobs that each held one and waited for the other would wait forever."""
    holder, held = _holder(tmp_path, "0,1", 1)
    try:
        assert held == "0"
        waiting: dict[str, object] = {}

        def wait_for_two() -> None:
            try:
                gpus.claim(2, _env(tmp_path, "0,1"), poll=0.01, timeout=1.5)
            except SynthrankError as exc:
                waiting["error"] = str(exc)

        thread = threading.Thread(target=wait_for_two)
        thread.start()
        time.sleep(0.2)
        assert gpus.claim(1, _env(tmp_path, "0,1"), poll=0.01, timeout=1.0) == ["1"]
        thread.join()
        assert "no 2 free GPUs" in str(waiting["error"])
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()


# -- through Snakemake: the `gpu` resource bounds the jobs, step.run assigns the devices ---------

SNAKEFILE = """
rule all:
    input:
        expand("out/{job}.json", job=range(7)),
        "out/tp.json",


rule gpu_job:
    output:
        "out/{job}.json",
    log:
        "logs/{job}.log",
    resources:
        gpu=1,
    script:
        "job.py"


rule tensor_parallel_job:
    output:
        "out/tp.json",
    log:
        "logs/tp.log",
    resources:
        gpu=2,
    script:
        "job.py"
"""

JOB = """
import json, os, time
from synthrank.step import run


def main():
    began = time.time()
    record = {"devices": os.environ["CUDA_VISIBLE_DEVICES"].split(","), "began": began}
    if snakemake.wildcards.get("job") == "0":  # crashes holding its device: killed, no clean-up
        with open("out/killed.json", "w") as handle:
            json.dump({**record, "ended": time.time()}, handle)
        os.kill(os.getpid(), 9)
    time.sleep(1.5)
    with open(snakemake.output[0], "w") as handle:
        json.dump({**record, "ended": time.time()}, handle)


run(snakemake, main)
"""


def test_concurrent_snakemake_gpu_jobs_never_share_a_device(tmp_path: Path) -> None:
    """Eight GPU jobs (one asks for two GPUs, one is killed with SIGKILL) on two fake GPUs under
    ``--resources gpu=2``, as profiles/local declares them: jobs that overlap in time never share a
    device, and the devices of finished and killed jobs are given to later ones."""
    (tmp_path / "Snakefile").write_text(SNAKEFILE)
    (tmp_path / "job.py").write_text(JOB)
    env = {**os.environ, **_env(tmp_path, "0,1"), "PYTHONPATH": str(REPO)}
    env.pop("CUDA_VISIBLE_DEVICES", None)
    done = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "8", "--resources", "gpu=2", "--keep-going", "--quiet"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode != 0  # job 0 was killed
    runs = {path.stem: json.loads(path.read_text()) for path in (tmp_path / "out").glob("*.json")}
    assert sorted(runs) == ["1", "2", "3", "4", "5", "6", "killed", "tp"], done.stderr[-2000:]
    assert sorted(runs["tp"]["devices"]) == ["0", "1"]
    assert {d for r in runs.values() for d in r["devices"]} == {"0", "1"}
    for a, first in runs.items():
        for b, second in runs.items():
            overlap = first["began"] < second["ended"] and second["began"] < first["ended"]
            if a < b and overlap:
                assert not set(first["devices"]) & set(second["devices"]), (a, first, b, second)
    # the killed job's device was used again after it died
    killed = runs.pop("killed")
    assert any(r["began"] > killed["ended"] and killed["devices"][0] in r["devices"] for r in runs.values())


def test_a_tensor_parallel_vllm_job_asks_for_its_gpus(tmp_path: Path) -> None:
    """profiles/local with a vllm generator of tensor_parallel_size 2: its generation job's `gpu`
    resource is 2 (the devices step.run then claims), an API generator's job none."""
    import yaml

    config = yaml.safe_load((REPO / "config" / "demo.yaml").read_text())
    config["generators"]["qwen-tp2"] = {
        "backend": "vllm",
        "model": "Qwen/Qwen3-8B",
        "options": {"tensor_parallel_size": 2},
    }
    config["corpora"]["zero-shot-qwen"] = {
        "paradigm": "zero-shot",
        "generator": "qwen-tp2",
        "template": "config/prompts/zero-shot.txt",
    }
    path = tmp_path / "tp2.yaml"
    path.write_text(yaml.safe_dump(config))
    targets = [f"results/corpora/demo-cooking/{name}.jsonl" for name in ("zero-shot-qwen", "zero-shot-smollm2")]
    command = [sys.executable, "-m", "snakemake", "-n", "--forceall", "--profile", "profiles/local"]
    done = subprocess.run(
        [*command, "--resources", "gpu=2", "--configfile", str(path), "--", *targets],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    jobs = {}
    for block in done.stdout.split("rule generated_corpus:")[1:]:
        corpus = block.split("corpus=")[1].split()[0]
        jobs[corpus] = next(line.split("resources:")[1] for line in block.splitlines() if "resources:" in line)
    assert jobs["zero-shot-qwen"].endswith("gpu=2") and jobs["zero-shot-smollm2"].endswith("gpu=0"), jobs
