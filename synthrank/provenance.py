"""The environment a result was made in, in one mirror tree apart from the results.

The record of output ``P`` (its path relative to the working directory, as Snakemake names it)
is ``results/provenance/P.json``: ``results/tables/overview.csv`` ->
``results/provenance/results/tables/overview.csv.json``; a directory output's record is
``results/provenance/<dir>.json``. Output folders thus hold only their outputs (a release folder
exactly the files of a dataset repository). An output outside the working directory (an absolute
path) has its record under ``results/provenance/_absolute/<path>.json``.

Package versions (every distribution the job's Python imports from, first on its path), the
Python version and platform, the git commit of the workflow (and whether the checkout had
uncommitted changes), the SHA-256 of the whole config and of the job's params, the rule and its
wildcards. No time stamps, host names or paths: two runs of the same code on the same
environment write the same bytes, so the demo's byte-reproducibility check covers these files too.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import subprocess
import sys
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from synthrank.io import write_json

ROOT = Path("results") / "provenance"


def digest(data: Any) -> str:
    """SHA-256 of a JSON-like value, independent of key order."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def packages() -> dict[str, str]:
    """Name -> version of every installed distribution, as imports would find it."""
    found: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            found.setdefault(re.sub(r"[-_.]+", "-", name).lower(), dist.version)  # PEP 503 names
    return dict(sorted(found.items()))


def git_state(directory: str | Path) -> dict[str, Any] | None:
    """The commit checked out where the workflow lives, or None outside a git checkout."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(directory), *args], capture_output=True, text=True, check=True, timeout=30
        ).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "dirty": dirty}


def record(
    *,
    rule: str,
    wildcards: Mapping[str, Any],
    params: Mapping[str, Any],
    config: Mapping[str, Any],
    workflow_dir: str | Path,
) -> dict[str, Any]:
    return {
        "rule": rule,
        "wildcards": dict(wildcards),
        "params_sha256": digest(dict(params)),
        "config_sha256": digest(dict(config)),
        "git": git_state(workflow_dir),
        "python": platform.python_version(),
        "platform": f"{platform.system()}-{platform.machine()}",
        "packages": packages(),
    }


def path_for(output: str | Path) -> Path:
    """Where the record of ``output`` (a file or a directory) is, relative to the working directory."""
    path = Path(os.path.normpath(output))
    if path.is_absolute():
        try:
            path = path.relative_to(Path.cwd())
        except ValueError:
            path = Path("_absolute", *path.parts[1:])
    return ROOT / f"{path}.json"


def write(outputs: list[str], provenance: Mapping[str, Any]) -> None:
    """Write the record of each output (a file or a directory) into the mirror tree."""
    for output in outputs:
        write_json(str(path_for(output)), provenance)


def from_snakemake(snakemake: Any) -> dict[str, Any]:
    """The record of the job a Snakemake ``script:`` runs."""
    return record(
        rule=snakemake.rule,
        wildcards=dict(snakemake.wildcards.items()),
        params=dict(snakemake.params.items()),
        config=snakemake.config,
        workflow_dir=getattr(snakemake, "scriptdir", None) or sys.path[0],
    )
