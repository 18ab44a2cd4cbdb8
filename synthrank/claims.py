"""Tests of the claims' unit: each corpus against its references on every collection and on the
domain averages (ID, OOD, OOD without the base model's training sets), with the difference's
confidence interval and an equivalence test.

The abstract's claims are about domain averages ("stronger out of distribution"), and "competitive"
or "no gain" are claims of equivalence, which a non-significant difference does not make.

Method: a paired two-stage bootstrap, chosen over a t-test for three reasons. (1) Seed variance
enters the inference: each replicate draws the training seeds of each system with replacement
(treatment and reference independently: seed s of one corpus and seed s of another are
different trainings, not a pair) and then the queries of each collection with replacement (the
same queries for both systems: the pairing). A t-test on seed-averaged scores, as the per-collection
tests (synthrank.significance) run, treats the 3 seeds' training randomness as fixed. (2) A domain
average is a mean over collections of different sizes and variances (43 TREC DL queries next to
6,980 MS MARCO dev queries): resampling queries within each collection keeps each collection's
own variance and its weight in the average, where a t-test over collections would have 3 ID
"observations". (3) The statistic is exactly the tables' number: a row's average cell is the mean
over seeds of the mean over the domain's collections, and so is every replicate's.

Each replicate's value is a bilinear form, seed weights x per-seed-query scores x query weights
(resampling counts divided by their totals), so one matrix product per collection gives every
system's replicates at once, with the same query draws for all systems of an architecture
(common random numbers). The random generator is seeded (``significance.bootstrap_seed``) and
the number of replicates configured (``significance.resamples``): the CSV is byte-reproducible.

From the replicates d* of the difference d (corpus minus reference):

- the ``1 - alpha`` percentile interval of d (``ci_low``, ``ci_high``);
- the two-sided p-value of "d = 0" by inverting that interval, ``2 min(P*(d* <= 0), P*(d* >= 0))``
  (counts + 1 over replicates + 1, so that no p is 0), Holm-adjusted over one family: one
  architecture, one kind of reference, one column (as the per-collection tests);
- equivalence within the margin m (``significance.equivalence_margin``, in the collection's
  measure) by two one-sided tests (TOST): ``max(P*(d* <= -m), P*(d* >= m))``, the same counting;
  equivalent when its Holm-adjusted value is below alpha, which is the ``1 - 2 alpha`` percentile
  interval lying inside (-m, m). A difference can be both significant and equivalent (small but
  certain); a row with a wide interval is neither: the data do not decide.

With 3 seeds a seed draw takes one of 10 multisets, so the seed part of the variance is estimated
coarsely (and, as any plug-in bootstrap of few units, a little low: by (S-1)/S); the README says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from synthrank.errors import SynthrankError
from synthrank.significance import holm, per_seed_scores, read_test_tables, write_tests

#: the tables' marks on an average column: better/worse (synthrank.report's UP/DOWN) and equivalent
EQUIVALENT = "≈"

#: the suffix of a domain average's column without the base model's training sets
UNSEEN = "unseen"

COLUMNS = [
    "arch",
    "corpus",
    "reference",
    "kind",
    "unit",
    "collections",
    "metric",
    "seeds",
    "reference_seeds",
    "queries",
    "mean",
    "reference_mean",
    "difference",
    "ci_low",
    "ci_high",
    "p_value",
    "p_adjusted",
    "significant",
    "margin",
    "tost_p",
    "tost_adjusted",
    "equivalent",
]


def weights(rng: np.random.Generator, resamples: int, n: int) -> np.ndarray:
    """``resamples`` bootstrap draws of n units as weights (counts / n), one row per draw.

    Drawn as indices and counted (numpy's multinomial over n equal cells is ~40x slower at
    13k queries: it draws a binomial per cell)."""
    drawn = rng.integers(0, n, size=(resamples, n))
    drawn += n * np.arange(resamples)[:, None]  # row r's draws counted in cells r*n..r*n+n-1
    counts = np.bincount(drawn.ravel(), minlength=resamples * n).reshape(resamples, n).astype(float)
    counts /= n
    return counts


def _with_observed(draws: np.ndarray) -> np.ndarray:
    """Equal weights (the observed value) as row 0, then the draws."""
    return np.vstack([np.full(draws.shape[1], 1.0 / draws.shape[1]), draws])


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


def domain_units(
    collections: Mapping[str, tuple[str, str]], excluded: Sequence[str] = ()
) -> dict[str, tuple[list[str], str]]:
    """The test units: every collection on its own, and each domain's average column(s) as the
    tables name them (:func:`domain_average_columns`: one per measure where a domain
    mixes measures); with ``excluded`` datasets (the base model's ``trained_on``), the out-of-domain
    averages again without the collections of those datasets (``"OOD avg unseen"``), where any is
    among them. ``collections``: collection -> (domain label ``ID``/``OOD``, its measure)."""
    units: dict[str, tuple[list[str], str]] = {c: ([c], metric) for c, (_, metric) in collections.items()}
    frame = pd.DataFrame([(c, d, m) for c, (d, m) in collections.items()], columns=["collection", "domain", "metric"])
    for domain in ("ID", "OOD"):
        for column, cols in domain_average_columns(frame, domain).items():
            if cols:
                units[column] = (cols, collections[cols[0]][1])
            kept = [c for c in cols if c.split("/")[0] not in set(excluded)]
            if domain == "OOD" and kept and len(kept) < len(cols):
                units[f"{column} {UNSEEN}"] = (kept, collections[cols[0]][1])
    return units


def bootstrap(
    scores: Mapping[tuple[str, str], pd.DataFrame],
    resamples: int,
    seed: int,
) -> dict[tuple[str, str], np.ndarray]:
    """(system, collection) -> each replicate's score of that system on that collection (the mean
    over drawn seeds of the mean over drawn queries), the observed value first.

    ``scores``: (system, collection) -> per-query scores (rows: queries, columns: seeds). All
    systems of one collection must cover the same queries (the pairing); every system draws its
    seeds once per replicate, for all collections alike (a seed is one trained model)."""
    rng = np.random.default_rng(seed)
    systems = list(dict.fromkeys(s for s, _ in scores))
    n_seeds = {s: next(f.shape[1] for (t, _), f in scores.items() if t == s) for s in systems}
    seed_w = {s: _with_observed(weights(rng, resamples, n_seeds[s])) for s in systems}
    out = {}
    for collection in dict.fromkeys(c for _, c in scores):
        members = [(s, f) for (s, c), f in scores.items() if c == collection]
        index = members[0][1].index
        for s, f in members:
            if list(f.index) != list(index):
                raise SynthrankError(
                    f"{s} on {collection}: scored on {len(f)} queries, {members[0][0]} on {len(index)} "
                    "(re-run the evaluation)"
                )
        query_w = _with_observed(weights(rng, resamples, len(index)))
        # one product for every system's seeds: (1 + resamples) x seeds, each seed's mean over drawn queries
        per_seed = query_w @ np.hstack([f.to_numpy() for _, f in members])
        start = 0
        for s, f in members:
            block = per_seed[:, start : start + f.shape[1]]
            start += f.shape[1]
            out[(s, collection)] = np.einsum("rs,rs->r", block, seed_w[s])
    return out


def _p(count: int, resamples: int) -> float:
    return (count + 1) / (resamples + 1)


def compare(difference: np.ndarray, alpha: float, margin: float) -> dict[str, float]:
    """The observed difference (``difference[0]``), its ``1 - alpha`` percentile interval, the
    two-sided p-value of no difference and the TOST p-value of equivalence within ``margin``,
    from the replicates ``difference[1:]`` (see the module docstring)."""
    observed, draws = float(difference[0]), difference[1:]
    n = len(draws)
    low, high = np.quantile(draws, [alpha / 2, 1 - alpha / 2])
    p = min(1.0, 2 * min(_p(int((draws <= 0).sum()), n), _p(int((draws >= 0).sum()), n)))
    tost = max(_p(int((draws <= -margin).sum()), n), _p(int((draws >= margin).sum()), n))
    return {"difference": observed, "ci_low": float(low), "ci_high": float(high), "p_value": p, "tost_p": tost}


def claims_tests(
    entries: Sequence[Mapping[str, Any]],
    references: Sequence[Sequence[str]],
    *,
    excluded: Mapping[str, Sequence[str]] | None = None,
    alpha: float = 0.05,
    margin: float = 0.01,
    resamples: int = 2000,
    seed: int = 0,
    correction: str = "holm",
) -> pd.DataFrame:
    """One row per (arch, corpus, reference, unit): the bootstrap test of the difference and of
    equivalence (module docstring).

    ``entries``: metric-file entries as in synthrank.report.collect_scores (``path``, ``arch``,
    ``corpus``, ``seed``, ``collection``, ``domain``, ``metric``). ``references``: (arch, corpus,
    reference, kind) tests (synthrank.grid.references); ``excluded``: arch -> the datasets its
    base model was trained on (``trained_on``)."""
    if correction not in ("holm", "none"):
        raise SynthrankError(f"multiple-comparison correction {correction!r} is not one of holm, none")
    labels = {"in_domain": "ID", "out_of_domain": "OOD"}
    collections = {e["collection"]: (labels[e["domain"]], e["metric"]) for e in entries}
    frames = per_seed_scores(entries)
    rows = []
    for arch in dict.fromkeys(r[0] for r in references):
        tests = [tuple(r) for r in references if r[0] == arch]
        systems = {name for _, corpus, ref, _ in tests for name in (corpus, ref)}
        scores = {(s, c): f for (a, s, c), f in frames.items() if a == arch and s in systems}
        for s in systems:
            if not any(t == s for t, _ in scores):
                raise SynthrankError(f"{arch}/{s}: no metric files (a reference of {arch}'s tests)")
        draws = bootstrap(scores, resamples, seed)
        units = domain_units(collections, (excluded or {}).get(arch, ()))
        for _, corpus, ref, kind in tests:
            for unit, (cols, metric) in units.items():
                value = np.mean([draws[(corpus, c)] for c in cols], axis=0)
                base = np.mean([draws[(ref, c)] for c in cols], axis=0)
                result = compare(value - base, alpha, margin)
                rows.append(
                    {
                        "arch": arch,
                        "corpus": corpus,
                        "reference": ref,
                        "kind": kind,
                        "unit": unit,
                        "collections": len(cols),
                        "metric": metric,
                        "seeds": scores[(corpus, cols[0])].shape[1],
                        "reference_seeds": scores[(ref, cols[0])].shape[1],
                        "queries": sum(len(scores[(corpus, c)]) for c in cols),
                        "mean": float(value[0]),
                        "reference_mean": float(base[0]),
                        **result,
                        "margin": margin,
                    }
                )
    decided = ("p_adjusted", "significant", "tost_adjusted", "equivalent")
    table = pd.DataFrame(rows, columns=[c for c in COLUMNS if c not in decided])
    family = ["arch", "kind", "unit"]
    for p, adjusted in (("p_value", "p_adjusted"), ("tost_p", "tost_adjusted")):
        if correction == "holm" and not table.empty:
            table[adjusted] = table.groupby(family, sort=False)[p].transform(lambda x: holm(list(x))).astype(float)
        else:
            table[adjusted] = table[p].astype(float)
    table["significant"] = table["p_adjusted"] < alpha
    table["equivalent"] = table["tost_adjusted"] < alpha
    return table[COLUMNS]


#: the claims tests' CSV is written as the significance tests' is
write_claims = write_tests


def read_claims(paths: Sequence[str]) -> pd.DataFrame:
    return read_test_tables(paths, COLUMNS, ("arch", "corpus", "reference", "kind", "unit"))


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("true", "1", "1.0")


def mark(row: Any, up: str, down: str) -> str:
    """A test row's mark: ``up``/``down`` where significant, :data:`EQUIVALENT` where equivalent,
    both where both ('' where neither)."""
    out = ""
    if _truthy(row.significant):
        out += up if float(row.difference) > 0 else down
    if _truthy(row.equivalent):
        out += EQUIVALENT
    return out
