"""Paired significance tests of every tuned model against the human-corpus model (ranx).

Unit of analysis: the query. For each architecture and test collection, a model trained on
corpus C is compared with the model of the same architecture trained on C's reference human
corpus (the human corpus with the same number of training queries, see ``synthrank.grid``).
Seeds are averaged per query first: each system's score for a query is the mean of that
query's score over the training seeds (the seeds a row of the tables averages), and the test
pairs these seed-averaged per-query scores. Pairing seed s with seed s instead would give one
p-value per seed and no single mark per table cell; averaging removes most of the
training-seed noise from each query's score while the test still runs over the queries.

The test is ranx's (two-sided paired Student's t-test by default, or Fisher's randomization
test), on the per-query values the evaluation step stored with ranx. It is called through
``ranx.statistical_tests.compute_statistical_significance``, the function ``ranx.compare`` runs
after scoring: ``compare`` takes run files and scores them again, which would neither reuse the
stored per-query values nor allow averaging them over seeds. The p-values of one
family - one architecture on one collection, every corpus against its reference - are then
adjusted with Holm's step-down method; ranx has no multiple-comparison correction, see
``holm``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from synthrank.errors import SynthrankError
from synthrank.io import atomic_write, read_json

COLUMNS = [
    "arch",
    "corpus",
    "reference",
    "collection",
    "metric",
    "queries",
    "seeds",
    "mean",
    "reference_mean",
    "difference",
    "p_value",
    "p_adjusted",
    "significant",
]


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values (step-down; monotone; capped at 1).

    Written here because neither ranx nor scipy offers it (scipy.stats.false_discovery_control
    only does Benjamini-Hochberg/Yekutieli), and statsmodels, which does, would be a large
    dependency for these few lines; the unit test checks it against hand-computed values.
    A NaN p-value (a test that could not be computed) stays NaN and does not count.
    """
    indexed = sorted((p, i) for i, p in enumerate(p_values) if not math.isnan(p))
    m = len(indexed)
    adjusted = [math.nan] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(indexed):
        running = max(running, min(1.0, (m - rank) * p))
        adjusted[i] = running
    return adjusted


def per_seed_scores(entries: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str, str], pd.DataFrame]:
    """(arch, corpus, collection) -> per-query scores of the collection's measure, one column per
    seed (queries sorted): what these tests and the claims' bootstrap (synthrank.claims) read."""
    grouped: dict[tuple[str, str, str], dict[Any, pd.Series]] = defaultdict(dict)
    for entry in entries:
        values = read_json(entry["path"]).get("per_query", {}).get(entry["metric"])
        if not values:
            raise SynthrankError(f"{entry['path']}: no per-query values for {entry['metric']} (re-run its evaluation)")
        grouped[(entry["arch"], entry["corpus"], entry["collection"])][entry["seed"]] = pd.Series(values, dtype=float)
    out = {}
    for (arch, corpus, collection), seeds in grouped.items():
        frame = pd.concat(seeds, axis=1).sort_index()
        if frame.isna().any().any():
            raise SynthrankError(
                f"{arch}/{corpus} on {collection}: seeds' metric files cover different queries (re-run the evaluation)"
            )
        out[(arch, corpus, collection)] = frame
    return out


def seed_averaged(entries: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str, str], pd.Series]:
    """(arch, corpus, collection) -> per-query scores of the collection's measure, averaged over seeds."""
    return {key: frame.mean(axis=1) for key, frame in per_seed_scores(entries).items()}


def paired_test(reference: np.ndarray, treatment: np.ndarray, metric: str, stat_test: str, alpha: float) -> float:
    """The p-value of ranx's paired test (the one ``ranx.compare`` runs) on two aligned score arrays."""
    from ranx.statistical_tests import compute_statistical_significance

    if stat_test not in ("student", "fisher"):
        raise SynthrankError(f"significance test {stat_test!r} is not one of student, fisher")
    if np.array_equal(reference, treatment):
        return 1.0  # identical rankings: no difference (the t statistic would be 0/0)
    result = compute_statistical_significance(
        model_names=["reference", "treatment"],
        metric_scores={"reference": {metric: reference}, "treatment": {metric: treatment}},
        stat_test=stat_test,
        max_p=alpha,
    )
    p = float(result[frozenset(["reference", "treatment"])][metric]["p_value"])
    return 1.0 if math.isnan(p) else p


def significance_tests(
    entries: Sequence[Mapping[str, Any]],
    references: Mapping[str, str | None],
    stat_test: str = "student",
    alpha: float = 0.05,
    correction: str = "holm",
) -> pd.DataFrame:
    """One row per (arch, corpus, collection) with a reference: means, p-value, adjusted p-value.

    ``entries`` are metric-file entries as in ``synthrank.report.collect_scores`` (``path``,
    ``arch``, ``corpus``, ``seed``, ``collection``, ``metric``); ``references`` maps a corpus
    to its reference corpus (None or absent: not tested). ``significant`` is
    ``p_adjusted < alpha``.
    """
    scores = seed_averaged(entries)
    seeds: dict[tuple[str, str, str], int] = defaultdict(int)
    metrics: dict[str, str] = {}
    for entry in entries:
        seeds[(entry["arch"], entry["corpus"], entry["collection"])] += 1
        metrics[entry["collection"]] = entry["metric"]
    rows = []
    for (arch, corpus, collection), values in scores.items():
        reference = references.get(corpus)
        if not reference:
            continue
        ref_values = scores.get((arch, reference, collection))
        if ref_values is None:
            raise SynthrankError(f"{arch}/{corpus} on {collection}: no metric files of its reference {reference}")
        if list(ref_values.index) != list(values.index):
            raise SynthrankError(
                f"{arch}/{corpus} on {collection}: scored on {len(values)} queries, "
                f"its reference {reference} on {len(ref_values)} (re-run the evaluation)"
            )
        metric = metrics[collection]
        p = paired_test(ref_values.to_numpy(), values.to_numpy(), metric, stat_test, alpha)
        rows.append(
            {
                "arch": arch,
                "corpus": corpus,
                "reference": reference,
                "collection": collection,
                "metric": metric,
                "queries": len(values),
                "seeds": seeds[(arch, corpus, collection)],
                "mean": float(values.mean()),
                "reference_mean": float(ref_values.mean()),
                "difference": float(values.mean() - ref_values.mean()),
                "p_value": p,
            }
        )
    table = pd.DataFrame(rows, columns=COLUMNS[:-2])
    if correction == "holm":
        adjusted = table.groupby(["arch", "collection"], sort=False)["p_value"].transform(lambda p: holm(list(p)))
    elif correction == "none":
        adjusted = table["p_value"]
    else:
        raise SynthrankError(f"multiple-comparison correction {correction!r} is not one of holm, none")
    table["p_adjusted"] = adjusted.astype(float)
    table["significant"] = table["p_adjusted"] < alpha
    return table


def write_tests(table: pd.DataFrame, path: str) -> None:
    with atomic_write(path) as handle:
        table.to_csv(handle, index=False, float_format="%.6g")


def read_tests(paths: Sequence[str]) -> pd.DataFrame:
    return read_test_tables(paths, COLUMNS, ("arch", "corpus", "reference"))


def read_test_tables(paths: Sequence[str], columns: Sequence[str], names: Sequence[str]) -> pd.DataFrame:
    """Test tables (CSV) as one frame, ``names`` read as text (a corpus called "1k" stays a name);
    no row at all: an empty frame of ``columns``."""
    frames = [pd.read_csv(p, dtype=dict.fromkeys(names, str)) for p in paths]
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(columns))
