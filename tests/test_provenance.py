"""Each result's environment, written by synthrank.step.run into the mirror tree results/provenance/."""

import json
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from synthrank import provenance
from synthrank.errors import SynthrankError
from synthrank.step import run


class Named(dict):
    """The part of Snakemake's Namedlist that step.run uses."""

    def __iter__(self):
        return iter(self.values())


def fake_job(tmp_path: Path, outputs: list[str], config: dict) -> SimpleNamespace:
    return SimpleNamespace(
        rule="some_rule",
        log=[str(tmp_path / "logs" / "job.log")],
        output=Named((f"out{i}", o) for i, o in enumerate(outputs)),
        wildcards=Named(dataset="demo"),
        params=Named(depth=10),
        config=config,
        threads=1,
        scriptdir=str(tmp_path),
    )


def test_record_is_deterministic_and_tracks_config(tmp_path: Path) -> None:
    args = {"rule": "r", "wildcards": {"a": "1"}, "params": {"k": [1, 2]}, "workflow_dir": tmp_path}
    first = provenance.record(config={"x": 1, "y": {"z": 2}}, **args)
    again = provenance.record(config={"y": {"z": 2}, "x": 1}, **args)
    assert first == again
    assert provenance.record(config={"x": 2, "y": {"z": 2}}, **args)["config_sha256"] != first["config_sha256"]
    assert first["packages"]["pytest"] and first["packages"]["snakemake"]
    assert first["git"] is None  # tmp_path is no git checkout


def test_git_commit_and_dirty_flag(tmp_path: Path) -> None:
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(tmp_path), *args], capture_output=True, text=True, check=True).stdout

    git("init", "-q")
    (tmp_path / "Snakefile").write_text("rule all:\n")
    git("add", "Snakefile")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "c")
    commit = git("rev-parse", "HEAD").strip()
    assert provenance.git_state(tmp_path) == {"commit": commit, "dirty": False}
    (tmp_path / "Snakefile").write_text("rule all:\n    input: []\n")
    assert provenance.git_state(tmp_path) == {"commit": commit, "dirty": True}


def test_step_writes_provenance_into_the_mirror_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # Snakemake runs a job in the working directory; outputs are relative
    outputs = ["results/release/x/data/train.parquet", "results/model"]
    job = fake_job(tmp_path, outputs, {"seeds": [1]})

    def work() -> None:
        Path(outputs[0]).parent.mkdir(parents=True)
        Path(outputs[0]).write_text("{}")
        Path(outputs[1]).mkdir()

    run(job, work)
    mirrored = [
        tmp_path / "results/provenance/results/release/x/data/train.parquet.json",
        tmp_path / "results/provenance/results/model.json",
    ]
    records = [json.loads(p.read_text()) for p in mirrored]
    assert records[0] == records[1]
    assert records[0]["rule"] == "some_rule" and records[0]["wildcards"] == {"dataset": "demo"}
    assert records[0]["config_sha256"] == provenance.digest({"seeds": [1]})
    # the output folders hold only the outputs
    assert sorted(p.name for p in (tmp_path / "results/release/x/data").iterdir()) == ["train.parquet"]
    assert sorted(p.name for p in (tmp_path / "results/model").iterdir()) == []


def test_record_path_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert provenance.path_for("figures/a.png") == Path("results/provenance/figures/a.png.json")
    assert provenance.path_for("results/models/x/") == Path("results/provenance/results/models/x.json")
    assert provenance.path_for(tmp_path / "results/t.csv") == Path("results/provenance/results/t.csv.json")
    assert provenance.path_for("/elsewhere/t.csv") == Path("results/provenance/_absolute/elsewhere/t.csv.json")


def test_failed_step_writes_no_provenance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    job = fake_job(tmp_path, ["results/a.json"], {})

    def work() -> None:
        raise SynthrankError("bad input")

    with pytest.raises(SystemExit):
        run(job, work)
    assert not (tmp_path / "results" / "provenance").exists()
