"""Seed averaging, ranx's paired test and Holm's correction on small synthetic metric files."""

from pathlib import Path

import numpy as np
import pytest
from scipy.stats import ttest_rel

from synthrank.errors import SynthrankError
from synthrank.io import write_json
from synthrank.significance import holm, read_tests, significance_tests, write_tests

QUERIES = [f"q{i}" for i in range(8)]
HUMAN = {1: [0.2, 0.4, 0.5, 0.1, 0.9, 0.3, 0.6, 0.5], 2: [0.4, 0.4, 0.3, 0.1, 0.7, 0.5, 0.6, 0.3]}
BETTER = {1: [0.6, 0.5, 0.8, 0.4, 1.0, 0.6, 0.9, 0.7], 2: [0.8, 0.7, 0.8, 0.3, 1.0, 0.8, 0.7, 0.9]}
SAME = HUMAN


def entries(tmp_path: Path, systems: dict, collection: str = "c/test") -> list[dict]:
    out = []
    for corpus, seeds in systems.items():
        for seed, values in seeds.items():
            path = tmp_path / f"{corpus}-{seed}-{collection.replace('/', '_')}.json"
            per_query = dict(zip(QUERIES, values, strict=True))
            write_json(path, {"metrics": {"ndcg@10": float(np.mean(values))}, "per_query": {"ndcg@10": per_query}})
            out.append(
                {
                    "path": str(path),
                    "arch": "ce",
                    "corpus": corpus,
                    "seed": seed,
                    "collection": collection,
                    "metric": "ndcg@10",
                }
            )
    return out


def test_holm_matches_hand_computed_values() -> None:
    # sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 = 0.02, 0.03, 0.06, 0.04 -> running max
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.9]) == [1.0, 1.0]  # capped
    adjusted = holm([float("nan"), 0.02])
    assert np.isnan(adjusted[0]) and adjusted[1] == pytest.approx(0.02)  # NaN does not count
    assert holm([]) == []


def test_paired_test_on_seed_averaged_scores(tmp_path: Path) -> None:
    refs = {"better": "human", "same": "human"}
    tests = significance_tests(entries(tmp_path, {"human": HUMAN, "better": BETTER, "same": SAME}), refs)
    assert list(tests["corpus"]) == ["better", "same"]
    better = tests.set_index("corpus").loc["better"]
    human_avg = np.mean([HUMAN[1], HUMAN[2]], axis=0)
    better_avg = np.mean([BETTER[1], BETTER[2]], axis=0)
    assert better["p_value"] == pytest.approx(ttest_rel(human_avg, better_avg).pvalue)
    assert better["difference"] == pytest.approx(better_avg.mean() - human_avg.mean())
    assert (better["queries"], better["seeds"], better["reference"]) == (8, 2, "human")
    same = tests.set_index("corpus").loc["same"]
    assert same["p_value"] == 1.0 and not same["significant"]
    # Holm over the family (ce on c/test): two tests
    assert better["p_adjusted"] == pytest.approx(min(1.0, 2 * better["p_value"]))
    assert bool(better["significant"]) == (better["p_adjusted"] < 0.05)
    assert better["p_adjusted"] < 0.05


def test_families_are_per_collection(tmp_path: Path) -> None:
    both = entries(tmp_path, {"human": HUMAN, "better": BETTER}, "a/test") + entries(
        tmp_path, {"human": HUMAN, "better": BETTER}, "b/test"
    )
    tests = significance_tests(both, {"better": "human"})
    assert len(tests) == 2 and (tests["p_adjusted"] == tests["p_value"]).all()  # one test per family
    uncorrected = significance_tests(both, {"better": "human"}, correction="none", alpha=1e-9)
    assert not uncorrected["significant"].any()


def test_untested_corpora_and_round_trip(tmp_path: Path) -> None:
    tests = significance_tests(entries(tmp_path, {"human": HUMAN, "other": BETTER}), {"other": None})
    assert tests.empty
    write_tests(tests, str(tmp_path / "t.csv"))
    assert read_tests([str(tmp_path / "t.csv")]).empty
    tests = significance_tests(entries(tmp_path, {"human": HUMAN, "better": BETTER}), {"better": "human"})
    write_tests(tests, str(tmp_path / "t.csv"))
    again = read_tests([str(tmp_path / "t.csv")])
    assert again.loc[0, "p_value"] == pytest.approx(tests.loc[0, "p_value"], rel=1e-5)
    assert bool(again.loc[0, "significant"]) == bool(tests.loc[0, "significant"])


def test_mismatched_queries_fail_in_one_line(tmp_path: Path) -> None:
    items = entries(tmp_path, {"human": HUMAN, "better": BETTER})
    write_json(items[-1]["path"], {"per_query": {"ndcg@10": {"q0": 0.5}}})
    with pytest.raises(SynthrankError, match="seeds' metric files cover different queries"):
        significance_tests(items, {"better": "human"})
    write_json(items[-1]["path"], {"metrics": {}})
    with pytest.raises(SynthrankError, match="no per-query values for ndcg@10"):
        significance_tests(items, {"better": "human"})
    with pytest.raises(SynthrankError, match="not one of student, fisher"):
        significance_tests(entries(tmp_path, {"human": HUMAN, "better": BETTER}), {"better": "human"}, stat_test="z")
