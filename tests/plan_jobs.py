"""Run ``snakemake -n --forceall`` and write every planned job as a JSON line: rule, wildcards,
input, output and params (what Snakemake's default rerun triggers compare).

Usage: ``python tests/plan_jobs.py OUT.jsonl [snakemake arguments...]``. Test-only: it wraps
Snakemake's dry-run executor (``snakemake.executors.dryrun.Executor.run_job``), an internal of
the pinned Snakemake 9, to see each job's params, which no Snakemake command prints.
"""

import json
import sys

from snakemake.executors import dryrun


def _plain(value: object) -> object:
    return json.loads(json.dumps(value, sort_keys=True, default=repr))


def main() -> None:
    out = open(sys.argv[1], "w", encoding="utf-8")  # noqa: SIM115 - closed at exit below
    original = dryrun.Executor.run_job

    def run_job(self: dryrun.Executor, job: object) -> object:
        for j in job.jobs if job.is_group() else [job]:
            record = {
                "rule": j.rule.name,
                "wildcards": dict(j.wildcards_dict),
                "input": sorted(str(f) for f in j.input),
                "output": sorted(str(f) for f in j.output),
                "params": _plain(dict(j.params.items())),
            }
            out.write(json.dumps(record, sort_keys=True) + "\n")
        return original(self, job)

    dryrun.Executor.run_job = run_job
    from snakemake.cli import main as snakemake_main

    sys.argv = ["snakemake", "-n", "--forceall", *sys.argv[2:]]
    try:
        snakemake_main()
    finally:
        out.close()


if __name__ == "__main__":
    main()
