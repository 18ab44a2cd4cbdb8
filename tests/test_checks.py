"""Expected-score checks: pass, fail loudly one line per mismatch, config cross-checks."""

from copy import deepcopy
from pathlib import Path

import pytest
import yaml

from synthrank import config
from synthrank.checks import (
    check_bm25,
    check_dense,
    dense_applies,
    dense_checked,
    dense_settings,
    run_check,
    run_dense_check,
)
from synthrank.errors import SynthrankError
from synthrank.io import read_json, write_json

REPO = Path(__file__).resolve().parent.parent
EXPECTED = [
    {"k1": 0.9, "b": 0.4, "tolerance": 1e-4, "source": "ref", "scores": {"a/test": {"ndcg@10": 0.4723, "map": 0.4291}}},
    {"k1": 0.82, "b": 0.68, "scores": {"a/test": {"ndcg@10": 0.5}}},
]
BM25 = {"k1": 0.9, "b": 0.4}


def metrics(tmp_path: Path, ndcg: float, map_: float = 0.42912) -> dict[str, str]:
    write_json(tmp_path / "a.json", {"metrics": {"ndcg@10": ndcg, "map": map_}})
    return {"a/test": str(tmp_path / "a.json")}


def test_matching_scores_pass(tmp_path: Path) -> None:
    out = tmp_path / "check.json"
    run_check(EXPECTED, BM25, metrics(tmp_path, 0.47234), str(out))
    record = read_json(out)
    assert [c["ok"] for c in record["checked"]] == [True, True]
    assert record["not_applicable"] == [{"k1": 0.82, "b": 0.68, "collections": ["a/test"], "source": ""}]


def test_each_mismatch_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(SynthrankError) as info:
        check_bm25(EXPECTED, BM25, metrics(tmp_path, 0.4512, 0.40))
    lines = str(info.value).splitlines()
    assert lines[0] == "2 of 2 BM25 scores differ from the expected values:"
    assert lines[1].strip().startswith("BM25 a/test ndcg@10: measured 0.4512, expected 0.4723 ± 0.0001 (k1=0.9, b=0.4;")
    assert lines[2].strip().startswith("BM25 a/test map: measured 0.4000, expected 0.4291")


def test_expectations_for_other_parameters_only_are_an_error(tmp_path: Path) -> None:
    with pytest.raises(SynthrankError, match=r"no expected scores for the configured BM25 \(k1=1.2, b=0.75\)"):
        check_bm25(EXPECTED, {"k1": 1.2, "b": 0.75}, metrics(tmp_path, 0.47))


def test_config_cross_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    demo = yaml.safe_load((REPO / "config" / "demo.yaml").read_text())
    good = deepcopy(demo)
    good["expected"] = {"bm25": [{"k1": 0.9, "b": 0.4, "scores": {"demo-cooking/test": {"ndcg@10": 0.8}}}]}
    assert config.validate(good)["expected"]["bm25"][0]["tolerance"] == 1e-4
    bad = deepcopy(good)
    bad["expected"]["bm25"][0]["scores"] = {"demo-cooking/train": {"ndcg@10": 0.8}}
    with pytest.raises(
        SynthrankError, match=r"^c: expected.bm25.0.scores.demo-cooking/train: not an evaluation collection"
    ):
        config.validate(bad, "c")
    bad["expected"]["bm25"][0]["scores"] = {"demo-cooking/test": {"p@5": 0.8}}
    with pytest.raises(SynthrankError, match=r"scores.demo-cooking/test.p@5: not in evaluation.metrics"):
        config.validate(bad, "c")


# ---------------------------------------------------------------- untuned bi-encoders (expected.dense)

E5 = {"base_model": "org/e5", "query_prefix": "query: ", "passage_prefix": "passage: ", "max_length": 512}
DENSE = [
    {**E5, "tolerance": 0.01, "source": "card", "scores": {"a/test": {"ndcg@10": 0.45}, "g/test": {"ndcg@10": 0.38}}},
    {**E5, "base_model": "org/other", "scores": {"a/test": {"ndcg@10": 0.9}}},
]
BI = {"kind": "bi-encoder", "untuned_baseline": True, "precision": "fp16", **E5}


