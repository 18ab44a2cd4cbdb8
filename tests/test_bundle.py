"""Results bundles and checkpoint bundles (synthrank.bundle), verified and pushed like corpus releases."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from synthrank import bundle, provenance, release
from synthrank.errors import SynthrankError

CONFIG = {
    "generators": {"gpt": {"backend": "openai", "model": "gpt-x", "base_url": "http://10.0.0.9:8000/v1"}},
    "seeds": [1, 2],
    "architectures": {"ce": {"kind": "cross-encoder"}},
}
FILES = {
    "run": ["results/runs/cook/test/bm25.trec"],
    "metrics": ["results/metrics/cook/test/bm25.json", "results/metrics/cook/test/ce/cook/human/seed1.json"],
    "significance": ["results/significance/ce.csv", "results/significance/seed-variance.csv"],
    "table": ["results/tables/overview.csv", "results/tables/overview.md"],
    "figure": ["figures/id-vs-ood.png"],
    "cost": ["results/corpora/cook/human.stats.json", "benchmarks/train_cross_encoder/ce/cook/human/seed1.tsv"],
}


def write(path: str | Path, text: str) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(text)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A finished run's files (each with a provenance record, but the benchmark), and a corpus release."""
    monkeypatch.chdir(tmp_path)
    for role, paths in FILES.items():
        for path in paths:
            write(path, f"{role} {path}\n")
            if not path.startswith("benchmarks/"):
                write(provenance.path_for(path), json.dumps({"rule": role}))
    write(
        "results/significance/seed-variance.csv",
        "arch,collection,metric,models,seeds,df,pooled_std\nce,cook/test,ndcg@10,2,4,2,0.05\n",
    )
    write("results/release/cook/human/" + release.DATA_FILE, "parquet bytes")
    return tmp_path


def make(out: str = "results/release/cook/results") -> dict[str, str]:
    return bundle.write_results_bundle(
        out, FILES, CONFIG, {"human": "results/release/cook/human"}, "cook", seed_variance=FILES["significance"][1]
    )


def test_results_bundle_holds_every_file_with_its_provenance_and_verifies(workdir: Path) -> None:
    sums = make()
    folder = workdir / "results/release/cook/results"
    assert release.release_kind(folder) == "results"
    assert release.verify_release(folder) == sums
    rows = bundle.bundle_files(folder)
    by_path = {r["path"]: r["role"] for r in rows}
    for role, paths in FILES.items():
        for path in paths:
            assert by_path[path] == role and (folder / path).read_text() == (workdir / path).read_text()
    records = [p for p, role in by_path.items() if role == "provenance"]
    assert len(records) == sum(len(p) for p in FILES.values()) - 1  # the benchmark file has none
    assert "results/provenance/results/tables/overview.csv.json" in records
    assert all(r["sha256"] == release.sha256_file(folder / r["path"]) for r in rows)
    meta = bundle.read_metadata(folder)
    assert meta["corpora"] == {
        "human": {
            "release": "human",
            "parquet_sha256": release.sha256_file("results/release/cook/human/" + release.DATA_FILE),
        }
    }
    assert meta["files"]["metrics"] == 2 and meta["seeds"] == [1, 2]
    published = yaml.safe_load((folder / bundle.CONFIG).read_text())
    assert "base_url" not in published["generators"]["gpt"] and published["generators"]["gpt"]["model"] == "gpt-x"
    card = (folder / release.CARD).read_text()
    assert "make reproduce-tables BUNDLE=" in card and "ce,cook/test,ndcg@10,2,4,2,0.05" in card
    front = yaml.safe_load(card.split("---")[1])
    assert front["configs"][0]["data_files"][0]["path"] == bundle.MANIFEST


def test_results_bundle_bytes_are_deterministic(workdir: Path) -> None:
    first = make("a")
    assert make("b") == first
    assert make("a") == first  # and rewriting replaces the folder


def test_results_bundle_needs_each_provenance_record(workdir: Path) -> None:
    provenance.path_for("results/tables/overview.md").unlink()
    with pytest.raises(SynthrankError, match=r"results/provenance/results/tables/overview.md.json: missing"):
        make()
    assert not (workdir / "results/release/cook/results").exists()


