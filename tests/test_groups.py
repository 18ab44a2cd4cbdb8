"""Groups of evaluation collections reported as one column (synthrank.groups): BEIR's CQADupStack."""

from copy import deepcopy
from pathlib import Path

import pytest
import yaml

from synthrank import config, grid
from synthrank.errors import SynthrankError
from synthrank.groups import average_metric_files, group_members, reported_collections
from synthrank.io import write_json
from synthrank.report import collect_scores, per_seed_table
from synthrank.significance import significance_tests

from .conftest import REPO

EVALUATION = {
    "in_domain": [{"dataset": "ms", "split": "dev", "metric": "mrr@10"}],
    "out_of_domain": [
        {"dataset": "scifact", "split": "test", "metric": "ndcg@10"},
        {"dataset": "cqa-a", "split": "test", "metric": "ndcg@10", "group": "cqa"},
        {"dataset": "quora", "split": "test", "metric": "ndcg@10"},
        {"dataset": "cqa-b", "split": "test", "metric": "ndcg@10", "group": "cqa"},
    ],
}


def test_a_group_is_one_column_at_its_first_members_place() -> None:
    columns = [(d, f"{c['dataset']}/{c['split']}") for d, c in reported_collections(EVALUATION)]
    assert columns == [
        ("in_domain", "ms/dev"),
        ("out_of_domain", "scifact/test"),
        ("out_of_domain", "cqa/test"),
        ("out_of_domain", "quora/test"),
    ]
    group = reported_collections(EVALUATION)[2][1]
    assert group["metric"] == "ndcg@10" and "group" not in group
    assert group_members(EVALUATION) == {"cqa/test": ["cqa-a/test", "cqa-b/test"]}
    # the tables' columns (grid.table_spec) are the reported ones
    assert grid._collections({"evaluation": EVALUATION}, "out_of_domain") == ("scifact/test", "cqa/test", "quora/test")


def member(path: Path, per_query: dict[str, float], extra: dict | None = None, **more: dict) -> str:
    values = {"ndcg@10": per_query, **more}
    write_json(
        path,
        {
            "num_queries": len(per_query),
            "num_queries_answered": len(per_query),
            "relevance_level": 1,
            "rerank_depth": None,
            "not_reported": {},
            "metrics": {m: round(sum(v.values()) / len(v), 6) for m, v in values.items()},
            "per_query": values,
            **(extra or {}),
        },
    )
    return str(path)


def test_group_metrics_are_the_mean_of_the_members_means(tmp_path: Path) -> None:
    # forum a: 1 query (1.0); forum b: 3 queries (mean 0.2): BEIR's mean is 0.6, the pooled one 0.4
    files = {
        "cqa-a/test": member(tmp_path / "a.json", {"1": 1.0}, recall={"1": 1.0}),
        "cqa-b/test": member(
            tmp_path / "b.json", {"1": 0.0, "2": 0.2, "3": 0.4}, recall={"1": 0.5, "2": 0.5, "3": 0.5}
        ),
    }
    out = average_metric_files(files, "cqa/test")
    assert out["metrics"] == {"ndcg@10": pytest.approx(0.6), "recall": pytest.approx(0.75)}
    assert out["num_queries"] == 4 and out["members"] == files
    # per-query values: one key per member query, weighted so that their mean is the group's
    per_query = out["per_query"]["ndcg@10"]
    assert set(per_query) == {"cqa-a/1", "cqa-b/1", "cqa-b/2", "cqa-b/3"}
    assert sum(per_query.values()) / len(per_query) == pytest.approx(out["metrics"]["ndcg@10"])
    assert out["per_query_weights"] == {"cqa-a/test": 2.0, "cqa-b/test": pytest.approx(2 / 3)}
    assert per_query["cqa-b/2"] / out["per_query_weights"]["cqa-b/test"] == pytest.approx(0.2)  # raw value back


def test_a_measure_a_member_lacks_is_not_reported(tmp_path: Path) -> None:
    reranked = {"not_reported": {"recall": "beyond the reranking depth (2)"}}
    files = {
        "cqa-a/test": member(tmp_path / "a.json", {"1": 1.0}, reranked),
        "cqa-b/test": member(tmp_path / "b.json", {"1": 0.5}, recall={"1": 1.0}),
    }
    out = average_metric_files(files, "cqa/test")
    assert set(out["metrics"]) == set(out["per_query"]) == {"ndcg@10"}
    assert out["not_reported"] == {"recall": "cqa-a/test: beyond the reranking depth (2)"}
    write_json(tmp_path / "c.json", {"metrics": {"ndcg@10": 0.5}, "per_query": {}})
    with pytest.raises(SynthrankError, match=r"c\.json: per-query values missing"):
        average_metric_files({**files, "cqa-c/test": str(tmp_path / "c.json")}, "cqa/test")


