"""How many SLURM submissions a grid makes with profiles/slurm's job groups, from its dry run.

    PYTHONPATH=$PWD .venv/bin/python bench/slurm_submissions.py               # the thesis grid
    PYTHONPATH=$PWD .venv/bin/python bench/slurm_submissions.py --configfile config/demo.yaml

Runs ``snakemake --profile profiles/slurm -n --forceall`` (nothing is computed; dummy API keys
and site settings, as bench/snakemake_grid.py) with Snakemake's dry-run executor wrapped, so each
job or group job the scheduler hands to the executor is one record: what ``sbatch`` would get
(``--record``). A submission is a group job (its jobs run one after the other in one allocation)
or an ungrouped job; a ``localrule: True`` job runs on the submitting host and is no submission.
Prints Markdown: jobs, submissions and their ratio, per group name pattern, and the largest
request of any submission (the summed runtime of its jobs, the largest CPUs, memory and GPU of
any one of them, the arithmetic ``request`` below, which tests/test_slurm.py checks against
sacct). The wrapped executor is an internal of the pinned Snakemake 9, as in tests/plan_jobs.py.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
PROFILE = ROOT / "profiles" / "slurm" / "config.yaml"
# what sbatch is asked for, by the plugin's resource names
ADDED = ("runtime",)
LARGEST = ("cpus_per_task", "mem_mb", "gpu")


@dataclass(frozen=True)
class Summary:
    """A grid's plan as SLURM sees it."""

    jobs: int  # every job of the plan, local ones included
    local_jobs: int  # localrule: True (on the submitting host)
    submissions: int  # sbatch calls: group jobs plus ungrouped jobs
    grouped_jobs: int  # jobs inside group jobs
    groups: int  # group jobs (submissions holding several jobs, or one of a group)
    per_rule: dict[str, tuple[int, int]]  # rule -> (jobs, submissions it starts or shares)

    @property
    def ratio(self) -> float:
        return self.submissions / self.jobs


def rule_resources(profile: Mapping[str, Any], rule: str) -> dict[str, int]:
    """What profiles/slurm gives one job of ``rule``: its set-resources over default-resources
    (the integers: runtime minutes, mem_mb, cpus_per_task, gpu; 0 where unset)."""
    merged = {**profile.get("default-resources", {}), **profile.get("set-resources", {}).get(rule, {})}
    return {name: int(merged.get(name, 0)) for name in (*ADDED, *LARGEST)}


def request(profile: Mapping[str, Any], rules: Sequence[str]) -> dict[str, int]:
    """What one submission of jobs of ``rules`` (one entry per job) asks SLURM for, given that
    they run one after the other: the sum of their runtimes, the largest CPUs, memory and GPU."""
    if not rules:
        raise ValueError("a submission holds at least one job")
    each = [rule_resources(profile, rule) for rule in rules]
    return {name: sum(r[name] for r in each) for name in ADDED} | {name: max(r[name] for r in each) for name in LARGEST}


def summarize(records: Iterable[Mapping[str, Any]]) -> Summary:
    """Count jobs and submissions from the dry run's records (one per job or group job handed to
    the executor: ``{"group": name or None, "local": bool, "rules": [rule per job]}``)."""
    jobs = local = submissions = grouped = groups = 0
    per_rule: Counter[str] = Counter()
    started: Counter[str] = Counter()
    for record in records:
        rules = list(record["rules"])
        jobs += len(rules)
        per_rule.update(rules)
        if record["local"]:
            local += len(rules)
            continue
        submissions += 1
        started.update(set(rules))
        if record["group"] is not None:
            groups += 1
            grouped += len(rules)
    return Summary(
        jobs=jobs,
        local_jobs=local,
        submissions=submissions,
        grouped_jobs=grouped,
        groups=groups,
        per_rule={rule: (count, started[rule]) for rule, count in per_rule.most_common()},
    )


class OnACluster:
    """A workflow's resource limits as a group job on a cluster sees them: a dry run sets
    ``--cores 1``, a cluster run leaves ``--cores`` unset, so the group's threads are unbounded and
    only ``--resources`` (the profile's ``group_slots``) decide what runs side by side."""

    def __init__(self, limits: Any) -> None:
        self.limits = limits

    def get(self, name: str) -> Any:
        from snakemake.resources import Resource

        return Resource(name, None) if name == "_cores" else self.limits.get(name)


