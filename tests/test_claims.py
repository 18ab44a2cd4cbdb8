"""The claims' tests (synthrank.claims): the bootstrap over seeds and queries, the average test and
the equivalence test against hand-computed bootstrap distributions, and the marks they give."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import bootstrap as scipy_bootstrap

from synthrank import grid
from synthrank.claims import EQUIVALENT, claims_tests, compare, domain_units, read_claims, write_claims
from synthrank.errors import SynthrankError
from synthrank.io import write_json
from synthrank.report import DOWN, UP, effectiveness_table, write_effectiveness_table

RESAMPLES = 20_000  # the bootstrap's frequencies within about +-0.01 of their probabilities (3 sd)


def entries(tmp_path: Path, systems: dict, arch: str = "ce") -> list[dict]:
    """Metric files: ``systems`` corpus -> collection -> (domain, seed -> per-query values)."""
    out = []
    for corpus, collections in systems.items():
        for collection, (domain, seeds) in collections.items():
            for seed, values in seeds.items():
                path = tmp_path / f"{arch}-{corpus}-{seed}-{collection.replace('/', '_')}.json"
                per_query = {f"q{i}": v for i, v in enumerate(values)}
                write_json(path, {"metrics": {"ndcg@10": float(np.mean(values))}, "per_query": {"ndcg@10": per_query}})
                out.append(
                    {
                        "path": str(path),
                        "arch": arch,
                        "corpus": corpus,
                        "seed": seed,
                        "collection": collection,
                        "domain": domain,
                        "metric": "ndcg@10",
                    }
                )
    return out


def row(table: pd.DataFrame, corpus: str, unit: str, kind: str = "size") -> pd.Series:
    match = table[(table["corpus"] == corpus) & (table["unit"] == unit) & (table["kind"] == kind)]
    assert len(match) == 1, (corpus, unit, kind)
    return match.iloc[0]


def test_average_and_equivalence_tests_match_hand_computed_bootstrap(tmp_path: Path) -> None:
    # Two ID collections, one seed each. a/test: per-query differences (gen - human) -0.25 and 0.75;
    # b/test: 0.25 on each of 3 queries. A replicate's ID-average difference is (mean of 2 drawn
    # a-differences + 0.25) / 2, the drawn pair's mean being -0.25, 0.25 or 0.75 with probability
    # 1/4, 1/2, 1/4: the average's bootstrap distribution is 0, 0.25, 0.5 with 1/4, 1/2, 1/4.
    # Observed: (0.25 + 0.25) / 2 = 0.25. Two-sided p = 2 P*(d <= 0) = 0.5; 95% interval [0, 0.5].
    # TOST at margin 0.375: max(P*(d <= -0.375), P*(d >= 0.375)) = max(0, 1/4) = 0.25; at 0.625: both
    # 0, so the p-value is its floor 1 / (resamples + 1).
    systems = {
        "human": {"a/test": ("in_domain", {1: [0.75, 0.25]}), "b/test": ("in_domain", {1: [0.25, 0.25, 0.25]})},
        "gen": {"a/test": ("in_domain", {1: [0.5, 1.0]}), "b/test": ("in_domain", {1: [0.5, 0.5, 0.5]})},
    }
    refs = [("ce", "gen", "human", "size")]
    tests = claims_tests(entries(tmp_path, systems), refs, margin=0.375, resamples=RESAMPLES, seed=1)
    avg = row(tests, "gen", "ID avg")
    assert (avg["collections"], avg["queries"], avg["seeds"], avg["reference_seeds"]) == (2, 5, 1, 1)
    assert avg["mean"] == pytest.approx((0.75 + 0.5) / 2) and avg["reference_mean"] == pytest.approx((0.5 + 0.25) / 2)
    assert avg["difference"] == pytest.approx(0.25)
    assert avg["p_value"] == pytest.approx(0.5, abs=0.02)
    assert (avg["ci_low"], avg["ci_high"]) == (pytest.approx(0.0), pytest.approx(0.5))
    assert avg["tost_p"] == pytest.approx(0.25, abs=0.01)
    assert not avg["significant"] and not avg["equivalent"]
    # b/test alone: every replicate 0.25, above 0 and outside +-0.375's complement: p at its floor
    b = row(tests, "gen", "b/test")
    assert b["p_value"] == pytest.approx(2 / (RESAMPLES + 1)) and b["significant"]
    assert b["tost_p"] == pytest.approx(1 / (RESAMPLES + 1)) and b["equivalent"]  # and equivalent at 0.375
    wide = claims_tests(entries(tmp_path, systems), refs, margin=0.625, resamples=RESAMPLES, seed=1)
    assert row(wide, "gen", "ID avg")["tost_p"] == pytest.approx(1 / (RESAMPLES + 1))
    assert row(wide, "gen", "ID avg")["equivalent"]
    # the same seed, the same numbers (the CSV is byte-reproducible); the CSV reads back alike
    again = claims_tests(entries(tmp_path, systems), refs, margin=0.375, resamples=RESAMPLES, seed=1)
    pd.testing.assert_frame_equal(tests, again)
    write_claims(tests, str(tmp_path / "claims.csv"))
    back = read_claims([str(tmp_path / "claims.csv")])
    assert list(back.columns) == list(tests.columns) and len(back) == len(tests)


def test_seeds_enter_the_bootstrap(tmp_path: Path) -> None:
    # One query, so only the seed draw varies: gen's 2 seeds score 0.25 and 0.75, human's one seed
    # 0.5. A replicate draws 2 of gen's seeds with replacement: mean 0.25, 0.5 or 0.75 with 1/4, 1/2,
    # 1/4, so the difference is -0.25, 0, 0.25: P*(d <= 0) = 3/4, P*(d >= 0) = 3/4, p = 1 (capped).
    # A t-test on seed-averaged scores would see one query and no variance at all.
    systems = {
        "human": {"a/test": ("in_domain", {1: [0.5]})},
        "gen": {"a/test": ("in_domain", {1: [0.25], 2: [0.75]})},
    }
    tests = claims_tests(entries(tmp_path, systems), [("ce", "gen", "human", "size")], resamples=RESAMPLES)
    a = row(tests, "gen", "a/test")
    assert a["difference"] == pytest.approx(0.0) and (a["seeds"], a["reference_seeds"]) == (2, 1)
    assert a["p_value"] == 1.0 and (a["ci_low"], a["ci_high"]) == (pytest.approx(-0.25), pytest.approx(0.25))
    # margin 0.01: P*(d >= 0.01) = 1/4 -> not equivalent
    assert a["tost_p"] == pytest.approx(0.25, abs=0.01) and not a["equivalent"]


def test_interval_agrees_with_scipy_on_one_collection_and_seed() -> None:
    # one seed and one collection: the bootstrap is scipy's paired percentile bootstrap of the mean
    rng = np.random.default_rng(3)
    diff = rng.normal(0.05, 0.2, 200)
    draws = rng.choice(diff, size=(4000, diff.size)).mean(axis=1)
    ours = compare(np.concatenate([[diff.mean()], draws]), alpha=0.05, margin=0.01)
    ref = scipy_bootstrap((diff,), np.mean, n_resamples=4000, method="percentile", random_state=4)
    assert ours["ci_low"] == pytest.approx(ref.confidence_interval.low, abs=0.01)
    assert ours["ci_high"] == pytest.approx(ref.confidence_interval.high, abs=0.01)


def test_better_system_is_marked_and_identical_one_is_equivalent(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    human = rng.uniform(0.2, 0.8, 40)
    seeds = {s: list(human + rng.normal(0, 0.001, 40)) for s in (1, 2)}
    ood = rng.uniform(0.2, 0.8, 30)
    systems = {
        "human": {"id/test": ("in_domain", seeds), "ood/test": ("out_of_domain", {1: list(ood), 2: list(ood)})},
        "better": {
            "id/test": ("in_domain", {s: [v + 0.15 for v in vals] for s, vals in seeds.items()}),
            "ood/test": ("out_of_domain", {1: list(ood + 0.1), 2: list(ood + 0.12)}),
        },
        "same": {"id/test": ("in_domain", seeds), "ood/test": ("out_of_domain", {1: list(ood), 2: list(ood)})},
    }
    metric_entries = entries(tmp_path, systems)
    refs = [("ce", "better", "human", "size"), ("ce", "same", "human", "size")]
    tests = claims_tests(metric_entries, refs, resamples=2000)
    assert row(tests, "better", "OOD avg")["significant"] and not row(tests, "better", "OOD avg")["equivalent"]
    assert row(tests, "same", "ID avg")["equivalent"] and not row(tests, "same", "ID avg")["significant"]
    from synthrank.report import collect_scores

    rows = [("ce", "human"), ("ce", "better"), ("ce", "same")]
    empty = pd.DataFrame(columns=["arch", "corpus", "collection", "significant", "difference", "p_adjusted"])
    table = effectiveness_table(collect_scores(metric_entries), empty, rows, ["id/test"], ["ID", "OOD"], tests)
    assert table["marks"].loc[("ce", "better"), "ID avg"] == UP
    assert table["marks"].loc[("ce", "better"), "OOD avg"] == UP
    assert table["marks"].loc[("ce", "same"), "ID avg"] == EQUIVALENT
    assert table["marks"].loc[("ce", "human"), "ID avg"] == ""
    out = {ext: str(tmp_path / f"t.{ext}") for ext in ("csv", "markdown", "latex", "html")}
    write_effectiveness_table(table, {}, out, "Cap", seeds=2)
    md = Path(out["markdown"]).read_text()
    assert f" {UP} |" in md and f" {EQUIVALENT} |" in md
    assert r"$^{\approx}$" in Path(out["latex"]).read_text()
    csv = pd.read_csv(out["csv"], index_col=0, keep_default_na=False)
    assert csv.loc["ce / same", "ID avg sig"] == "=" and csv.loc["ce / better", "OOD avg sig"] == "+"
    assert DOWN not in md


def test_second_references_get_delta_columns(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    base = rng.uniform(0.2, 0.8, 30)
    systems = {
        "untuned": {"id/test": ("in_domain", {1: list(base)})},
        "human": {"id/test": ("in_domain", {1: list(base + 0.2), 2: list(base + 0.21)})},
    }
    metric_entries = entries(tmp_path, systems, arch="bi")
    tests = claims_tests(metric_entries, [("bi", "human", "untuned", "untuned")], resamples=1000)
    from synthrank.report import collect_scores

    empty = pd.DataFrame(columns=["arch", "corpus", "collection", "significant", "difference", "p_adjusted"])
    rows = [("bi", "untuned"), ("bi", "human")]
    table = effectiveness_table(collect_scores(metric_entries), empty, rows, ["id/test"], ["ID"], tests)
    shown, numbers = table["second"]["ID avg Δ untuned"]
    assert shown[("bi", "human")] == f"+0.205 {UP}" and shown[("bi", "untuned")] == ""
    assert numbers.loc[("bi", "human"), "sig"] == "+"
    out = {ext: str(tmp_path / f"t.{ext}") for ext in ("csv", "markdown", "latex")}
    write_effectiveness_table(table, {}, out, "Cap", seeds=2)
    assert "ID avg Δ untuned" in Path(out["markdown"]).read_text()
    assert r"$\Delta$ untuned" in Path(out["latex"]).read_text()


def test_unseen_average_leaves_out_the_base_models_training_sets() -> None:
    collections = {
        "ms/dev": ("ID", "mrr@10"),
        "beir-nq/test": ("OOD", "ndcg@10"),
        "beir-fiqa/test": ("OOD", "ndcg@10"),
    }
    units = domain_units(collections, ["ms", "beir-nq"])
    assert units["OOD avg"] == (["beir-nq/test", "beir-fiqa/test"], "ndcg@10")
    assert units["OOD avg unseen"] == (["beir-fiqa/test"], "ndcg@10")
    assert "OOD avg unseen" not in domain_units(collections, ["beir-scifact"])


def test_a_missing_reference_is_a_one_line_error(tmp_path: Path) -> None:
    systems = {"gen": {"a/test": ("in_domain", {1: [0.5, 0.25]})}}
    with pytest.raises(SynthrankError, match="ce/human: no metric files"):
        claims_tests(entries(tmp_path, systems), [("ce", "gen", "human", "size")], resamples=100)


def test_references_of_the_thesis_grid() -> None:
    """Second references: the untuned model (bi-encoders), the enriched human corpus, the twin."""
    corpora = {
        "human": {"paradigm": "human", "queries": 10000},
        "human-1k": {"paradigm": "human", "queries": 1000},
        "human-2k": {"paradigm": "human", "queries": 2000},
        "gen": {"paradigm": "zero-shot", "generator": "g", "queries": 10000},
        "human-1k+gen-2k": {
            "paradigm": "mixture",
            "components": [{"corpus": "human", "queries": 1000}, {"corpus": "gen", "queries": 1000, "offset": 1000}],
        },
        "human+gen": {"paradigm": "mixture", "components": ["human", "gen"]},
        "gen-corpus-negatives": {"paradigm": "mixture", "components": ["gen"], "negatives": {"source": "corpus"}},
        "human-corpus-negatives": {"paradigm": "mixture", "components": ["human"], "negatives": {"source": "corpus"}},
        "gen-copy": {"paradigm": "mixture", "components": ["gen"]},  # a copy with the same negatives: no twin
    }
    facets = grid.corpus_facets(corpora, None, "human")
    tests = grid.references(facets, list(corpora), untuned=False)
    assert ("human-1k+gen-2k", "human-2k", "size") in tests
    assert ("human-1k+gen-2k", "human-1k", "enriched") in tests
    assert not [t for t in tests if t[0] == "human+gen" and t[2] == "enriched"]  # its reference is human
    assert ("gen-corpus-negatives", "gen", "twin") in tests
    assert ("human-corpus-negatives", "human", "twin") in tests
    assert not [t for t in tests if t[0] == "gen-copy" and t[2] == "twin"]
    untuned = grid.references(facets, ["human", "gen"], untuned=True)
    assert untuned == [("human", "untuned", "untuned"), ("gen", "human", "size"), ("gen", "untuned", "untuned")]
    # a reference the architecture is not trained on is no test
    assert grid.references(facets, ["gen-corpus-negatives"]) == []


def test_tables_add_the_unseen_ood_average_per_architecture(tmp_path: Path) -> None:
    # the bi-encoder's base model was trained on nq: its "OOD avg unseen" is fiqa alone; the
    # cross-encoder's (no trained_on) is the whole OOD average
    scores = {"nq/test": [0.25, 0.75], "fiqa/test": [0.5, 0.5]}
    systems = {
        "human": {c: ("out_of_domain", {1: v}) for c, v in scores.items()},
        "gen": {c: ("out_of_domain", {1: [x + 0.125 for x in v]}) for c, v in scores.items()},
    }
    metric_entries = entries(tmp_path, systems, arch="bi") + entries(tmp_path, systems, arch="ce")
    from synthrank.report import collect_scores

    excluded = {"bi": ["nq"]}
    refs = [("bi", "gen", "human", "size"), ("ce", "gen", "human", "size")]
    tests = claims_tests(metric_entries, refs, excluded=excluded, resamples=200)
    assert set(tests.loc[tests["arch"] == "bi", "unit"]) == {"nq/test", "fiqa/test", "OOD avg", "OOD avg unseen"}
    assert "OOD avg unseen" not in set(tests.loc[tests["arch"] == "ce", "unit"])
    rows = [("bi", "human"), ("bi", "gen"), ("ce", "human")]
    table = effectiveness_table(
        collect_scores(metric_entries), tests.iloc[:0], rows, list(scores), ["OOD"], tests, excluded
    )
    means = table["means"]
    assert means.loc[("bi", "human"), "OOD avg"] == pytest.approx(0.5)
    assert means.loc[("bi", "gen"), "OOD avg unseen"] == pytest.approx(0.625)  # fiqa alone
    assert means.loc[("ce", "human"), "OOD avg unseen"] == pytest.approx(0.5)  # both collections
    assert table["marks"].loc[("bi", "gen"), "OOD avg unseen"] == UP  # every replicate +0.125
