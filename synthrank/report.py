"""Thesis tables: their numbers and display strings, written by :mod:`synthrank.tables`; the
figures are in synthrank.figures."""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import pandas as pd

from synthrank import tables
from synthrank.errors import SynthrankError
from synthrank.io import read_json
from synthrank.training_check import NOT_ABOVE_FLOOR

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
    return system_label(row["arch"], row["corpus"])


def system_label(arch: str, corpus: str) -> str:
    """A table row's label: ``BM25``, or ``<arch> / <corpus>`` (corpus ``untuned``: the base model)."""
    return corpus if arch == "bm25" else f"{arch} / {corpus}"


def domain_average_columns(scores: pd.DataFrame, domain: str) -> dict[str, list[str]]:
    """The average columns of a domain (``ID``/``OOD`` labels in ``scores["domain"]``) and the
    collections each averages: ``{"ID avg": [...]}`` when the domain's collections share one
    official measure, else one column per measure (``"ID avg mrr@10"``, ``"ID avg ndcg@10"``):
    MRR@10 and nDCG@10 are different scales and are never averaged together."""
    rows = scores.loc[scores["domain"] == domain, ["collection", "metric"]].drop_duplicates("collection")
    by_metric: dict[str, list[str]] = {}
    for collection, metric in rows.itertuples(index=False):
        by_metric.setdefault(metric, []).append(collection)
    if len(by_metric) == 1:
        return {f"{domain} avg": next(iter(by_metric.values()))}
    return {f"{domain} avg {metric}": cols for metric, cols in by_metric.items()}


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
        for column, cols in domain_average_columns(scores, domain).items():
            per_seed[column] = per_seed[cols].mean(axis=1)
    grouped = per_seed.groupby(level=["arch", "corpus"], sort=False)
    order = [key for key in system_order if key in grouped.groups]
    means = grouped.mean().reindex(order)
    stds = grouped.std(ddof=1).reindex(order)  # NaN where a system has one run (BM25, untuned)
    return means, stds


def _labelled(frame: pd.DataFrame, marked: Collection[tuple[str, str]] = ()) -> pd.DataFrame:
    """``frame`` indexed by row labels; a row of ``marked`` gets the not-above-floor mark."""
    out = frame.copy()
    out.index = [_system({"arch": a, "corpus": c}) + _floor_mark(a, c, marked) for a, c in out.index]
    out.index.name = "system"
    return out


def _floor_mark(arch: str, corpus: str, marked: Collection[tuple[str, str]]) -> str:
    return f" {NOT_ABOVE_FLOOR}" if (arch, corpus) in marked else ""


def write_overview_table(
    means: pd.DataFrame,
    stds: pd.DataFrame,
    out: Mapping[str, str],
    caption: str,
    seeds: int,
    not_above_floor: Collection[tuple[str, str]] = (),
) -> None:
    """The overview table (:func:`results_table`) in every format of ``out`` (see
    :func:`synthrank.tables.write_table`): the CSV has the means; the other formats show mean ±
    std for systems with several seeds, and :data:`NOT_ABOVE_FLOOR` after the label of a row of
    ``not_above_floor`` (the floor tests' CSVs hold the numbers behind the mark)."""
    numbers = _labelled(means).round(4)
    shown = _labelled(means, not_above_floor).map(lambda v: f"{v:.3f}")
    if seeds > 1:
        shown = shown + _labelled(stds, not_above_floor).map(lambda v: "" if pd.isna(v) else f" ± {v:.3f}")
    tables.write_table(numbers, shown, out, caption)


# ---------------------------------------------------------------- effectiveness tables

TESTS = {"student": "paired two-sided Student's t-test", "fisher": "Fisher's randomization test"}


def table_caption(title: str, seeds: int, significance: Mapping[str, Any], empty: str = "", note: str = "") -> str:
    """The caption of an effectiveness table (Markdown, LaTeX, HTML and the Snakemake report);
    ``note``: what the table adds (its :class:`synthrank.grid.TableSpec` ``note``), last."""
    head = f"{title[0].upper()}{title[1:]}"
    if empty:
        return f"{head}: {empty}, so this table is empty."
    spread = f"mean ± std over {seeds} seeds" if seeds > 1 else "one seed"
    correction = ", Holm-corrected per architecture and collection" if significance.get("correction") == "holm" else ""
    return (
        f"{head}: each collection's official measure, {spread}; averages are over a domain's collections "
        "(one per measure where they differ). "
        f"{UP}/{DOWN}: significantly better/worse than the same architecture trained on the human corpus "
        f"of the same size ({TESTS[significance.get('test', 'student')]} over queries on seed-averaged "
        f"scores{correction}, p < {significance.get('alpha', 0.05)})."
    ) + (f" {note}" if note else "")


UP, DOWN = "↑", "↓"


def per_seed_table(scores: pd.DataFrame, collections: Sequence[str], averages: Sequence[str]) -> pd.DataFrame:
    """Rows (arch, corpus, seed); columns the collections, then each domain's average.

    A domain average is the mean over all of that domain's collections within a seed (also
    those the table does not show, e.g. the ID average next to the OOD columns), one per official
    measure when the domain mixes measures (:func:`domain_average_columns`)."""
    scores = scores.copy()
    scores["domain"] = scores["domain"].map(DOMAIN_LABELS)
    per_seed = scores.pivot_table(index=["arch", "corpus", "seed"], columns="collection", values="score")
    out = per_seed.reindex(columns=list(collections))
    for domain in averages:
        for column, cols in domain_average_columns(scores, domain).items():
            out[column] = per_seed[cols].mean(axis=1)
    return out