def record_dry_run(out: Path, snakemake_args: list[str]) -> None:
    """In this process: run ``snakemake -n --forceall`` with the dry-run executor recording each
    job or group job it is handed (rules, group name, local, Snakemake's own group request)."""
    from snakemake.executors import dryrun
    from snakemake.resources import GroupResources

    original = dryrun.Executor.run_job
    with out.open("w", encoding="utf-8") as sink:

        def run_job(self: dryrun.Executor, job: Any) -> object:
            members = list(job.jobs) if job.is_group() else [job]
            resources = job.resources
            if job.is_group():  # as on a cluster: a dry run computes it as for a local run
                resources = GroupResources.basic_layered(
                    toposorted_jobs=job.toposorted,
                    constraints=OnACluster(job.global_resources),
                    run_local=False,
                    additive_resources=["runtime"],
                    sortby=["runtime"],
                )
            resources = {name: resources.get(name, 0) for name in (*ADDED, *LARGEST)}
            # workflow.is_local without its "everything is local in a dry run"
            workflow = job.dag.workflow
            local = any(
                j.rule.group is None
                and (j.rule.name in workflow._localrules or j.rule.norun or j.rule.is_template_engine)
                for j in members
            )
            record = {
                "group": job.groupid if job.is_group() else None,
                "local": local,
                "rules": sorted(j.rule.name for j in members),
                "resources": {k: v for k, v in resources.items() if isinstance(v, int)},
            }
            sink.write(json.dumps(record) + "\n")
            return original(self, job)

        dryrun.Executor.run_job = run_job
        from snakemake.cli import main as snakemake_main

        sys.argv = ["snakemake", "-n", "--forceall", *snakemake_args]
        try:
            snakemake_main()
        except SystemExit as done:
            if done.code not in (0, None):
                raise


def plan(snakemake_args: list[str], out: Path, workdir: Path = ROOT) -> list[dict[str, Any]]:
    """Dry-run ``snakemake --profile profiles/slurm`` with ``snakemake_args`` (targets, config)
    in ``workdir`` (a child process); its records."""
    env = os.environ | {"OPENAI_API_KEY": "dummy-bench", "GEMINI_API_KEY": "dummy-bench"}
    env |= {"SYNTHRANK_SLURM_ACCOUNT": "bench", "SYNTHRANK_SLURM_PARTITION": "bench"}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    args = ["--profile", "profiles/slurm", *snakemake_args, "--quiet", "rules"]
    done = subprocess.run(
        [sys.executable, __file__, "--record", str(out), "--", *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the dry run failed:\n{done.stderr[-3000:]}")
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def report(records: list[dict[str, Any]], profile: Mapping[str, Any], command: str) -> str:
    """Markdown: the counts, per rule, and the largest request of any submission."""
    summary = summarize(records)
    lines = [
        f"`{command}`: **{summary.jobs:,} jobs, {summary.submissions:,} SLURM submissions "
        f"({summary.ratio:.1%} of the jobs)**; {summary.local_jobs} local jobs (no submission), "
        f"{summary.grouped_jobs:,} jobs in {summary.groups:,} group submissions; without groups, "
        f"{summary.jobs - summary.local_jobs:,} submissions.",
        "",
        "| rule | jobs | submissions holding it |",
        "|---|---:|---:|",
    ]
    lines += [f"| {rule} | {jobs:,} | {subs:,} |" for rule, (jobs, subs) in summary.per_rule.items() if subs]
    local = sorted(rule for rule, (_, subs) in summary.per_rule.items() if not subs)
    lines.append(f"\nLocal (no submission): {', '.join(local)}.")
    grouped = [r for r in records if r["group"] and not r["local"]]
    lines += ["", "| largest group submission by | asks for | group | its jobs |", "|---|---|---|---|"]
    for name in (*ADDED, *LARGEST):
        top = max(grouped, key=lambda r: request(profile, r["rules"])[name])
        jobs = ", ".join(f"{rule} x{n}" for rule, n in Counter(top["rules"]).most_common())
        lines.append(f"| {name} | {request(profile, top['rules'])} | {top['group']} | {jobs} |")
    agree = sum(1 for r in grouped if r["resources"] == request(profile, r["rules"]))
    lines.append(
        f"\nSnakemake's own group arithmetic (as on a cluster) equals `request` for {agree:,} of "
        f"{len(grouped):,} group submissions."
    )
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--record":
        record_dry_run(Path(sys.argv[2]), sys.argv[4:] if sys.argv[3] == "--" else sys.argv[3:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configfile", help="a grid other than config/config.yaml")
    parser.add_argument("--out", type=Path, default=Path("/tmp/synthrank-slurm-plan.jsonl"))
    args = parser.parse_args()
    extra = ["--configfile", args.configfile] if args.configfile else []
    records = plan(["all", *extra], args.out)
    profile = yaml.safe_load(PROFILE.read_text(encoding="utf-8"))
    command = " ".join(["snakemake --profile profiles/slurm -n --forceall all", *extra])
    print(report(records, profile, command))


if __name__ == "__main__":
    main()