def test_results_bundle_refuses_a_secret(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOME_API_KEY", "sk-secret-0123456789")
    write("results/runs/cook/test/bm25.trec", "q1 Q0 d1 1 1.0 sk-secret-0123456789\n")
    with pytest.raises(SynthrankError, match=r"results/runs/cook/test/bm25.trec: would publish the value of a"):
        make()


def test_results_bundle_tampering_is_caught(workdir: Path) -> None:
    make()
    folder = workdir / "results/release/cook/results"
    write(folder / "results/tables/overview.csv", "changed\n")
    with pytest.raises(SynthrankError, match=r"overview.csv: SHA-256 does not match checksums.sha256"):
        release.verify_release(folder)


def test_stage_inputs_copies_what_level_1_does_not_rebuild(workdir: Path) -> None:
    make()
    staged = bundle.stage_inputs(workdir / "results/release/cook/results", workdir / "stage")
    assert sorted(staged) == sorted(FILES["run"] + FILES["metrics"] + FILES["cost"])
    assert (
        workdir / "stage/results/metrics/cook/test/bm25.json"
    ).read_text() == "metrics results/metrics/cook/test/bm25.json\n"


def checkpoint(workdir: Path, out: str = "ckpt") -> dict[str, str]:
    model = workdir / "results/models/ce/cook/human/seed2"
    write(model / "README.md", "trained at 12:00:03\n")
    write(model / "model.safetensors", "weights")
    write(model / "1_Pooling/config.json", "{}")
    write("results/trainsets/cook/human.jsonl", '{"query": "q"}\n')
    spec = {"kind": "cross-encoder", "base_model": "pypi:some/model", "train": {"epochs": 1, "batch_size": 8}}
    return bundle.write_checkpoint_bundle(
        out, str(model), "results/trainsets/cook/human.jsonl", "results/release/cook/human",
        arch="ce", arch_spec=spec, corpus="human", paradigm="human", train_dataset="cook", seed=2,
    )  # fmt: skip


def test_checkpoint_bundle_card_and_files(workdir: Path) -> None:
    sums = checkpoint(workdir)
    folder = workdir / "ckpt"
    assert release.release_kind(folder) == "checkpoint" and release.verify_release(folder) == sums
    assert sorted(sums) == ["1_Pooling/config.json", "README.md", "metadata.json", "model.safetensors"]
    card = (folder / "README.md").read_text()
    assert "12:00:03" not in card  # the training library's card (it records the time) is replaced
    assert "| seed | 2 |" in card and release.sha256_file("results/trainsets/cook/human.jsonl") in card
    assert "CrossEncoder" in card and yaml.safe_load(card.split("---")[1])["library_name"] == "sentence-transformers"
    assert checkpoint(workdir, "again") == sums


class FakeApi:
    def __init__(self, token: str) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def create_repo(self, **kwargs: Any) -> None:
        self.calls.append(("create_repo", kwargs))

    def upload_folder(self, **kwargs: Any) -> None:
        self.calls.append(("upload_folder", kwargs))


def test_push_a_bundle_as_a_dataset_and_a_checkpoint_as_a_model(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_fake_token_for_test")
    make()
    checkpoint(workdir)
    api = FakeApi("t")
    assert (
        release.push("results/release/cook/results", "me/results", api=api)
        == "https://huggingface.co/datasets/me/results"
    )
    assert release.push("ckpt", "me/ce-human-2", api=api) == "https://huggingface.co/me/ce-human-2"
    kinds = [kwargs["repo_type"] for name, kwargs in api.calls]
    assert kinds == ["dataset", "dataset", "model", "model"]
    assert "results/tables/overview.csv" in api.calls[1][1]["allow_patterns"]


def test_fetch_a_folder_or_a_hub_id(workdir: Path) -> None:
    make()
    folder = workdir / "results/release/cook/results"
    assert release.fetch(str(folder)) == folder

    class Hub:
        def snapshot_download(self, repo_id: str, repo_type: str, token: str | None) -> str:
            assert (repo_id, repo_type) == ("me/results", "dataset")
            return str(folder)

    assert release.fetch("me/results", api=Hub()) == folder
    with pytest.raises(SynthrankError, match=r"^no/such/folder: neither a release folder nor a Hub repository id"):
        release.fetch("no/such/folder")

    class Offline:
        def snapshot_download(self, **kwargs: Any) -> str:
            raise OSError("no network")

    with pytest.raises(
        SynthrankError, match=r"^me/results: cannot download the dataset repository: OSError: no network"
    ):
        release.fetch("me/results", api=Offline())


def test_manifest_is_csv_with_path_role_bytes_sha256(workdir: Path) -> None:
    make()
    with open(workdir / "results/release/cook/results" / bundle.MANIFEST, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == list(bundle.MANIFEST_COLUMNS) and rows[0]["path"] == bundle.CONFIG
    assert [r["role"] for r in rows] == sorted((r["role"] for r in rows), key=bundle.ROLES.index)
