"""Run one rule's script as Snakemake's ``script:`` would, in the Python that runs this file.

Usage: ``STAGE_PYTHON tests/stage_job.py JOB.json`` in the workflow's directory, where JOB.json is
one line of ``tests/plan_jobs.py --script-view``. Test-only (``tests/test_demo_stage_envs.py``): a stage
environment is a bare venv with its envs/*.yaml pins, without Snakemake, so the script gets a
stand-in for the ``snakemake`` object (the attributes the project's scripts and
``synthrank.provenance`` read) instead of Snakemake's pickled one, whose unpickling would put the
main environment's site-packages on the path and hide a missing package. As Snakemake's preamble
does, the script's folder comes first on ``sys.path`` (``scripts/synthrank`` links the package).
"""

import json
import os
import runpy
import sys


class Named(list):
    """A list with names, like Snakemake's ``Namedlist``: ``x[0]``, ``x.name``, ``x["name"]``,
    ``x.get(name)``, ``x.items()``, ``x.keys()``."""

    def __init__(self, items: list, named: dict) -> None:
        super().__init__(items)
        self._named = dict(named)
        for name, value in named.items():
            setattr(self, name, Named(value, {}) if isinstance(value, list) else value)

    def __getitem__(self, key):
        return getattr(self, key) if isinstance(key, str) else super().__getitem__(key)

    def items(self):
        return ((name, getattr(self, name)) for name in self._named)

    def keys(self):
        return self._named.keys()

    def get(self, name: str, default: object = None) -> object:
        return getattr(self, name) if name in self._named else default


class Job:
    def __init__(self, job: dict, script: str) -> None:
        self.rule = job["rule"]
        self.input = Named(job["input_list"], job["named_input"])
        self.output = Named(job["output_list"], job["named_output"])
        self.params = Named(list(job["params"].values()), job["params"])
        self.wildcards = Named(list(job["wildcards"].values()), job["wildcards"])
        self.log = Named(job["log"], {})
        self.threads = job["threads"]
        self.config = job["config"]
        self.scriptdir = os.path.dirname(os.path.abspath(script))


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as f:
        job = json.load(f)
    script = job["script"]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    sys.argv = [script]
    runpy.run_path(script, init_globals={"snakemake": Job(job, script)}, run_name="__main__")


if __name__ == "__main__":
    main()
