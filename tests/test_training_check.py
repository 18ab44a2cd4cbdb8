"""Did each trained model learn? Floor tests of the table rows, the per-model training check and
the tables' mark, on small synthetic metric files: a model above its floor and one that is not."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synthrank.errors import SynthrankError
from synthrank.grid import floor_of
from synthrank.io import read_json, write_json
from synthrank.models import TRAINING_RECORD
from synthrank.report import effectiveness_table, write_effectiveness_table, write_overview_table
from synthrank.significance import paired_test
from synthrank.training_check import (
    floor_caption,
    floor_tests,
    model_checks,
    not_above_floor,
    read_floor_tests,
    write_floor_tests,
    write_training_check,
)

QUERIES = [f"q{i}" for i in range(8)]
FLOOR = [0.30, 0.25, 0.40, 0.20, 0.35, 0.30, 0.28, 0.33]
# clearly above the floor on every query (learned), and within noise of it (did not)
LEARNED = {1: [0.70, 0.62, 0.81, 0.55, 0.77, 0.69, 0.66, 0.72], 2: [0.68, 0.60, 0.79, 0.58, 0.80, 0.65, 0.70, 0.70]}
FLAT = {1: [0.32, 0.22, 0.41, 0.19, 0.36, 0.28, 0.30, 0.31], 2: [0.29, 0.27, 0.38, 0.22, 0.33, 0.32, 0.27, 0.35]}
BM25 = [0.5] * 8
COLLECTION = "cook/test"


def metric_file(path: Path, values: list[float]) -> str:
    per_query = dict(zip(QUERIES, values, strict=True))
    write_json(path, {"metrics": {"ndcg@10": float(np.mean(values))}, "per_query": {"ndcg@10": per_query}})
    return str(path)


def entry(path: str, corpus: str, seed: int, arch: str = "ce") -> dict:
    return {"path": path, "arch": arch, "corpus": corpus, "seed": seed, "collection": COLLECTION, "metric": "ndcg@10"}


@pytest.fixture
def grid(tmp_path: Path) -> dict:
    entries = [entry(metric_file(tmp_path / "random.json", FLOOR), "random", 0)]
    models = []
    for corpus, seeds in {"human": LEARNED, "zero-shot": FLAT}.items():
        for seed, values in seeds.items():
            path = metric_file(tmp_path / f"{corpus}-{seed}.json", values)
            entries.append(entry(path, corpus, seed))
            folder = tmp_path / "models" / corpus / f"seed{seed}"
            folder.mkdir(parents=True)
            final = 0.4 if corpus == "human" else 1.3
            write_json(
                folder / TRAINING_RECORD,
                {
                    "steps": 40,
                    "rows_seen": 160,
                    "passes": 2.5,
                    "loss": "bce",
                    "final_loss": final,
                    "constant_loss": 1.2130,
                    "final_below_constant": final < 1.2130,
                },
            )
            models.append(
                {
                    "arch": "ce",
                    "corpus": corpus,
                    "seed": seed,
                    "model": str(folder),
                    "floor": "random",
                    "collections": [
                        {
                            "collection": COLLECTION,
                            "metric": "ndcg@10",
                            "path": path,
                            "floor_path": str(tmp_path / "random.json"),
                            "bm25_path": metric_file(tmp_path / "bm25.json", BM25),
                        }
                    ],
                }
            )
    return {"entries": entries, "models": models, "root": tmp_path}


def test_floor_of_each_kind() -> None:
    assert floor_of({"kind": "cross-encoder", "random_baseline": True}) == "random"
    assert floor_of({"kind": "cross-encoder", "random_baseline": False}) is None
    assert floor_of({"kind": "bi-encoder", "untuned_baseline": True}) == "untuned"
    assert floor_of({"kind": "bi-encoder"}) is None


def test_floor_tests_find_the_row_that_did_not_learn(grid: dict, tmp_path: Path) -> None:
    tests = floor_tests(grid["entries"], {"ce": "random"})
    by_corpus = tests.set_index("corpus")
    assert set(by_corpus.index) == {"human", "zero-shot"}  # the floor is no row of its own test
    assert by_corpus.loc["human", "above_floor"] and not by_corpus.loc["zero-shot", "above_floor"]
    # the numbers: seed-averaged per-query scores against the floor's, ranx's paired t-test
    human = np.mean([LEARNED[1], LEARNED[2]], axis=0)
    assert by_corpus.loc["human", "difference"] == pytest.approx(human.mean() - np.mean(FLOOR))
    assert by_corpus.loc["human", "p_value"] == pytest.approx(
        paired_test(np.array(FLOOR), human, "ndcg@10", "student", 0.05)
    )
    assert by_corpus.loc["human", "seeds"] == 2 and by_corpus.loc["human", "queries"] == 8
    write_floor_tests(tests, str(tmp_path / "floor.csv"))
    again = read_floor_tests([str(tmp_path / "floor.csv")])
    assert not_above_floor(again) == {("ce", "zero-shot")}
    assert "†: not significantly above its floor (a random order of its candidates)" in floor_caption(again, {})


def test_a_row_below_its_floor_is_not_above_it(grid: dict) -> None:
    """Significantly *worse* than the floor is not above it either."""
    entries = [e for e in grid["entries"] if e["corpus"] != "human"]
    worse = [entry(metric_file(grid["root"] / f"worse-{s}.json", [v - 0.2 for v in FLOOR]), "worse", s) for s in (1, 2)]
    tests = floor_tests(entries + worse, {"ce": "random"}).set_index("corpus")
    assert tests.loc["worse", "p_value"] < 0.05 and not tests.loc["worse", "above_floor"]


def test_without_a_floor_nothing_is_tested_or_marked(grid: dict) -> None:
    entries = [e for e in grid["entries"] if e["corpus"] != "random"]
    tests = floor_tests(entries, {"ce": None})
    assert (tests["floor"] == "").all() and tests["above_floor"].isna().all()
    assert not_above_floor(tests) == set() and floor_caption(tests, {}) == ""
    with pytest.raises(SynthrankError, match=r"ce/human on cook/test: no metric file of its floor ce/random"):
        floor_tests(entries, {"ce": "random"})


def test_each_model_is_checked_on_its_own(grid: dict, tmp_path: Path) -> None:
    checks = model_checks(grid["models"])
    verdicts = {(c["corpus"], c["seed"]): c["verdict"] for c in checks}
    assert verdicts == {
        ("human", 1): "above its floor",
        ("human", 2): "above its floor",
        ("zero-shot", 1): "not significantly above its floor",
        ("zero-shot", 2): "not significantly above its floor",
    }
    first = checks[0]["collections"][0]
    assert first["score"] == pytest.approx(np.mean(LEARNED[1])) and first["floor"] == pytest.approx(np.mean(FLOOR))
    assert first["bm25"] == pytest.approx(0.5)
    assert checks[2]["final_below_constant"] is False and checks[0]["steps"] == 40
    write_training_check(checks, str(tmp_path / "t.json"), str(tmp_path / "t.md"), {"test": "student", "alpha": 0.05})
    data = read_json(tmp_path / "t.json")
    assert data["summary"] == {
        "models": 4,
        "above_floor": 2,
        "not_above_floor": 2,
        "no_floor": 0,
        "loss_not_below_constant": 2,
    }
    lines = (tmp_path / "t.md").read_text().splitlines()
    assert len(lines) == 2 + 4  # header, rule, one line per model
    assert "ce / zero-shot / seed1 (floor: random)" in lines[4]
    assert "not significantly above its floor; loss not below constant" in lines[4]
    assert "cook/test ndcg@10 0.690 vs 0.301" in lines[2] and "BM25 0.500" in lines[2]


def test_a_model_without_its_training_record_is_named(grid: dict) -> None:
    model = grid["models"][0]
    (Path(model["model"]) / TRAINING_RECORD).unlink()
    with pytest.raises(SynthrankError, match=r"training.json: no training record \(retrain the model\)"):
        model_checks([model])


def test_no_floor_configured_is_said(grid: dict) -> None:
    model = dict(grid["models"][0], floor=None)
    model["collections"] = [dict(model["collections"][0], floor_path=None)]
    (check,) = model_checks([model])
    assert check["learned"] is None and check["verdict"] == "no floor configured"


def test_tables_mark_the_row_not_above_its_floor(tmp_path: Path) -> None:
    scores = pd.DataFrame(
        [
            {
                "arch": a,
                "corpus": c,
                "seed": s,
                "collection": COLLECTION,
                "domain": "in_domain",
                "metric": "ndcg@10",
                "score": v,
            }
            for a, c, s, v in [
                ("ce", "random", 0, 0.3),
                ("ce", "human", 1, 0.7),
                ("ce", "human", 2, 0.7),
                ("ce", "zero-shot", 1, 0.3),
                ("ce", "zero-shot", 2, 0.32),
            ]
        ]
    )
    rows = [("ce", "random"), ("ce", "human"), ("ce", "zero-shot")]
    empty_tests = pd.DataFrame(columns=["arch", "corpus", "collection", "significant", "difference", "p_adjusted"])
    table = effectiveness_table(scores, empty_tests, rows, [COLLECTION], ["ID"])
    out = {k: str(tmp_path / f"t.{k}") for k in ("csv", "markdown", "latex", "html")}
    write_effectiveness_table(table, {}, out, "Cap.", seeds=2, not_above_floor={("ce", "zero-shot")})
    md = Path(out["markdown"]).read_text()
    assert "ce / zero-shot †" in md and "ce / human †" not in md
    csv = pd.read_csv(out["csv"], index_col=0)
    assert csv.loc["ce / zero-shot", "below floor"] == "yes" and csv.loc["ce / human", "below floor"] == "no"
    assert "ce / zero-shot †" in Path(out["latex"]).read_text()
    means = table["means"][[COLLECTION]]
    write_overview_table(means, table["stds"][[COLLECTION]], out, "Cap.", 2, {("ce", "zero-shot")})
    assert "ce / zero-shot †" in Path(out["markdown"]).read_text()
    assert "ce / zero-shot" in pd.read_csv(out["csv"], index_col=0).index  # the CSV keeps the plain label
