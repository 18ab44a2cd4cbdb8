"""The one table writer: CSV numbers, Markdown verbatim, LaTeX and HTML escaped by one rule."""

from pathlib import Path

import pandas as pd
import pytest

from synthrank.tables import html_page, latex_table, latex_text, write_table

SPECIAL = "a_b 5% R&D #1 $x$ {y}"
ESCAPED = r"a\_b 5\% R\&D \#1 \$x\$ \{y\}"


def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    index = pd.Index(["ce / human", "bm_25"], name="system")
    numbers = pd.DataFrame(
        {"paradigm": ["human", SPECIAL], "cook/test": [0.123456789, 0.5], "p": [0.0001234567, float("nan")]},
        index=index,
    )
    shown = pd.DataFrame(
        {"paradigm": ["human", SPECIAL], "cook/test": ["0.123 ± 0.010 ↑", "0.500 ↓"], "p": ["<b>", "–"]},
        index=index,
    )
    return numbers, shown


@pytest.fixture
def out(tmp_path: Path) -> dict[str, str]:
    files = {"csv": "t.csv", "markdown": "t.md", "latex": "tab_x.tex", "html": "t.html"}
    return {key: str(tmp_path / name) for key, name in files.items()}


def test_every_format(out: dict[str, str]) -> None:
    numbers, shown = frames()
    write_table(numbers, shown, out, "Cap ± 5% ↑/↓", left_aligned=1, float_format="%.4g")
    assert Path(out["csv"]).read_text().splitlines() == [
        "system,paradigm,cook/test,p",
        "ce / human,human,0.1235,0.0001235",
        f"bm_25,{SPECIAL},0.5,",
    ]
    md = Path(out["markdown"]).read_text()
    assert md.startswith("Cap ± 5% ↑/↓\n\n| system ") and md.endswith("|\n")
    assert "0.123 ± 0.010 ↑" in md and SPECIAL in md and "<b>" in md  # Markdown: verbatim
    tex = Path(out["latex"]).read_text()
    assert r"\caption{Cap $\pm$ 5\% $\uparrow$/$\downarrow$}" in tex and r"\label{tab:tab_x}" in tex
    assert r"\begin{tabular}{llrr}" in tex and r"\toprule" in tex and r"\bottomrule" in tex
    assert r"ce / human & human & 0.123 $\pm$ 0.010$^{\uparrow}$ & <b> \\" in tex
    assert rf"bm\_25 & {ESCAPED} & 0.500$^{{\downarrow}}$ & – \\" in tex
    page = Path(out["html"]).read_text()
    assert page.startswith("<!DOCTYPE html>") and "<p>Cap ± 5% ↑/↓</p>" in page
    assert "<td>&lt;b&gt;</td>" in page and "<td>0.123 ± 0.010 ↑</td>" in page


def test_csv_numbers_as_pandas_writes_them_without_float_format(out: dict[str, str]) -> None:
    numbers, shown = frames()
    write_table(numbers.round(4), shown, out, "c")
    assert Path(out["csv"]).read_text().splitlines()[1] == "ce / human,human,0.1235,0.0001"
    assert pd.read_csv(out["csv"], index_col=0).loc["bm_25", "cook/test"] == 0.5


def test_html_is_optional(out: dict[str, str]) -> None:
    del out["html"]
    write_table(*frames(), out, "c")
    assert sorted(p.name for p in Path(out["csv"]).parent.iterdir()) == ["t.csv", "t.md", "tab_x.tex"]


def test_latex_escapes_cells_index_header_and_caption_alike() -> None:
    shown = pd.DataFrame({SPECIAL: [SPECIAL]}, index=pd.Index([SPECIAL], name="n_1"))
    tex = latex_table(shown, SPECIAL, "tab:t")
    assert rf"\caption{{{ESCAPED}}}" in tex
    assert rf" & {ESCAPED} \\" in tex  # header
    assert r"n\_1 &  \\" in tex  # index name
    assert rf"{ESCAPED} & {ESCAPED} \\" in tex  # row label and cell
    assert "a_b" not in tex and "{y}" not in tex


@pytest.mark.parametrize(
    ("text", "latex"),
    [
        ("mean ± std", r"mean $\pm$ std"),
        ("↑/↓: better/worse", r"$\uparrow$/$\downarrow$: better/worse"),
        ("0.600 ± 0.000 ↓", r"0.600 $\pm$ 0.000$^{\downarrow}$"),  # a trailing mark: superscript
        ("100% of $5 ~ x^2", r"100\% of \$5 \textasciitilde \space x\textasciicircum 2"),
        ("back\\slash", r"back\textbackslash slash"),
        ("plain – text", "plain – text"),
    ],
)
def test_latex_text(text: str, latex: str) -> None:
    assert latex_text(text) == latex


def test_alignment() -> None:
    shown = pd.DataFrame({"a": ["x"], "b": ["y"], "c": ["1"], "d": ["2"]}, index=pd.Index(["r"], name="system"))
    assert r"\begin{tabular}{lrrrr}" in latex_table(shown, "c", "tab:t")
    assert r"\begin{tabular}{lllrr}" in latex_table(shown, "c", "tab:t", left_aligned=2)
    assert r"\begin{tabular}{lllll}" in latex_table(shown, "c", "tab:t", left_aligned=4)
    assert "nth-child" not in html_page(shown, "c")  # only the row label is left-aligned
    assert "td:nth-child(-n+3){text-align:left}" in html_page(shown, "c", left_aligned=2)
    with pytest.raises(ValueError, match="left_aligned=5"):
        write_table(shown, shown, {"csv": "x", "markdown": "y", "latex": "z"}, "c", left_aligned=5)


def test_html_escapes_caption_and_cells() -> None:
    shown = pd.DataFrame({"<h>": ['a & "b"']}, index=pd.Index(["<r>"], name="system"))
    page = html_page(shown, "x < y & <script>")
    assert "<p>x &lt; y &amp; &lt;script&gt;</p>" in page
    assert "<th>&lt;h&gt;</th>" in page and "<th>&lt;r&gt;</th>" in page and '<td>a &amp; "b"</td>' in page
    assert "<script>" not in page and page.endswith("</body></html>\n")
