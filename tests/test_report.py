"""Table contents (synthrank.report): means, domain averages, significance marks, captions."""

from pathlib import Path

import pandas as pd
import pytest

from synthrank.report import (
    effectiveness_table,
    results_table,
    table_caption,
    write_effectiveness_table,
    write_overview_table,
)

ORDER = [("bm25", "BM25"), ("ce", "human"), ("ce", "zero-shot")]


def test_table_means_and_domain_averages(scores: pd.DataFrame) -> None:
    means, stds = results_table(scores, ORDER)
    assert list(means.columns) == ["cook/test", "astro/test", "ID avg", "OOD avg"]
    assert list(means.index) == ORDER
    assert means.loc[("ce", "human"), "cook/test"] == pytest.approx(0.75)
    assert means.loc[("ce", "zero-shot"), "OOD avg"] == pytest.approx(0.5)
    assert stds.loc[("ce", "zero-shot"), "astro/test"] == pytest.approx(0.0707107, abs=1e-6)
    assert pd.isna(stds.loc[("bm25", "BM25"), "cook/test"])  # one run: no spread to report


def test_table_files(scores: pd.DataFrame, tmp_path: Path) -> None:
    means, stds = results_table(scores, ORDER)
    out = {k: str(tmp_path / f"t.{k}") for k in ("csv", "md", "tex")}
    files = {"csv": out["csv"], "markdown": out["md"], "latex": out["tex"], "html": str(tmp_path / "t.html")}
    write_overview_table(means, stds, files, caption="Cap.", seeds=2)
    csv = pd.read_csv(out["csv"], index_col=0)
    assert csv.loc["ce / human", "cook/test"] == pytest.approx(0.75)
    markdown = Path(out["md"]).read_text()
    assert "0.750 ± 0.071" in markdown
    bm25_row = next(line for line in markdown.splitlines() if line.startswith("| BM25 "))
    assert "0.500" in bm25_row and "±" not in bm25_row
    tex = Path(out["tex"]).read_text()
    assert "\\toprule" in tex and "\\bottomrule" in tex and "$\\pm$" in tex and "\\caption{Cap.}" in tex
    assert "<td>0.750 ± 0.071</td>" in (tmp_path / "t.html").read_text()


def test_effectiveness_table_marks_and_files(
    scores: pd.DataFrame, tmp_path: Path, significance_frame: pd.DataFrame
) -> None:
    TESTS = significance_frame
    rows = [("bm25", "BM25"), ("ce", "human"), ("ce", "zero-shot")]
    table = effectiveness_table(scores, TESTS, rows, ["cook/test"], ["ID", "OOD"])
    assert list(table["means"].columns) == ["cook/test", "ID avg", "OOD avg"]
    assert table["means"].loc[("ce", "zero-shot"), "OOD avg"] == pytest.approx(0.5)  # astro averaged, not shown
    assert table["marks"].loc[("ce", "zero-shot"), "cook/test"] == "↓"
    assert table["marks"].loc[("ce", "human"), "cook/test"] == ""
    out = {k: str(tmp_path / f"t.{k}") for k in ("csv", "markdown", "latex", "html")}
    facets = {
        "BM25": {"paradigm": ""},
        "ce / human": {"paradigm": "human"},
        "ce / zero-shot": {"paradigm": "zero-shot"},
    }
    caption = table_caption("cross-encoder, in-domain", 2, {"test": "student", "alpha": 0.05, "correction": "holm"})
    write_effectiveness_table(table, facets, out, caption, seeds=2)
    csv = pd.read_csv(out["csv"], index_col=0)
    assert csv.loc["ce / zero-shot", "cook/test"] == pytest.approx(0.6)
    assert csv.loc["ce / zero-shot", "cook/test p_adj"] == pytest.approx(0.02)
    assert csv.loc["ce / zero-shot", "cook/test sig"] == "-" and pd.isna(csv.loc["ce / human", "cook/test sig"])
    assert csv.loc["ce / human", "paradigm"] == "human"
    md = Path(out["markdown"]).read_text()
    assert "0.600 ± 0.000 ↓" in md and "Holm-corrected" in md and "mean ± std over 2 seeds" in md
    tex = Path(out["latex"]).read_text()
    assert r"0.600 $\pm$ 0.000$^{\downarrow}$" in tex and r"\toprule" in tex
    assert r"\begin{tabular}{llrrr}" in tex  # label, facet column, then numbers
    assert "0.600 ± 0.000 ↓" in Path(out["html"]).read_text()


def test_empty_table_says_why(tmp_path: Path) -> None:
    out = {k: str(tmp_path / f"t.{k}") for k in ("csv", "markdown", "latex", "html")}
    caption = table_caption("mixtures vs human", 2, {}, empty="no mixture corpus in this config")
    write_effectiveness_table(None, {}, out, caption, seeds=2, empty="no mixture corpus in this config")
    assert pd.read_csv(out["csv"], index_col=0).loc["(none)", "note"] == "no mixture corpus in this config"
    assert "no mixture corpus in this config, so this table is empty" in Path(out["markdown"]).read_text()
    # a table's note (grid.TableSpec.note) ends its caption; an empty table says only why
    noted = table_caption("mixtures vs human", 2, {}, note="Mixtures are compared at equal optimiser steps.")
    assert noted.endswith("with its confidence interval. Mixtures are compared at equal optimiser steps.")
    assert table_caption("t", 2, {}, empty="none", note="N.") == "T: none, so this table is empty."
    assert r"\bottomrule" in Path(out["latex"]).read_text()


def test_a_domain_mixing_measures_is_averaged_per_measure() -> None:
    """MS MARCO dev (MRR@10) and TREC DL (nDCG@10) are in-domain together: never one average."""
    rows = []
    for seed in (1, 2):
        for collection, metric, score in (
            ("ms/dev", "mrr@10", 0.30),
            ("ms/dl19", "ndcg@10", 0.60),
            ("ms/dl20", "ndcg@10", 0.70),
            ("sci/test", "ndcg@10", 0.50),
        ):
            domain = "out_of_domain" if collection == "sci/test" else "in_domain"
            rows.append(
                {"arch": "ce", "corpus": "human", "seed": seed, "collection": collection}
                | {"domain": domain, "metric": metric, "score": score}
            )
    scores = pd.DataFrame(rows)
    means, _ = results_table(scores, [("ce", "human")])
    assert list(means.columns) == [
        "ms/dev",
        "ms/dl19",
        "ms/dl20",
        "sci/test",
        "ID avg mrr@10",
        "ID avg ndcg@10",
        "OOD avg",
    ]
    assert means.loc[("ce", "human"), "ID avg mrr@10"] == pytest.approx(0.30)
    assert means.loc[("ce", "human"), "ID avg ndcg@10"] == pytest.approx(0.65)
    from synthrank.figures import domain_averages

    points = domain_averages(scores).groupby("domain")["score"].mean()
    assert points["ID"] == pytest.approx(0.65) and points["OOD"] == pytest.approx(0.50)  # nDCG@10 collections
