"""Figures (synthrank.figures): every figure as PNG and PDF, byte-identical when redrawn."""

from pathlib import Path

import pandas as pd

from synthrank.figures import cost_figure, gain_heatmap, id_ood_figure, message_figure, size_figure


def test_figure_is_written_twice_identically(scores: pd.DataFrame, tmp_path: Path) -> None:
    id_ood_figure(scores, str(tmp_path / "a.png"), str(tmp_path / "a.pdf"), "nDCG@10")
    id_ood_figure(scores, str(tmp_path / "b.png"), str(tmp_path / "b.pdf"), "nDCG@10")
    assert (tmp_path / "a.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "a.pdf").read_bytes()[:4] == b"%PDF"
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()


def test_every_figure_writes_png_and_pdf(
    scores: pd.DataFrame, tmp_path: Path, significance_frame: pd.DataFrame
) -> None:
    TESTS = significance_frame

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