def test_tables_and_tests_read_a_group_as_one_collection(tmp_path: Path) -> None:
    """The group's metric file goes through the unchanged report and significance code: one
    column, counted once in the OOD average (BEIR's), and a paired test over its queries."""
    entries = []
    for corpus, shift in (("human", 0.0), ("gen", 0.1)):
        a = member(tmp_path / f"{corpus}-a.json", {"1": 0.5 + shift})
        b = member(tmp_path / f"{corpus}-b.json", {"1": 0.1 + shift, "2": 0.3 + shift, "3": 0.2 + shift})
        write_json(tmp_path / f"{corpus}-cqa.json", average_metric_files({"cqa-a/t": a, "cqa-b/t": b}, "cqa/t"))
        other = member(tmp_path / f"{corpus}-x.json", {"1": 0.9, "2": 0.7})
        labels = {"arch": "ce", "corpus": corpus, "seed": 1, "domain": "out_of_domain", "metric": "ndcg@10"}
        entries += [
            {**labels, "path": str(tmp_path / f"{corpus}-cqa.json"), "collection": "cqa/t"},
            {**labels, "path": other, "collection": "x/t"},
        ]
    table = per_seed_table(collect_scores(entries), ["cqa/t", "x/t"], ["OOD"])
    human = table.loc[("ce", "human", 1)]
    assert human["cqa/t"] == pytest.approx((0.5 + 0.2) / 2)  # forums' mean, not the 4 queries' 0.275
    assert human["OOD avg"] == pytest.approx((0.35 + 0.8) / 2)  # the group counts once
    tests = significance_tests(entries, {"gen": "human"})
    row = tests[tests["collection"] == "cqa/t"].iloc[0]
    assert row["queries"] == 4 and row["difference"] == pytest.approx(0.1)


def thesis_like() -> dict:
    cfg = yaml.safe_load((REPO / "config" / "demo.yaml").read_text(encoding="utf-8"))
    cfg["datasets"]["demo-astronomy-2"] = deepcopy(cfg["datasets"]["demo-astronomy"])
    ood = cfg["evaluation"]["out_of_domain"]
    ood[0]["group"] = "space"
    ood.append({**ood[0], "dataset": "demo-astronomy-2"})
    return cfg


def check(cfg: dict) -> str:
    with pytest.raises(SynthrankError) as info:
        config.validate(cfg, "c")
    return str(info.value)


def test_config_checks_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    good = thesis_like()
    good["expected"] = {"bm25": [{"k1": 0.9, "b": 0.4, "scores": {"space/test": {"ndcg@10": 0.5}}}]}
    config.validate(deepcopy(good))  # a group's column may carry expected scores
    bad = deepcopy(good)
    bad["evaluation"]["out_of_domain"][1]["metric"] = "mrr@10"
    assert check(bad) == (
        "c: evaluation.out_of_domain.1.group: metric 'mrr@10' differs from 'ndcg@10' of "
        "evaluation.out_of_domain.0, the first collection of group 'space' (a group's members are one column)"
    )
    bad = deepcopy(good)
    bad["evaluation"]["out_of_domain"][1]["group"] = "demo-cooking"
    assert "group: 'demo-cooking' is a dataset's name" in check(bad)
    bad = deepcopy(good)
    del bad["evaluation"]["out_of_domain"][1]
    assert check(bad) == "c: evaluation: group 'space' has one collection; a group averages several"
    bad = deepcopy(good)
    bad["evaluation"]["in_domain"].append({**bad["evaluation"]["out_of_domain"].pop(1)})
    assert "group 'space' is also in in_domain (evaluation.in_domain.1)" in check(bad)


def test_the_thesis_config_reports_cqadupstack_as_one_column() -> None:
    cfg = config.load(REPO / "config" / "config.yaml")
    members = group_members(cfg["evaluation"])
    assert list(members) == ["beir-cqadupstack/test"] and len(members["beir-cqadupstack/test"]) == 12
    columns = grid._collections(cfg, "out_of_domain")
    assert len(columns) == 14 and "beir-cqadupstack/test" in columns  # BEIR's 14 public sets: 14 columns
    expected = cfg["expected"]["bm25"][0]["scores"]
    forums = [expected[m]["ndcg@10"] for m in members["beir-cqadupstack/test"]]
    assert expected["beir-cqadupstack/test"]["ndcg@10"] == pytest.approx(sum(forums) / 12, abs=1e-5)
