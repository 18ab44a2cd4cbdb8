"""profiles/slurm's job groups: the submission arithmetic of bench/slurm_submissions.py, and the
demo's plan under the profile (a dry run: groups form, no local rule in one, each group asks for
what its jobs need one after the other)."""

import importlib.util
import re
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import REPO

_spec = importlib.util.spec_from_file_location("slurm_submissions", REPO / "bench" / "slurm_submissions.py")
assert _spec and _spec.loader
submissions = sys.modules["slurm_submissions"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(submissions)

PROFILE = yaml.safe_load((REPO / "profiles" / "slurm" / "config.yaml").read_text())
TOY = {
    "default-resources": {"runtime": 60, "mem_mb": 4000, "cpus_per_task": 1},
    "set-resources": {
        "rerank": {"gpu": 1, "cpus_per_task": 8, "mem_mb": 32000, "runtime": 30},
        "evaluate_run": {"mem_mb": 8000, "runtime": 10},
    },
}


def test_request_sums_runtime_and_takes_the_largest_of_the_rest() -> None:
    assert submissions.request(TOY, ["rerank", "evaluate_run", "rerank", "evaluate_run"]) == {
        "runtime": 80,
        "cpus_per_task": 8,
        "mem_mb": 32000,
        "gpu": 1,
    }
    # a rule without set-resources gets the defaults, and no GPU
    assert submissions.request(TOY, ["ingest_qrels"]) == {"runtime": 60, "cpus_per_task": 1, "mem_mb": 4000, "gpu": 0}
    with pytest.raises(ValueError, match="at least one job"):
        submissions.request(TOY, [])


def test_summarize_counts_groups_once_and_local_jobs_never() -> None:
    records = [
        {"group": "run/ce/m1", "local": False, "rules": ["rerank", "evaluate_run", "rerank"]},
        {"group": None, "local": False, "rules": ["train_cross_encoder"]},
        {"group": None, "local": True, "rules": ["overview_table"]},
        {"group": "run/bm25", "local": False, "rules": ["evaluate_run"]},
    ]
    summary = submissions.summarize(records)
    assert (summary.jobs, summary.local_jobs, summary.submissions) == (6, 1, 3)
    assert (summary.groups, summary.grouped_jobs) == (2, 4)
    assert summary.ratio == 0.5
    assert summary.per_rule["evaluate_run"] == (2, 2)
    assert summary.per_rule["rerank"] == (2, 1)
    assert summary.per_rule["overview_table"] == (1, 0)


def rule_blocks() -> dict[str, str]:
    """rule name -> its text in rules/*.smk"""
    blocks = {}
    for path in sorted((REPO / "rules").glob("*.smk")):
        for match in re.finditer(r"^rule (\w+):\n((?:[ \t]+.*\n|\n)*)", path.read_text(), flags=re.M):
            blocks[match.group(1)] = match.group(2)
    return blocks


def test_groups_name_existing_rules_none_local() -> None:
    """A `localrule: True` rule put in a group would be submitted with it (Snakemake runs a group
    where its jobs go), so a table or figure would leave the login node."""
    blocks = rule_blocks()
    grouped = PROFILE["groups"]
    assert set(grouped) <= set(blocks), set(grouped) - set(blocks)
    assert not [rule for rule in grouped if "localrule: True" in blocks[rule]]
    # every job holds the one slot of its submission, so Snakemake plans a group's jobs in series
    assert PROFILE["default-resources"]["group_slots"] == 1
    assert PROFILE["resources"] == {"group_slots": 1}
    assert PROFILE["set-resource-scopes"] == {"group_slots": "local"}
    # the other profiles run everything locally and group nothing
    for other in ("local", "demo"):
        profile = yaml.safe_load((REPO / "profiles" / other / "config.yaml").read_text())
        assert "groups" not in profile and "group-components" not in profile


def test_demo_plan_groups_jobs_and_asks_for_their_serial_sum(tmp_path: Path) -> None:
    records = submissions.plan(["all", "--configfile", "config/demo.yaml"], tmp_path / "plan.jsonl")
    summary = submissions.summarize(records)
    assert summary.submissions < summary.jobs - summary.local_jobs
    grouped = [r for r in records if r["group"]]
    assert any(len(r["rules"]) > 1 for r in grouped)
    assert not [r for r in grouped if r["local"]]
    # Snakemake's own group arithmetic, as on a cluster, is the serial sum: one GPU at most (a
    # GPU job's metric files run after it in its submission), the summed runtime
    for record in grouped:
        assert record["resources"] == submissions.request(PROFILE, record["rules"]), record
    gpu_groups = [r for r in grouped if r["resources"]["gpu"]]
    assert gpu_groups and all(r["resources"]["gpu"] == 1 for r in gpu_groups)
    assert any(r["rules"].count("rerank") > 1 or r["rules"].count("dense_retrieve") > 1 for r in gpu_groups)
    # what is grouped: the groups named in the profile, their rules only
    for record in grouped:
        pattern = {PROFILE["groups"][rule] for rule in record["rules"]}
        assert all(rule in PROFILE["groups"] for rule in record["rules"])
        assert record["group"].split("/")[0] in {p.split("/")[0] for p in pattern}
