"""Expected-score checks: pass, fail loudly one line per mismatch, config cross-checks."""

from copy import deepcopy
from pathlib import Path

import pytest
import yaml

from synthrank import config
from synthrank.checks import check_bm25, run_check
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
