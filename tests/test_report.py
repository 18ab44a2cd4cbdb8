from pathlib import Path

import pandas as pd
import pytest

from synthrank.figures import cost_figure, gain_heatmap, id_ood_figure, message_figure, size_figure
from synthrank.io import write_json
from synthrank.report import (
    collect_scores,
    effectiveness_table,
    results_table,
    table_caption,
    write_effectiveness_table,
    write_table,
)
from synthrank.significance import COLUMNS

SCORES = {  # (arch, corpus, seed, collection) -> ndcg@10
    ("bm25", "BM25", 0, "cook/test"): 0.5,
    ("bm25", "BM25", 0, "astro/test"): 0.4,
    ("ce", "human", 1, "cook/test"): 0.7,
    ("ce", "human", 2, "cook/test"): 0.8,
    ("ce", "human", 1, "astro/test"): 0.5,
    ("ce", "human", 2, "astro/test"): 0.6,
    ("ce", "zero-shot", 1, "cook/test"): 0.6,
    ("ce", "zero-shot", 2, "cook/test"): 0.6,
    ("ce", "zero-shot", 1, "astro/test"): 0.55,
    ("ce", "zero-shot", 2, "astro/test"): 0.45,
}


@pytest.fixture
def scores(tmp_path: Path) -> pd.DataFrame:
    entries = []
    for i, ((arch, corpus, seed, coll), value) in enumerate(SCORES.items()):
        path = tmp_path / f"m{i}.json"
        write_json(path, {"metrics": {"ndcg@10": value}})
        domain = "in_domain" if coll.startswith("cook") else "out_of_domain"
        entries.append(
            {
                "path": str(path),
                "arch": arch,
                "corpus": corpus,
                "seed": seed,
                "collection": coll,
                "domain": domain,
                "metric": "ndcg@10",
            }
        )
    return collect_scores(entries)


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
    write_table(means, stds, out["csv"], out["md"], out["tex"], caption="Cap.", seeds=2, html=str(tmp_path / "t.html"))
    csv = pd.read_csv(out["csv"], index_col=0)
    assert csv.loc["ce / human", "cook/test"] == pytest.approx(0.75)
    markdown = Path(out["md"]).read_text()
    assert "0.750 ± 0.071" in markdown
    bm25_row = next(line for line in markdown.splitlines() if line.startswith("| BM25 "))
    assert "0.500" in bm25_row and "±" not in bm25_row
    tex = Path(out["tex"]).read_text()
    assert "\\toprule" in tex and "\\bottomrule" in tex and "$\\pm$" in tex and "\\caption{Cap.}" in tex
    assert "<td>0.750 ± 0.071</td>" in (tmp_path / "t.html").read_text()


def test_figure_is_written_twice_identically(scores: pd.DataFrame, tmp_path: Path) -> None:
    id_ood_figure(scores, str(tmp_path / "a.png"), str(tmp_path / "a.pdf"), "nDCG@10")
    id_ood_figure(scores, str(tmp_path / "b.png"), str(tmp_path / "b.pdf"), "nDCG@10")
    assert (tmp_path / "a.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "a.pdf").read_bytes()[:4] == b"%PDF"
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()


TESTS = pd.DataFrame(
    [
        # zero-shot is significantly worse on cook, not significantly different on astro
        ("ce", "zero-shot", "human", "cook/test", "ndcg@10", 30, 2, 0.6, 0.75, -0.15, 0.01, 0.02, True),
        ("ce", "zero-shot", "human", "astro/test", "ndcg@10", 30, 2, 0.5, 0.55, -0.05, 0.3, 0.3, False),
    ],
    columns=COLUMNS,
)


def test_effectiveness_table_marks_and_files(scores: pd.DataFrame, tmp_path: Path) -> None:
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
    assert r"\bottomrule" in Path(out["latex"]).read_text()


def test_every_figure_writes_png_and_pdf(scores: pd.DataFrame, tmp_path: Path) -> None:
    def files(name: str) -> tuple[str, str]:
        return str(tmp_path / f"{name}.png"), str(tmp_path / f"{name}.pdf")

    gain_heatmap(TESTS, *files("gain"), collections=["cook/test", "astro/test"], metric_label="nDCG@10")
    gain_heatmap(TESTS.iloc[:0], *files("gain-empty"), collections=[], metric_label="nDCG@10")
    size_figure(
        scores,
        {"human": 60, "zero-shot": 60},
        {"human": "human", "zero-shot": "zero-shot / g"},
        *files("size"),
        "nDCG@10",
    )
    costs = pd.DataFrame(
        [("ce", "human", 0.0, 0.1), ("ce", "zero-shot", 1.5, 0.3)], columns=["arch", "corpus", "usd", "hours"]
    )
    cost_figure(costs, scores, {"human": "human", "zero-shot": "zero-shot"}, *files("cost"), "nDCG@10")
    message_figure("nothing here", *files("message"))
    for name in ("gain", "gain-empty", "size", "cost", "message"):
        png, pdf = files(name)
        assert Path(png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and Path(pdf).read_bytes()[:4] == b"%PDF"
    gain_heatmap(TESTS, *files("gain2"), collections=["cook/test", "astro/test"], metric_label="nDCG@10")
    assert Path(files("gain")[0]).read_bytes() == Path(files("gain2")[0]).read_bytes()
