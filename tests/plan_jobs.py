"""Run ``snakemake -n --forceall`` and write every planned job as a JSON line: rule, wildcards,
input, output and params (what Snakemake's default rerun triggers compare).

Usage: ``python tests/plan_jobs.py [--script-view] OUT.jsonl [snakemake arguments...]``.
``--script-view`` adds what a rule's script sees of its job (named inputs and outputs, log,
threads, the workflow config), for running a script outside Snakemake
(``tests/stage_job.py``). Test-only: it wraps
Snakemake's dry-run executor (``snakemake.executors.dryrun.Executor.run_job``), an internal of
the pinned Snakemake 9, to see each job's params, which no Snakemake command prints.
"""

import json
import sys

from snakemake.executors import dryrun


def _plain(value: object, sort_keys: bool = True) -> object:
    return json.loads(json.dumps(value, sort_keys=sort_keys, default=repr))


def _named(files: object) -> dict[str, object]:
    """A Snakemake named list as its names (a name may stand for several files)."""
    return {name: (str(value) if isinstance(value, str) else [str(v) for v in value]) for name, value in files.items()}


def main() -> None:
    args = sys.argv[1:]
    script_view = bool(args) and args[0] == "--script-view"
    args = args[1:] if script_view else args
    out = open(args[0], "w", encoding="utf-8")  # noqa: SIM115 - closed at exit below
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
            if script_view:  # as the script sees them: the params' dicts in their own order
                record |= {
                    "params": _plain(dict(j.params.items()), sort_keys=False),
                    "input_list": [str(f) for f in j.input],
                    "output_list": [str(f) for f in j.output],
                    "named_input": _named(j.input),
                    "named_output": _named(j.output),
                    "log": [str(f) for f in j.log],
                    "threads": j.threads,
                    "config": _plain(j.rule.workflow.config, sort_keys=False),
                }
            out.write(json.dumps(record, sort_keys=not script_view) + "\n")
        return original(self, job)

    dryrun.Executor.run_job = run_job
    from snakemake.cli import main as snakemake_main

    sys.argv = ["snakemake", "-n", "--forceall", *args[1:]]
    try:
        snakemake_main()
    finally:
        out.close()


if __name__ == "__main__":
    main()
