"""Thesis tables (CSV, Markdown, LaTeX booktabs) and figures (seaborn, PNG + PDF)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from synthrank.errors import SynthrankError
from synthrank.io import atomic_write, read_json

log = logging.getLogger(__name__)

DOMAIN_LABELS = {"in_domain": "ID", "out_of_domain": "OOD"}


def collect_scores(entries: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per (metric file, measure): the entry's labels plus the measure's mean value.

    Each entry names a metric file (``path``) and its labels: ``arch``, ``corpus``, ``seed``,
    ``collection`` (``dataset/split``), ``domain`` (``in_domain``/``out_of_domain``) and
    ``metric`` (the collection's official measure).
    """
    rows = []
    for entry in entries:
        data = read_json(entry["path"])
        metric = entry["metric"]
        if metric not in data.get("metrics", {}):
            raise SynthrankError(f"{entry['path']}: no value for {metric} (re-run its evaluation)")
        rows.append({**{k: v for k, v in entry.items() if k != "path"}, "score": float(data["metrics"][metric])})
    if not rows:
        raise SynthrankError("no metric files to tabulate")
    return pd.DataFrame(rows)


def _system(row: Mapping[str, Any]) -> str:
    return row["corpus"] if row["arch"] == "bm25" else f"{row['arch']} / {row['corpus']}"


def results_table(scores: pd.DataFrame, system_order: Sequence[tuple[str, str]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows = (architecture, corpus), columns = collections then ID/OOD averages.

    Returns (means, standard deviations over seeds); the average columns first average over
    the collections of a domain within a seed, then over seeds.
    """
    scores = scores.copy()
    scores["domain"] = scores["domain"].map(DOMAIN_LABELS)
    collections = list(dict.fromkeys(scores.sort_values("domain", kind="stable")["collection"]))
    per_seed = scores.pivot_table(index=["arch", "corpus", "seed"], columns="collection", values="score")[collections]
    for domain in ("ID", "OOD"):
        cols = list(dict.fromkeys(scores.loc[scores["domain"] == domain, "collection"]))
        if cols:
            per_seed[f"{domain} avg"] = per_seed[cols].mean(axis=1)
    grouped = per_seed.groupby(level=["arch", "corpus"], sort=False)
    order = [key for key in system_order if key in grouped.groups]
    means = grouped.mean().reindex(order)
    stds = grouped.std(ddof=1).reindex(order)  # NaN where a system has one run (BM25, untuned)
    return means, stds


def _labelled(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out.index = [_system({"arch": a, "corpus": c}) for a, c in out.index]
    out.index.name = "system"
    return out


def write_table(
    means: pd.DataFrame, stds: pd.DataFrame, csv: str, markdown: str, latex: str, caption: str, seeds: int
) -> None:
    """The same table three ways; Markdown and LaTeX show mean ± std for systems with several seeds."""
    with atomic_write(csv) as handle:
        _labelled(means).round(4).to_csv(handle)
    shown = _labelled(means).map(lambda v: f"{v:.3f}")
    if seeds > 1:
        shown = shown + _labelled(stds).map(lambda v: "" if pd.isna(v) else f" ± {v:.3f}")
    with atomic_write(markdown) as handle:
        handle.write(f"{caption}\n\n{shown.to_markdown()}\n")
    latex_body = shown.to_latex(
        caption=caption, label=f"tab:{Path(latex).stem}", column_format="l" + "r" * len(shown.columns)
    )
    with atomic_write(latex) as handle:
        handle.write(latex_body.replace("±", r"$\pm$"))


def id_ood_figure(scores: pd.DataFrame, png: str, pdf: str, metric_label: str) -> None:
    """Bars of the ID and OOD averages per corpus, one panel per architecture."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    data = scores[scores["arch"] != "bm25"].copy()  # BM25 is trained on no corpus
    data["domain"] = data["domain"].map(DOMAIN_LABELS)
    data = data.groupby(["arch", "corpus", "seed", "domain"], as_index=False, sort=False)["score"].mean()
    sns.set_theme(style="whitegrid", context="paper")
    grid = sns.catplot(
        data=data,
        kind="bar",
        x="corpus",
        y="score",
        hue="domain",
        col="arch",
        errorbar="sd",
        sharex=False,
        height=3.2,
        aspect=1.1,
        palette="colorblind",
    )
    grid.set_axis_labels("training corpus", metric_label)
    grid.set_titles("{col_name}")
    for ax in grid.axes.flat:
        ax.tick_params(axis="x", rotation=20)
    grid.figure.tight_layout()
    for path in (png, pdf):
        suffix = Path(path).suffix.lstrip(".")
        with atomic_write(path, "wb") as handle:
            grid.figure.savefig(handle, format=suffix, dpi=150, bbox_inches="tight", metadata=_no_dates(suffix))
    plt.close(grid.figure)


def _no_dates(fmt: str) -> dict[str, Any]:
    """Figure metadata without timestamps, so the same scores give byte-identical files."""
    if fmt == "pdf":
        return {"CreationDate": None, "ModDate": None}
    if fmt == "png":
        return {"Software": None}
    return {}
