"""profiles/slurm against a real SLURM cluster on this machine (.ci/local-slurm: munge, slurmctld,
slurmd, slurmdbd + MariaDB, one fake GPU): a small grid with GPU, CPU and local rules goes through
sbatch in the profile's job groups, and sacct shows each submission the dry run planned, with the
resources the profile declares: a group's summed runtime and the largest CPUs, memory and GPU of
its jobs, which ran one after the other in it."""

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
from .test_slurm_submissions import submissions  # bench/slurm_submissions.py

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
    BM25, mining, a training set, training, dense retrieval, metrics (sbatch, in the profile's
    groups) and the table and figure (local): every kind of job once."""
    config = yaml.safe_load((workdir / "config" / "demo.yaml").read_text())
    config["corpora"] = {"human": config["corpora"]["human"]}
    del config["datasets"]["demo-astronomy"]
    config["evaluation"]["out_of_domain"] = []
    bi_encoder = config["architectures"]["bi-encoder"]
    bi_encoder["train"]["steps"] = 4  # half the demo's budget: one pass over its 63 positives
    config["architectures"] = {"bi-encoder": bi_encoder}
    config["seeds"] = [1]
    (workdir / "config" / "slurm-ci.yaml").write_text(yaml.safe_dump(config, sort_keys=False))


def sacct_submissions() -> dict[str, dict[str, str]]:
    """SLURM job id -> comment, TRES, time limit and state of every submission slurmdbd recorded
    with a Snakemake comment, and its job steps (one ``srun`` per Snakemake job) as (start, end)."""
    fields = ["JobID", "Comment", "ReqTRES", "Timelimit", "State", "Start", "End"]
    out = subprocess.run(
        ["sacct", "-a", "-n", "-P", "-o", ",".join(fields)], capture_output=True, text=True, check=True
    ).stdout
    jobs: dict[str, dict] = {}
    steps: dict[str, list[tuple[str, str]]] = {}
    for line in out.splitlines():
        row = dict(zip(fields, line.split("|"), strict=True))
        job, _, step = row["JobID"].partition(".")
        if not step and row["Comment"].startswith("rule_"):
            jobs[job] = row
        elif step.isdigit():
            steps.setdefault(job, []).append((row["Start"], row["End"]))
    for job, row in jobs.items():
        row["steps"] = sorted(steps.get(job, []))
    return jobs


def submission_name(comment: str) -> str:
    """The plugin's comment: ``rule_<rule>[_wildcards_...]``, or ``rule_<group>_<its rules>``."""
    return comment.removeprefix("rule_").split("_wildcards_")[0]


def planned_name(record: dict) -> str:
    if record["group"] is None:
        return record["rules"][0]
    return f"{record['group']}_{'_'.join(sorted(set(record['rules'])))}"


def slurm_time(minutes: int) -> str:
    days, minutes = divmod(minutes, 24 * 60)
    return (f"{days}-" if days else "") + f"{minutes // 60:02d}:{minutes % 60:02d}:00"


def tres(job: dict[str, str]) -> dict[str, str]:
    return dict(item.split("=", 1) for item in job["ReqTRES"].split(","))


def test_slurm_profile_submits_groups_with_summed_resources(cluster: dict[str, str], tmp_path: Path) -> None:
    workdir = copy_workflow(tmp_path)
    small_grid(workdir)
    env = {**cluster, "SYNTHRANK_SLURM_ACCOUNT": "ci", "SYNTHRANK_SLURM_PARTITION": "debug"}
    targets = ["results/tables/overview.csv", "figures/id-vs-ood.png", "--configfile", "config/slurm-ci.yaml"]
    # what the profile's groups make of the grid: one record per planned submission (dry run)
    planned = submissions.plan([*targets, "--max-threads", "1"], tmp_path / "plan.jsonl", workdir)
    cmd = [
        *[sys.executable, "-m", "snakemake", "--profile", "profiles/slurm", *targets],
        # poll quickly, and no more jobs at once than this machine has cores
        *["--jobs", "2", "--slurm-init-seconds-before-status-checks", "2", "--seconds-between-status-checks", "2"],
        *["--latency-wait", "5", "--max-threads", "1"],
    ]
    began = time.monotonic()
    done = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=1200, check=False)
    print(f"snakemake --profile profiles/slurm: {time.monotonic() - began:.0f} s")
    assert done.returncode == 0, done.stderr[-4000:]
    assert (workdir / "results" / "tables" / "overview.csv").is_file()

    summary = submissions.summarize(planned)
    remote = [record for record in planned if not record["local"]]
    submitted = sacct_submissions()
    print(
        f"{summary.jobs} jobs: {summary.local_jobs} local, {summary.jobs - summary.local_jobs} in "
        f"{summary.submissions} sbatch submissions ({summary.groups} groups); sacct: {len(submitted)}"
    )
    # every planned submission went through sbatch once, nothing else did: fewer than the jobs
    assert sorted(submission_name(job["Comment"]) for job in submitted.values()) == sorted(map(planned_name, remote))
    assert len(submitted) == summary.submissions < summary.jobs - summary.local_jobs
    ran = {rule for record in remote for rule in record["rules"]}
    # (the demo's collections have one shard each, so dense_retrieve encodes them itself: no
    # encode_corpus_shard job; the profile gives that rule a GPU too)
    gpu_rules = {"train_bi_encoder", "dense_retrieve"}
    cpu_rules = {"ingest_collection", "ingest_qrels", "bm25_index", "bm25_search", "human_corpus"}
    cpu_rules |= {"negatives_run", "training_set", "evaluate_run"}
    assert gpu_rules | cpu_rules <= ran, ran
    assert not {"overview_table", "id_ood_figure"} & ran, "local rules (table, figure) went through sbatch"
    # the profile gives a GPU to training and dense encoding, none to ingestion, BM25, metrics, API generation
    declared = PROFILE["set-resources"]
    assert {rule for rule in gpu_rules | cpu_rules if declared.get(rule, {}).get("gpu")} == gpu_rules
    # groups: a CPU one of four rules (ingestion and BM25), a GPU one with a run and its metric file
    groups = [record for record in remote if len(record["rules"]) > 1]
    assert any(set(r["rules"]) >= {"ingest_collection", "bm25_index", "bm25_search"} for r in groups), groups
    assert any(set(r["rules"]) == {"dense_retrieve", "evaluate_run"} for r in groups), groups

    # each submission asked for what the profile declares: a group the sum of its jobs' runtimes
    # and the largest CPUs, memory and GPU of any one; and its jobs ran one after the other
    by_name = {planned_name(record): record for record in remote}
    for job in submitted.values():
        record = by_name[submission_name(job["Comment"])]
        want = submissions.request(PROFILE, record["rules"])
        got = tres(job)
        assert job["State"] == "COMPLETED", (record, job)
        assert got["cpu"] == str(want["cpus_per_task"]), (record, got)
        assert got["mem"] == f"{want['mem_mb']}M", (record, got)
        assert job["Timelimit"] == slurm_time(want["runtime"]), (record, job["Timelimit"])
        # GPU submissions hold one GPU, CPU ones (ingestion, BM25, metrics, generation by API) none
        assert got.get("gres/gpu") == ("1" if want["gpu"] else None), (record, got)
        # one srun step per job, none overlapping the next (sacct's times are whole seconds)
        assert len(job["steps"]) == len(record["rules"]), (record, job["steps"])
        for (_, end), (start, _) in zip(job["steps"], job["steps"][1:], strict=False):
            assert end <= start, (record, job["steps"])
