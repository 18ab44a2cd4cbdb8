"""Thesis tables: their numbers and display strings, written by :mod:`synthrank.tables`; the
figures are in synthrank.figures."""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import pandas as pd

from synthrank import tables
from synthrank.claims import EQUIVALENT, UNSEEN, domain_average_columns, mark
from synthrank.errors import SynthrankError
from synthrank.grid import REFERENCE_KINDS
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


def results_table(
    scores: pd.DataFrame,
    system_order: Sequence[tuple[str, str]],
    excluded: Mapping[str, Sequence[str]] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows = (architecture, corpus), columns = collections then ID/OOD averages (and the OOD
    average without the base models' training sets, ``excluded``: see :func:`add_averages`).

    Returns (means, standard deviations over seeds); the average columns first average over
    the collections of a domain within a seed, then over seeds.
    """
    scores = scores.copy()
    scores["domain"] = scores["domain"].map(DOMAIN_LABELS)
    collections = list(dict.fromkeys(scores.sort_values("domain", kind="stable")["collection"]))
    per_seed = scores.pivot_table(index=["arch", "corpus", "seed"], columns="collection", values="score")[collections]
    per_seed = add_averages(per_seed, per_seed, scores, ("ID", "OOD"), excluded)
    grouped = per_seed.groupby(level=["arch", "corpus"], sort=False)
    order = [key for key in system_order if key in grouped.groups]
    means = grouped.mean().reindex(order)
    stds = grouped.std(ddof=1).reindex(order)  # NaN where a system has one run (BM25, untuned)
    return means, stds


def add_averages(
    out: pd.DataFrame,
    per_seed: pd.DataFrame,
    scores: pd.DataFrame,
    domains: Sequence[str],
    excluded: Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """``out`` (rows arch, corpus, seed) with each domain's average columns of ``per_seed``'s
    collections (:func:`domain_average_columns`; ``scores["domain"]`` labelled ID/OOD), and, where
    an architecture's base model was trained on some out-of-domain collection's dataset
    (``excluded``: arch -> ``trained_on``), the OOD average without them (``"OOD avg unseen"``:
    per row, without its own architecture's; the rows of other architectures and BM25 average
    every collection)."""
    out = out.copy()
    excluded = excluded or {}
    for domain in domains:
        for column, cols in domain_average_columns(scores, domain).items():
            out[column] = per_seed[cols].mean(axis=1)
            if domain != "OOD":
                continue
            kept = {arch: [c for c in cols if c.split("/")[0] not in set(ex)] for arch, ex in excluded.items()}
            if not any(0 < len(k) < len(cols) for k in kept.values()):
                continue
            unseen = out[column].copy()
            for arch, k in kept.items():
                rows = per_seed.index.get_level_values("arch") == arch
                if k and rows.any():
                    unseen[rows] = per_seed.loc[rows, k].mean(axis=1)
            out[f"{column} {UNSEEN}"] = unseen
    return out


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
    claims: pd.DataFrame | None = None,
) -> None:
    """The overview table (:func:`results_table`) in every format of ``out`` (see
    :func:`synthrank.tables.write_table`): the CSV has the means; the other formats show mean ±
    std for systems with several seeds, :data:`NOT_ABOVE_FLOOR` after the label of a row of
    ``not_above_floor`` (the floor tests' CSVs hold the numbers behind the mark), and on the
    average columns the marks of ``claims`` (synthrank.claims) against the same-size human corpus."""
    numbers = _labelled(means).round(4)
    shown = _labelled(means, not_above_floor).map(lambda v: f"{v:.3f}")
    if seeds > 1:
        shown = shown + _labelled(stds, not_above_floor).map(lambda v: "" if pd.isna(v) else f" ± {v:.3f}")
    if claims is not None:
        rows = list(means.index)
        marks, _ = claim_marks(claims, rows, [c for c in means.columns if " avg" in c])
        for col in marks.columns:
            shown[col] = shown[col] + marks[col].map(_shown_mark).to_numpy()
    tables.write_table(numbers, shown, out, caption)


# ---------------------------------------------------------------- effectiveness tables

TESTS = {"student": "paired two-sided Student's t-test", "fisher": "Fisher's randomization test"}


def table_caption(
    title: str,
    seeds: int,
    significance: Mapping[str, Any],
    empty: str = "",
    note: str = "",
    *,
    kinds: Sequence[str] = (),
    absent: Sequence[str] = (),
    unseen: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """The caption of an effectiveness table (Markdown, LaTeX, HTML and the Snakemake report).

    ``note``: what the table adds (its :class:`synthrank.grid.TableSpec` ``note``), last;
    ``kinds``: the second references (synthrank.grid.REFERENCE_KINDS but ``size``) some row of the
    table is tested against (a ``Δ`` column each); ``absent``: those the grid has no cell of;
    ``unseen``: arch -> the OOD datasets its base model was trained on (``trained_on``), where the
    table has an OOD average (None: it has none; empty: no architecture names one)."""
    head = f"{title[0].upper()}{title[1:]}"
    if empty:
        return f"{head}: {empty}, so this table is empty."
    spread = f"mean ± std over {seeds} seeds" if seeds > 1 else "one seed"
    correction = ", Holm-corrected per architecture and collection" if significance.get("correction") == "holm" else ""
    return (
        f"{head}: each collection's official measure, {spread}; averages are over a domain's collections "
        "(one per measure where they differ). "
        f"{UP}/{DOWN}: significantly better/worse than the same architecture trained on the human corpus "
        f"of the same size (on a collection: {TESTS[significance.get('test', 'student')]} over queries on "
        f"seed-averaged scores{correction}, p < {significance.get('alpha', 0.05)}; "
        + claims_caption(significance, kinds, absent, unseen)
    ) + (f" {note}" if note else "")


def overview_table_caption(
    head: str, significance: Mapping[str, Any], unseen: Mapping[str, Sequence[str]] | None = None
) -> str:
    """The overview's caption: ``head``, then its marks (on the average columns only)."""
    return (
        f"{head} {UP}/{DOWN} (averages): significantly better/worse than the same architecture trained on "
        "the human corpus of the same size (" + claims_caption(significance, unseen=unseen)
    )


def claims_caption(
    significance: Mapping[str, Any],
    kinds: Sequence[str] = (),
    absent: Sequence[str] = (),
    unseen: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """The caption sentences of the average columns' marks, the equivalence mark, the second
    references' Δ columns and the unseen OOD average (see :func:`table_caption`); it closes a
    parenthesis its caller opened before the average test."""
    alpha = significance.get("alpha", 0.05)
    margin = significance.get("equivalence_margin", 0.01)
    holm = significance.get("correction") == "holm"
    correction = ", Holm-corrected per architecture, reference and column" if holm else ""
    text = (
        "on an average: paired bootstrap over seeds and queries, "
        f"{significance.get('resamples', 2000)} resamples{correction}, p < {alpha}). "
        f"{EQUIVALENT} (averages): equivalent to that reference within ±{margin:g} of the measure "
        f"(two one-sided tests on the same bootstrap{correction}, p < {alpha}: the {1 - 2 * alpha:.0%} "
        "interval of the difference lies inside the margin); results/significance/claims/ holds each "
        "difference with its confidence interval."
    )
    if kinds:
        text += (
            " Δ columns: the average's difference from a second reference, marked as above: "
            + "; ".join(f"Δ {k}, {SECOND_REFERENCES[k]}" for k in kinds)
            + "."
        )
    if absent:
        text += " No " + " and no ".join(ABSENT[k] for k in absent) + " in this config, so no Δ column of them."
    if unseen is not None:
        if unseen:
            names = "; ".join(f"{arch}: {', '.join(ds)}" for arch, ds in unseen.items())
            text += (
                f" OOD avg {UNSEEN}: the OOD average without the collections the row's base model was "
                f"trained on ({names}; architectures.<arch>.trained_on)."
            )
        else:
            text += (
                " No architecture's base model was trained on an out-of-domain collection of this config "
                "(architectures.<arch>.trained_on), so no OOD-unseen column."
            )
    return text


UP, DOWN = "↑", "↓"

#: a second reference's Δ column, for captions (synthrank.grid.REFERENCE_KINDS)
SECOND_REFERENCES = {
    "untuned": "the untuned base model (a bi-encoder's floor)",
    "enriched": "the human corpus an enrichment cell enriches (its human queries alone)",
    "twin": "the same passages with the other hard-negative source (the negatives ablation)",
}
#: what a config lacks when it has no test of a kind
ABSENT = {
    "untuned": "untuned bi-encoder (untuned_baseline)",
    "enriched": "enrichment cell (a mixture of a human corpus's first queries and generated passages)",
    "twin": "copy of a corpus with another hard-negative source",
}


def _shown_mark(mark: str) -> str:
    return f" {mark}" if mark else ""


def _csv_mark(mark: str) -> str:
    """A mark as the CSV writes it: ``+``/``-`` significant, ``=`` equivalent."""
    return mark.replace(UP, "+").replace(DOWN, "-").replace(EQUIVALENT, "=")


def claim_marks(
    claims: pd.DataFrame, rows: Sequence[tuple[str, str]], columns: Sequence[str], kind: str = "size"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Marks (:func:`synthrank.claims.mark`) and adjusted p-values of the claims tests of one kind
    of reference on the given (average) columns; '' and NaN where a row has no test."""
    index = pd.MultiIndex.from_tuples([tuple(r) for r in rows])
    marks = pd.DataFrame("", index=index, columns=list(columns))
    p = pd.DataFrame(float("nan"), index=index, columns=list(columns))
    for t in claims.itertuples(index=False):
        key = (t.arch, t.corpus)
        if t.kind == kind and t.unit in marks.columns and key in marks.index:
            marks.loc[key, t.unit] = mark(t, UP, DOWN)
            p.loc[key, t.unit] = float(t.p_adjusted)
    return marks, p


#: what the CSV holds of each Δ column (a column each: ``"<column> Δ <kind> <key>"``)
SECOND_NUMBERS = ("reference", "difference", "ci_low", "ci_high", "p_adj", "sig")


def second_references(
    claims: pd.DataFrame, rows: Sequence[tuple[str, str]], columns: Sequence[str]
) -> dict[str, tuple[pd.Series, pd.DataFrame]]:
    """Per second reference kind with a test among ``rows``, per average column: ``"<column> Δ
    <kind>"`` -> (display strings ``"+0.012 ↑ (human-1k)"``, numbers: difference, CI, adjusted p,
    mark) of each row ('' where a row has none)."""
    index = pd.MultiIndex.from_tuples([tuple(r) for r in rows])
    out = {}
    for kind in [k for k in REFERENCE_KINDS if k != "size"]:
        tests = claims[(claims["kind"] == kind) & claims["unit"].isin(list(columns))]
        tests = tests[[(a, c) in index for a, c in zip(tests["arch"], tests["corpus"], strict=True)]]
        if tests.empty:
            continue
        for column in columns:
            shown = pd.Series("", index=index, dtype=object)
            numbers = pd.DataFrame(index=index, columns=list(SECOND_NUMBERS))
            for t in tests[tests["unit"] == column].itertuples(index=False):
                m = mark(t, UP, DOWN)
                named = "" if kind == "untuned" else f" ({t.reference})"
                shown[(t.arch, t.corpus)] = f"{float(t.difference):+.3f}{_shown_mark(m)}{named}"
                numbers.loc[(t.arch, t.corpus)] = [
                    t.reference,
                    round(float(t.difference), 4),
                    round(float(t.ci_low), 4),
                    round(float(t.ci_high), 4),
                    float(t.p_adjusted),
                    _csv_mark(m),
                ]
            out[f"{column} Δ {kind}"] = (shown, numbers)
    return out


def per_seed_table(
    scores: pd.DataFrame,
    collections: Sequence[str],
    averages: Sequence[str],
    excluded: Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """Rows (arch, corpus, seed); columns the collections, then each domain's average.

    A domain average is the mean over all of that domain's collections within a seed (also
    those the table does not show, e.g. the ID average next to the OOD columns), one per official
    measure when the domain mixes measures (:func:`domain_average_columns`); ``excluded``: the
    OOD average without the base models' training sets (:func:`add_averages`)."""
    scores = scores.copy()
    scores["domain"] = scores["domain"].map(DOMAIN_LABELS)
    per_seed = scores.pivot_table(index=["arch", "corpus", "seed"], columns="collection", values="score")
    return add_averages(per_seed.reindex(columns=list(collections)), per_seed, scores, averages, excluded)


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
    claims: pd.DataFrame | None = None,
    excluded: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """Means and standard deviations over seeds, significance marks and adjusted p-values: the
    collections' from ``tests`` (synthrank.significance), the averages' from ``claims``
    (synthrank.claims, against the same-size human corpus), and the averages' differences from
    the second references (``"second"``, :func:`second_references`).

    Rows without any metric file (cannot happen in the workflow, whose inputs are the rows'
    metric files) are an error rather than an empty line."""
    rows = [tuple(r) for r in rows]
    per_seed = per_seed_table(scores, collections, averages, excluded)
    grouped = per_seed.groupby(level=["arch", "corpus"], sort=False)
    missing = [r for r in rows if r not in grouped.groups]
    if missing:
        raise SynthrankError(f"no metric files for {missing[0][0]} / {missing[0][1]}")
    means = grouped.mean().reindex(pd.MultiIndex.from_tuples(rows))
    stds = grouped.std(ddof=1).reindex(pd.MultiIndex.from_tuples(rows))  # NaN for one run (BM25, untuned)
    marks = significance_marks(tests, rows, collections)
    p = adjusted_p(tests, rows, collections)
    average_columns = [c for c in means.columns if c not in collections]
    second: dict[str, tuple[pd.Series, pd.DataFrame]] = {}
    if claims is not None:
        average_marks, average_p = claim_marks(claims, rows, average_columns)
        marks, p = pd.concat([marks, average_marks], axis=1), pd.concat([p, average_p], axis=1)
        second = second_references(claims, rows, average_columns)
    return {"means": means, "stds": stds, "marks": marks, "p": p, "second": second}


def _labels(index: pd.Index, marked: Collection[tuple[str, str]] = ()) -> list[str]:
    return [system_label(a, c) + _floor_mark(a, c, marked) for a, c in index]


def _cells(table: Mapping[str, Any], seeds: int) -> pd.DataFrame:
    """Display strings ``mean ± std ↑``; the LaTeX writes the mark as a superscript."""
    means, stds, marks = table["means"], table["stds"], table["marks"]
    shown = means.map(lambda v: "–" if pd.isna(v) else f"{v:.3f}")
    if seeds > 1:
        shown = shown + stds.map(lambda v: "" if pd.isna(v) else f" ± {v:.3f}")
    for col in marks.columns:
        shown[col] = shown[col] + marks[col].map(_shown_mark)
    return shown


def write_effectiveness_table(
    table: Mapping[str, Any] | None,
    facets: Mapping[str, Mapping[str, str]],
    out: Mapping[str, str],
    caption: str,
    seeds: int,
    empty: str = "",
    not_above_floor: Collection[tuple[str, str]] = (),
) -> None:
    """One table as CSV (numbers: mean, std, adjusted p, mark ``+``/``-``/``=`` equivalent; each Δ
    column's reference, difference, CI, adjusted p and mark), Markdown, LaTeX (booktabs) and HTML
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
                numbers[f"{col} sig"] = table["marks"][col].map(_csv_mark).to_numpy()
        shown = pd.concat([facet_frame, _cells(table, seeds).set_axis(marked)], axis=1)
        for column, (cells, values) in table.get("second", {}).items():
            shown[column] = cells.to_numpy()
            for key in values.columns:
                numbers[f"{column} {key}"] = values[key].to_numpy()
        n_facets = len(facet_frame.columns)
    for frame in (numbers, shown):
        frame.index.name = "system"
    tables.write_table(numbers, shown, out, caption, left_aligned=n_facets, float_format="%.4g")
