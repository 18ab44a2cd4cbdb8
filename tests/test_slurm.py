"""profiles/slurm against a real SLURM cluster on this machine (.ci/local-slurm: munge, slurmctld,
slurmd, slurmdbd + MariaDB, one fake GPU): a small grid with GPU, CPU and local rules goes through
sbatch, and sacct shows each job with the resources the profile declares."""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import yaml

from .conftest import REPO, copy_workflow

pytestmark = pytest.mark.slow

LOCAL_SLURM = REPO / ".ci" / "local-slurm"
PROFILE = yaml.safe_load((REPO / "profiles" / "slurm" / "config.yaml").read_text())
# The node is declared as large as a GPU node (nothing enforces it: task/none), so the profile's
# real requests are scheduled here unchanged.
NODE = {"SLURM_LOCAL_NODE_CPUS": "16", "SLURM_LOCAL_NODE_MEM_MB": "64000", "SLURM_LOCAL_FAKE_GPU": "1"}


def why_no_slurm() -> str | None:
    if os.geteuid() != 0:
        return "starting SLURM daemons needs root"
    if not shutil.which("sbatch") and not shutil.which("apt-get"):
        return "SLURM is not installed and apt-get is not available to install it"
    return None


@pytest.fixture(scope="module")
def cluster():
    reason = why_no_slurm()
    if reason:
        pytest.skip(reason)
    # the daemons run as munge and mysql: their folder must be reachable (pytest's tmp is 0700)
    base = Path(tempfile.gettempdir()) / f"synthrank-local-slurm-{os.getpid()}"
    base.mkdir(mode=0o755)
    env = {**os.environ, **NODE, "SLURM_LOCAL_BASE": str(base)}
    try:
        start = subprocess.run(
            ["bash", str(LOCAL_SLURM / "start.sh")], env=env, capture_output=True, text=True, timeout=900
        )
        assert start.returncode == 0, start.stderr[-3000:]
        yield env
    finally:
        subprocess.run(["bash", str(LOCAL_SLURM / "stop.sh")], env=env, capture_output=True, timeout=120)
        shutil.rmtree(base, ignore_errors=True)


def small_grid(workdir: Path) -> None:
    """The demo cut to one corpus, one architecture, one seed and its in-domain collection: ingestion,
    BM25, mining, a training set, training, dense retrieval, metrics (sbatch) and the table and
    figure (local): every kind of job once, each through sbatch's start-up."""
    config = yaml.safe_load((workdir / "config" / "demo.yaml").read_text())
    config["corpora"] = {"human": config["corpora"]["human"]}
    del config["datasets"]["demo-astronomy"]
    config["evaluation"]["out_of_domain"] = []
    bi_encoder = config["architectures"]["bi-encoder"]
    bi_encoder["train"]["epochs"] = 1
    config["architectures"] = {"bi-encoder": bi_encoder}
    config["seeds"] = [1]
    (workdir / "config" / "slurm-ci.yaml").write_text(yaml.safe_dump(config, sort_keys=False))


def sacct_jobs() -> dict[str, dict[str, str]]:
    """rule name -> the last of its jobs' comment, TRES and time limit, as slurmdbd recorded them."""
    fields = ["JobID", "Comment", "ReqTRES", "Timelimit", "State"]
    out = subprocess.run(
        ["sacct", "-a", "-X", "-n", "-P", "-o", ",".join(fields)], capture_output=True, text=True, check=True
    ).stdout
    jobs = {}
    for line in out.splitlines():
        job = dict(zip(fields, line.split("|"), strict=True))
        if job["Comment"].startswith("rule_"):
            jobs.setdefault(job["Comment"].removeprefix("rule_").split("_wildcards_")[0], []).append(job)
    return jobs


def slurm_time(minutes: int) -> str:
    days, minutes = divmod(minutes, 24 * 60)
    return (f"{days}-" if days else "") + f"{minutes // 60:02d}:{minutes % 60:02d}:00"


def tres(job: dict[str, str]) -> dict[str, str]:
    return dict(item.split("=", 1) for item in job["ReqTRES"].split(","))


def test_slurm_profile_submits_with_declared_resources(cluster: dict[str, str], tmp_path: Path) -> None:
    workdir = copy_workflow(tmp_path)
    small_grid(workdir)
    env = {**cluster, "SYNTHRANK_SLURM_ACCOUNT": "ci", "SYNTHRANK_SLURM_PARTITION": "debug"}
    cmd = [
        *[sys.executable, "-m", "snakemake", "--profile", "profiles/slurm"],
        *["results/tables/overview.csv", "figures/id-vs-ood.png", "--configfile", "config/slurm-ci.yaml"],
        # poll quickly, and no more jobs at once than this machine has cores
        *["--jobs", "2", "--slurm-init-seconds-before-status-checks", "2", "--seconds-between-status-checks", "2"],
        *["--latency-wait", "5", "--max-threads", "1"],
    ]
    began = time.monotonic()
    done = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=1200, check=False)
    print(f"snakemake --profile profiles/slurm: {time.monotonic() - began:.0f} s")
    assert done.returncode == 0, done.stderr[-4000:]
    assert (workdir / "results" / "tables" / "overview.csv").is_file()

    jobs = sacct_jobs()
    declared = PROFILE["set-resources"]
    defaults = PROFILE["default-resources"]
    # (the demo's collections have one shard each, so dense_retrieve encodes them itself: no
    # encode_corpus_shard job; the profile gives that rule a GPU too)
    gpu_rules = {"train_bi_encoder", "dense_retrieve"}
    cpu_rules = {"ingest_collection", "ingest_qrels", "bm25_index", "bm25_search", "human_corpus"}
    cpu_rules |= {"negatives_run", "training_set", "evaluate_run"}
    assert gpu_rules | cpu_rules <= set(jobs), set(jobs)
    assert not {"overview_table", "id_ood_figure"} & set(jobs), "local rules (table, figure) went through sbatch"
    # the profile gives a GPU to training and dense encoding, none to ingestion, BM25, metrics, API generation
    assert {rule for rule in gpu_rules | cpu_rules if declared.get(rule, {}).get("gpu")} == gpu_rules
    for rule, submitted in jobs.items():
        want = {**defaults, **declared.get(rule, {})}
        for job in submitted:
            got = tres(job)
            assert job["State"] == "COMPLETED", (rule, job)
            assert got["cpu"] == str(want["cpus_per_task"]), (rule, got)
            assert got["mem"] == f"{want['mem_mb']}M", (rule, got)
            assert job["Timelimit"] == slurm_time(want["runtime"]), (rule, job["Timelimit"])
            # GPU jobs hold a GPU, CPU jobs (ingestion, BM25, metrics, generation by API) none
            gpus = "1" if want.get("gpu") else None
            assert got.get("gres/gpu") == gpus, (rule, got)
