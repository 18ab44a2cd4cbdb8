"""The one writer of the workflow's tables: CSV, Markdown, LaTeX (booktabs) and HTML.

A table is given as two frames with the same rows:

- ``numbers``: what the CSV holds, for other rules and for readers who recompute (rounded by
  the caller, written with ``float_format`` when one is given);
- ``shown``: the display strings (``"0.750 ± 0.071 ↑"``, ``"4,000"``, ``"–"``), the same for
  Markdown, LaTeX and HTML; its index is the row label, its first ``left_aligned`` columns are
  labels/facets (left-aligned), the others are values (right-aligned).

Each format is escaped by one rule, for the cells, the row labels, the header and the caption
alike: Markdown is written as is; LaTeX is escaped by pandas (``to_latex(escape=True)``: ``&``,
``%``, ``$``, ``#``, ``_``, ``{``, ``}``, ``~``, ``^``, ``\\``) and then its symbols ``±``,
``↑``, ``↓``, ``≈``, ``Δ`` become math (see :func:`latex_text`); HTML is escaped by pandas (cells) and
:func:`html.escape` (caption). Every file is written atomically (:func:`synthrank.io.atomic_write`).
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from synthrank.io import atomic_write

StrPath = str | os.PathLike[str]

# pandas escapes LaTeX's special characters but leaves other characters as they are, and these
# three are not text in LaTeX (pdflatex stops at ↑ and ↓): they are written as math. This runs
# after pandas' escaping, so the ``$`` it adds stay math and a ``$`` of the text stays ``\$``.
MATH = {"±": r"\pm", "↑": r"\uparrow", "↓": r"\downarrow", "≈": r"\approx", "Δ": r"\Delta"}
# A significance mark after a value ("0.600 ↓", "0.600 ≈", both "0.600 ↑≈": better and equivalent,
# synthrank.claims) is a superscript on the value, as in the thesis
_MARK = re.compile(r" ([↑↓]≈?|≈)$")
_SENTINEL = "\0"


def _math_symbols(text: object) -> str:
    """``±``, ``↑``, ``↓``, ``≈``, ``Δ`` of an already escaped LaTeX string as math."""
    out = _MARK.sub(lambda m: "$^{" + " ".join(MATH[c] for c in m.group(1)) + "}$", str(text))
    for symbol, command in MATH.items():
        out = out.replace(symbol, f"${command}$")
    return out


def latex_text(text: str) -> str:
    """One string (the caption) escaped for LaTeX exactly as the table's cells are."""
    # pandas escapes the cells, index and header of a table but neither the caption it is given
    # nor any string on its own (its escape function is private): render the text as a one-cell
    # table with the same escaping and take it back from between two markers.
    rendered = pd.DataFrame([[f"{_SENTINEL}{text}{_SENTINEL}"]]).to_latex(escape=True, header=False, index=False)
    return _math_symbols(rendered.split(_SENTINEL)[1])


def markdown_table(shown: pd.DataFrame, caption: str) -> str:
    """The caption, a blank line and the table (pipe format), cells verbatim."""
    return f"{caption}\n\n{shown.to_markdown(disable_numparse=True)}\n"


def latex_table(shown: pd.DataFrame, caption: str, label: str, left_aligned: int = 0) -> str:
    """A booktabs ``table`` with ``\\caption`` and ``\\label``; the row label and the first
    ``left_aligned`` columns are left-aligned, the rest right-aligned."""
    formatters = {column: _math_symbols for column in shown.columns}
    return shown.to_latex(
        escape=True,
        formatters={**formatters, "__index__": _math_symbols, "__columns__": _math_symbols},
        na_rep="",
        caption=latex_text(caption),
        label=label,
        column_format="l" * (1 + left_aligned) + "r" * (len(shown.columns) - left_aligned),
    )


def html_page(shown: pd.DataFrame, caption: str, left_aligned: int = 0) -> str:
    """A small self-contained HTML page for the Snakemake report (which shows HTML, not CSV)."""
    body = shown.to_html(border=0, classes="table", na_rep="")
    style = (
        "body{font-family:sans-serif;font-size:13px} table{border-collapse:collapse}"
        " th,td{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right} th:first-child{text-align:left}"
    )
    if left_aligned:  # the row label's <th> counts as a child: the facets are children 2..1+n
        n = 1 + left_aligned
        style += f" th:nth-child(-n+{n}),td:nth-child(-n+{n}){{text-align:left}}"
    return (
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><style>{style}</style></head>'
        f"<body><p>{html.escape(caption)}</p>\n{body}\n</body></html>\n"
    )


def write_table(
    numbers: pd.DataFrame,
    shown: pd.DataFrame,
    out: Mapping[str, StrPath],
    caption: str,
    *,
    left_aligned: int = 0,
    float_format: str | None = None,
) -> None:
    """Write one table in every format ``out`` names.

    ``out``: ``csv`` (``numbers``), ``markdown``, ``latex`` and optionally ``html`` (``shown``).
    ``caption``: plain text (with ``±``, ``↑``, ``↓`` as they are), escaped per format.
    The LaTeX label is ``tab:<stem of the latex file>``. ``left_aligned``: how many leading
    columns of ``shown`` (after the row label) are labels/facets. ``float_format``: how the CSV
    writes floats (``"%.4g"``); None writes them as pandas does (``repr``).
    """
    if not 0 <= left_aligned <= len(shown.columns):
        raise ValueError(f"left_aligned={left_aligned}: the table has {len(shown.columns)} columns")
    with atomic_write(out["csv"]) as handle:
        numbers.to_csv(handle, float_format=float_format)
    with atomic_write(out["markdown"]) as handle:
        handle.write(markdown_table(shown, caption))
    with atomic_write(out["latex"]) as handle:
        handle.write(latex_table(shown, caption, f"tab:{Path(out['latex']).stem}", left_aligned))
    if out.get("html"):
        with atomic_write(out["html"]) as handle:
            handle.write(html_page(shown, caption, left_aligned))
