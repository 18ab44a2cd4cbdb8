"""Expected-score checks in the style of Pyserini's two-click reproductions.

The config's ``expected.bm25`` lists reference scores per BM25 parameter setting::

    expected:
      bm25:
        - k1: 0.9
          b: 0.4
          tolerance: 1.0e-4
          source: Pyserini BEIR (v1.0.0) BM25 flat
          scores:
            beir-scifact/test: {ndcg@10: 0.6789}

Every setting whose k1/b equal the workflow's ``bm25`` section is checked against the BM25
metric files the workflow produced; a value further than ``tolerance`` from the expected one
fails the check, one line per mismatch. Settings for other parameters are listed as not
applicable (the thesis config keeps the k1=0.82/b=0.68 MS MARCO reference next to the default
one); expectations none of which apply are an error, so a changed ``bm25`` section cannot turn
the check into a silent no-op.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from synthrank.errors import SynthrankError
from synthrank.io import read_json, write_json


def applicable(expected: Sequence[Mapping[str, Any]], bm25: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The expectation sets made with the workflow's BM25 parameters."""
    return [
        e
        for e in expected
        if math.isclose(e["k1"], bm25["k1"], abs_tol=1e-9) and math.isclose(e["b"], bm25["b"], abs_tol=1e-9)
    ]


def check_bm25(
    expected: Sequence[Mapping[str, Any]], bm25: Mapping[str, Any], metric_files: Mapping[str, str]
) -> dict[str, Any]:
    """Compare the BM25 metric files (collection -> path) with the applicable expectations.

    Returns the check record; raises ``SynthrankError`` listing every mismatch, one per line."""
    sets = applicable(expected, bm25)
    if not sets:
        raise SynthrankError(
            f"expected.bm25: no expected scores for the configured BM25 (k1={bm25['k1']}, b={bm25['b']}); "
            "add them or remove the expectations"
        )
    checked, mismatches = [], []
    for exp in sets:
        tolerance = float(exp.get("tolerance", 1e-4))
        for collection, values in exp["scores"].items():
            if collection not in metric_files:
                raise SynthrankError(f"expected.bm25: {collection} is not an evaluated collection")
            path = metric_files[collection]
            measured_all = read_json(path).get("metrics", {})
            for metric, value in values.items():
                if metric not in measured_all:
                    raise SynthrankError(f"{path}: no value for {metric} (add it to evaluation.metrics)")
                measured = float(measured_all[metric])
                diff = measured - float(value)
                ok = abs(diff) <= tolerance + 1e-12
                checked.append(
                    {
                        "collection": collection,
                        "metric": metric,
                        "expected": float(value),
                        "measured": measured,
                        "difference": round(diff, 6),
                        "tolerance": tolerance,
                        "source": exp.get("source", ""),
                        "ok": ok,
                    }
                )
                if not ok:
                    mismatches.append(
                        f"BM25 {collection} {metric}: measured {measured:.4f}, expected {float(value):.4f} "
                        f"± {tolerance:g} (k1={bm25['k1']}, b={bm25['b']}; {path})"
                    )
    if mismatches:
        raise SynthrankError(
            f"{len(mismatches)} of {len(checked)} BM25 scores differ from the expected values:\n  "
            + "\n  ".join(mismatches)
        )
    others = [
        {"k1": e["k1"], "b": e["b"], "collections": sorted(e["scores"]), "source": e.get("source", "")}
        for e in expected
        if e not in sets
    ]
    return {"bm25": {"k1": bm25["k1"], "b": bm25["b"]}, "checked": checked, "not_applicable": others}


def run_check(
    expected: Sequence[Mapping[str, Any]], bm25: Mapping[str, Any], metric_files: Mapping[str, str], out: str
) -> None:
    write_json(out, check_bm25(expected, bm25, metric_files))
