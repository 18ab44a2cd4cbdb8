from pathlib import Path

import pandas as pd
import pytest

from synthrank.io import write_json
from synthrank.report import collect_scores, id_ood_figure, results_table, write_table

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
    write_table(means, stds, out["csv"], out["md"], out["tex"], caption="Cap.", seeds=2)
    csv = pd.read_csv(out["csv"], index_col=0)
    assert csv.loc["ce / human", "cook/test"] == pytest.approx(0.75)
    markdown = Path(out["md"]).read_text()
    assert "0.750 ± 0.071" in markdown
    bm25_row = next(line for line in markdown.splitlines() if line.startswith("| BM25 "))
    assert "0.500" in bm25_row and "±" not in bm25_row
    tex = Path(out["tex"]).read_text()
    assert "\\toprule" in tex and "\\bottomrule" in tex and "$\\pm$" in tex and "\\caption{Cap.}" in tex


def test_figure_is_written_twice_identically(scores: pd.DataFrame, tmp_path: Path) -> None:
    id_ood_figure(scores, str(tmp_path / "a.png"), str(tmp_path / "a.pdf"), "nDCG@10")
    id_ood_figure(scores, str(tmp_path / "b.png"), str(tmp_path / "b.pdf"), "nDCG@10")
    assert (tmp_path / "a.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "a.pdf").read_bytes()[:4] == b"%PDF"
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()
