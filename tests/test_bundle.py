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


#: CITATION.cff's thesis, filled in (synthrank.citation.load)
THESIS = {
    "title": release.THESIS,
    "authors": [{"family-names": "Doe", "given-names": "Jane"}],
    "year": 2026,
    "institution": {"name": "Example University"},
    "thesis-type": "Bachelor's thesis",
}


def make(out: str = "results/release/cook/results") -> dict[str, str]:
    return bundle.write_results_bundle(
        out,
        FILES,
        CONFIG,
        {"human": "results/release/cook/human"},
        "cook",
        seed_variance=FILES["significance"][1],
        thesis=THESIS,
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
    assert "@thesis{doe2026thesis," in card  # the thesis, as CITATION.cff cites it


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


#: the header sentence-transformers writes into a saved model's README.md (offline: no base_model)
LIBRARY_CARD = """---
tags:
- sentence-transformers
- cross-encoder
- generated_from_trainer
- dataset_size:63
pipeline_tag: text-ranking
library_name: sentence-transformers
---

# CrossEncoder

trained at 12:00:03
"""
SPEC = {
    "kind": "cross-encoder",
    "base_model": "pypi:some/model",
    "base_model_card": {"hub_id": "org/some-model", "license": "apache-2.0"},
    "train": {"epochs": 1, "batch_size": 8},
}
MS_LICENCE = {"id": "other", "name": "ms-marco", "url": "https://microsoft.github.io/msmarco/", "terms": "Research."}
METRICS = {
    "cook/test": "results/metrics/cook/test/ce/cook/human/seed2.json",
    "far/test": "results/metrics/far/test/ce/cook/human/seed2.json",
}


def checkpoint(workdir: Path, out: str = "ckpt", spec: dict[str, Any] = SPEC, training: bool = True) -> dict[str, str]:
    model = workdir / "results/models/ce/cook/human/seed2"
    write(model / "README.md", LIBRARY_CARD)
    write(model / "model.safetensors", "weights")
    write(model / "1_Pooling/config.json", "{}")
    if training:
        hyper = {"epochs": 1, "batch_size": 8, "learning_rate": 2e-05}
        write(
            model / "training.json",
            json.dumps({"steps": 8, "planned_steps": 8, "loss": "mnrl", "final_loss": 0.25, "hyper": hyper}),
        )
    write("results/trainsets/cook/human.jsonl", '{"query": "q"}\n')
    write(METRICS["cook/test"], json.dumps({"metrics": {"ndcg@10": 0.6514999, "mrr@10": 0.5}, "per_query": {}}))
    write(METRICS["far/test"], json.dumps({"metrics": {"ndcg@10": 0.41}}))
    return bundle.write_checkpoint_bundle(
        out, str(model), "results/trainsets/cook/human.jsonl", "results/release/cook/human",
        arch="ce", arch_spec=spec, corpus="human", paradigm="human", train_dataset="cook", seed=2,
        metrics=METRICS, thesis=THESIS, source={"hub": "microsoft/ms_marco", "licence": MS_LICENCE},
        generator_licences={"gpt": {"id": "other", "name": "openai-terms", "terms": "See OpenAI."}},
        datasets={"far": "org/far-collection"},
    )  # fmt: skip


def test_checkpoint_bundle_card_and_files(workdir: Path) -> None:
    sums = checkpoint(workdir)
    folder = workdir / "ckpt"
    assert release.release_kind(folder) == "checkpoint" and release.verify_release(folder) == sums
    assert sorted(sums) == ["1_Pooling/config.json", "README.md", "metadata.json", "model.safetensors", "training.json"]
    card = (folder / "README.md").read_text()
    assert "12:00:03" not in card  # the training library's card (it records the time) is replaced
    assert "| seed | 2 |" in card and release.sha256_file("results/trainsets/cook/human.jsonl") in card
    assert "CrossEncoder" in card and yaml.safe_load(card.split("---")[1])["library_name"] == "sentence-transformers"
    assert checkpoint(workdir, "again") == sums


def test_checkpoint_card_header_has_the_fields_a_hub_links(workdir: Path) -> None:
    """The header as sentence-transformers wrote it, with base model, licence, datasets and the grid's metrics."""
    checkpoint(workdir)
    text = (workdir / "ckpt/README.md").read_text()
    front = yaml.safe_load(text.split("---\n", 2)[1])
    for key in release.CARD_FIELDS["checkpoint"]:
        assert front.get(key), key
    assert front["base_model"] == "org/some-model" and front["license"] == "apache-2.0"
    assert front["datasets"] == ["microsoft/ms_marco"] and front["library_name"] == "sentence-transformers"
    assert front["pipeline_tag"] == "text-ranking"
    assert front["tags"][:4] == ["sentence-transformers", "cross-encoder", "generated_from_trainer", "dataset_size:63"]
    assert {"synthrank", "human"} <= set(front["tags"])
    # the model-index the Hub reads: huggingface_hub parses it into one result per collection and metric
    from huggingface_hub import ModelCard

    results = ModelCard(text).data.eval_results
    got = {(r.dataset_name, r.dataset_type, r.dataset_split, r.metric_type, r.metric_value) for r in results}
    assert got == {
        ("cook/test", "cook", "test", "ndcg@10", 0.6515),
        ("cook/test", "cook", "test", "mrr@10", 0.5),
        ("far/test", "org/far-collection", "test", "ndcg@10", 0.41),
    }
    body = text.split("---\n", 2)[2]
    assert "| training steps | 8 |" in body and "| training final loss | 0.25 |" in body
    assert '"learning_rate": 2e-05' in body and "| cook/test | 0.6515 | 0.5000 |" in body
    assert (
        "**ms-marco** (https://microsoft.github.io/msmarco/)" in body and "written by `gpt`: **openai-terms**" in body
    )
    assert "@thesis{doe2026thesis," in body


def test_checkpoint_card_without_training_record(workdir: Path) -> None:
    checkpoint(workdir, training=False)
    body = (workdir / "ckpt/README.md").read_text()
    assert "training steps" not in body and bundle.read_metadata(workdir / "ckpt")["training"] is None


def test_checkpoint_card_needs_the_base_models_hub_id_and_licence(workdir: Path) -> None:
    no_id = {**SPEC, "base_model_card": {"license": "mit"}}
    with pytest.raises(
        SynthrankError,
        match=r"^config: architectures\.ce\.base_model_card\.hub_id: missing \(base_model 'pypi:some/model'",
    ):
        checkpoint(workdir, spec=no_id)
    hub = {**SPEC, "base_model": "org/base", "base_model_card": {"license": "mit"}}
    checkpoint(workdir, spec=hub)  # a Hub id base model is its own
    assert yaml.safe_load((workdir / "ckpt/README.md").read_text().split("---\n", 2)[1])["base_model"] == "org/base"
    no_licence = {k: v for k, v in SPEC.items() if k != "base_model_card"}
    with pytest.raises(SynthrankError, match=r"^config: architectures\.ce\.base_model_card\.license: missing"):
        checkpoint(workdir, spec=no_licence)


def test_checkpoint_card_needs_its_metric_files(workdir: Path) -> None:
    checkpoint(workdir)
    write(METRICS["far/test"], json.dumps({"run": "x"}))
    with pytest.raises(SynthrankError, match=r"far/test/ce/cook/human/seed2.json: no 'metrics'"):
        bundle.write_checkpoint_bundle(
            "again", "results/models/ce/cook/human/seed2", "results/trainsets/cook/human.jsonl",
            "results/release/cook/human", arch="ce", arch_spec=SPEC, corpus="human", paradigm="human",
            train_dataset="cook", seed=2, metrics=METRICS, thesis=THESIS,
        )  # fmt: skip


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