def significance_marks(
    tests: pd.DataFrame, rows: Sequence[tuple[str, str]], collections: Sequence[str]
) -> pd.DataFrame:
    """``UP``/``DOWN`` where a row is significantly better/worse than its reference, else ''."""
    marks = pd.DataFrame("", index=pd.MultiIndex.from_tuples(rows), columns=list(collections))
    for t in tests.itertuples(index=False):
        key = (t.arch, t.corpus)
        if t.collection in marks.columns and key in marks.index and bool(t.significant):
            marks.loc[key, t.collection] = UP if t.difference > 0 else DOWN
    return marks


def adjusted_p(tests: pd.DataFrame, rows: Sequence[tuple[str, str]], collections: Sequence[str]) -> pd.DataFrame:
    out = pd.DataFrame(float("nan"), index=pd.MultiIndex.from_tuples(rows), columns=list(collections))
    for t in tests.itertuples(index=False):
        if t.collection in out.columns and (t.arch, t.corpus) in out.index:
            out.loc[(t.arch, t.corpus), t.collection] = float(t.p_adjusted)
    return out


def effectiveness_table(
    scores: pd.DataFrame,
    tests: pd.DataFrame,
    rows: Sequence[tuple[str, str]],
    collections: Sequence[str],
    averages: Sequence[str],
) -> dict[str, pd.DataFrame]:
    """Means and standard deviations over seeds, significance marks and adjusted p-values.

    Rows without any metric file (cannot happen in the workflow, whose inputs are the rows'
    metric files) are an error rather than an empty line."""
    rows = [tuple(r) for r in rows]
    per_seed = per_seed_table(scores, collections, averages)
    grouped = per_seed.groupby(level=["arch", "corpus"], sort=False)
    missing = [r for r in rows if r not in grouped.groups]
    if missing:
        raise SynthrankError(f"no metric files for {missing[0][0]} / {missing[0][1]}")
    means = grouped.mean().reindex(pd.MultiIndex.from_tuples(rows))
    stds = grouped.std(ddof=1).reindex(pd.MultiIndex.from_tuples(rows))  # NaN for one run (BM25, untuned)
    return {
        "means": means,
        "stds": stds,
        "marks": significance_marks(tests, rows, collections),
        "p": adjusted_p(tests, rows, collections),
    }


def _labels(index: pd.Index, marked: Collection[tuple[str, str]] = ()) -> list[str]:
    return [system_label(a, c) + _floor_mark(a, c, marked) for a, c in index]


def _cells(table: Mapping[str, pd.DataFrame], seeds: int) -> pd.DataFrame:
    """Display strings ``mean ± std ↑``; the LaTeX writes the mark as a superscript."""
    means, stds, marks = table["means"], table["stds"], table["marks"]
    shown = means.map(lambda v: "–" if pd.isna(v) else f"{v:.3f}")
    if seeds > 1:
        shown = shown + stds.map(lambda v: "" if pd.isna(v) else f" ± {v:.3f}")
    for col in marks.columns:
        shown[col] = shown[col] + marks[col].map({UP: f" {UP}", DOWN: f" {DOWN}", "": ""})
    return shown


def write_effectiveness_table(
    table: Mapping[str, pd.DataFrame] | None,
    facets: Mapping[str, Mapping[str, str]],
    out: Mapping[str, str],
    caption: str,
    seeds: int,
    empty: str = "",
    not_above_floor: Collection[tuple[str, str]] = (),
) -> None:
    """One table as CSV (numbers: mean, std, adjusted p, mark), Markdown, LaTeX (booktabs) and HTML
    (see :func:`synthrank.tables.write_table`).

    ``facets`` maps a row label to its facet columns (e.g. generator, queries). ``table`` None:
    the grid has nothing of this table's category; each format gets one row saying ``empty``.
    A row of ``not_above_floor`` gets :data:`NOT_ABOVE_FLOOR` after its label (the CSV: its
    ``below floor`` column says yes).
    """
    if table is None:
        numbers = pd.DataFrame({"note": [empty]}, index=pd.Index(["(none)"], name="system"))
        shown, n_facets = numbers, 1
    else:
        index = table["means"].index
        labels = _labels(index)
        facet_frame = pd.DataFrame([facets.get(label, {}) for label in labels], index=labels).fillna("")
        numbers = facet_frame.copy()
        numbers["below floor"] = ["yes" if key in not_above_floor else "no" for key in index]
        marked = _labels(index, not_above_floor)
        facet_frame.index = marked
        for col in table["means"].columns:
            numbers[col] = table["means"][col].to_numpy().round(4)
            numbers[f"{col} std"] = table["stds"][col].to_numpy().round(4)
            if col in table["marks"].columns:
                numbers[f"{col} p_adj"] = table["p"][col].to_numpy()
                numbers[f"{col} sig"] = table["marks"][col].map({UP: "+", DOWN: "-", "": ""}).to_numpy()
        shown = pd.concat([facet_frame, _cells(table, seeds).set_axis(marked)], axis=1)
        n_facets = len(facet_frame.columns)
    for frame in (numbers, shown):
        frame.index.name = "system"
    tables.write_table(numbers, shown, out, caption, left_aligned=n_facets, float_format="%.4g")