def dense_files(tmp_path: Path, a: float, g: float) -> dict[str, dict[str, str]]:
    write_json(tmp_path / "a.json", {"metrics": {"ndcg@10": a}})
    write_json(tmp_path / "g.json", {"metrics": {"ndcg@10": g}})
    return {"bi": {"a/test": str(tmp_path / "a.json"), "g/test": str(tmp_path / "g.json")}}


def test_dense_expectations_apply_to_untuned_bi_encoders_with_their_settings() -> None:
    archs = {
        "bi": BI,
        "bi-256": {**BI, "max_length": 256},  # another max length: not the published setting
        "bi-plain": {**BI, "query_prefix": ""},
        "bi-tuned-only": {**BI, "untuned_baseline": False},
        "ce": {**BI, "kind": "cross-encoder"},
    }
    assert dense_checked(DENSE, archs) == {"bi": ["a/test", "g/test"]}
    settings = dense_settings(BI)
    assert settings == {**E5, "precision": "fp16"}
    assert dense_applies({k: v for k, v in DENSE[0].items() if k != "max_length"}, {**settings, "max_length": 256})


def test_dense_scores_within_tolerance_pass(tmp_path: Path) -> None:
    out = tmp_path / "dense.json"
    run_dense_check(DENSE, {"bi": dense_settings(BI)}, dense_files(tmp_path, 0.4541, 0.3710), str(out))
    record = read_json(out)
    assert [(c["arch"], c["collection"], c["ok"]) for c in record["checked"]] == [
        ("bi", "a/test", True),
        ("bi", "g/test", True),
    ]
    assert record["checked"][0]["tolerance"] == 0.01 and record["checked"][0]["source"] == "card"
    assert record["not_applicable"] == [{**E5, "base_model": "org/other", "collections": ["a/test"], "source": ""}]


def test_each_dense_mismatch_is_one_line(tmp_path: Path) -> None:
    """A broken dense path (here: a score far below the published one) fails the check."""
    with pytest.raises(SynthrankError) as info:
        check_dense(DENSE, {"bi": dense_settings(BI)}, dense_files(tmp_path, 0.30, 0.385))
    lines = str(info.value).splitlines()
    assert lines[0] == "1 of 2 untuned bi-encoder scores differ from the expected values:"
    assert (
        lines[1]
        .strip()
        .startswith("bi a/test ndcg@10: measured 0.3000, expected 0.4500 ± 0.01 (untuned org/e5, max_length 512, fp16;")
    )


def test_dense_expectations_none_of_which_apply_are_an_error(tmp_path: Path) -> None:
    with pytest.raises(SynthrankError, match=r"^expected.dense: no bi-encoder architecture with untuned_baseline"):
        check_dense(DENSE, {"bi": {**dense_settings(BI), "max_length": 256}}, dense_files(tmp_path, 0.45, 0.38))


def test_dense_config_cross_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    demo = yaml.safe_load((REPO / "config" / "demo.yaml").read_text())
    good = deepcopy(demo)
    base = demo["architectures"]["bi-encoder"]["base_model"]
    good["expected"] = {"dense": [{"base_model": base, "scores": {"demo-cooking/test": {"ndcg@10": 0.8}}}]}
    entry = config.validate(good)["expected"]["dense"][0]
    assert (entry["tolerance"], entry["query_prefix"], entry["passage_prefix"]) == (0.01, "", "")
    bad = deepcopy(good)
    bad["expected"]["dense"][0]["scores"] = {"demo-cooking/train": {"ndcg@10": 0.8}}
    with pytest.raises(SynthrankError, match=r"^c: expected.dense.0.scores.demo-cooking/train: not an evaluation"):
        config.validate(bad, "c")


def test_the_thesis_config_checks_the_untuned_e5_everywhere_but_quora() -> None:
    cfg = config.load(REPO / "config" / "config.yaml")
    checked = dense_checked(cfg["expected"]["dense"], cfg["architectures"])
    assert list(checked) == ["bi-encoder"]
    assert len(checked["bi-encoder"]) == 14 and "beir-quora/test" not in checked["bi-encoder"]
    assert "msmarco-passage/dev" in checked["bi-encoder"] and "beir-cqadupstack/test" in checked["bi-encoder"]
    bi = cfg["architectures"]["bi-encoder"]
    assert (bi["query_prefix"], bi["passage_prefix"], bi["max_length"]) == ("query: ", "passage: ", 512)
