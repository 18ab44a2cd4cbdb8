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

``expected.dense`` does the same for untuned bi-encoders (``results/checks/dense.json``): an
entry names the settings its published numbers were made with (``base_model``, the query and
passage prefixes, the inference ``max_length``) and is checked on the ``untuned`` metric files of
every bi-encoder architecture with ``untuned_baseline`` and those settings; entries that match no
architecture are listed as not applicable, and none matching is an error. Published numbers come
from other code (the model's own evaluation: another precision, padding, library versions), so
their tolerance is wider than BM25's and the config says why.
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
    checked: list[dict[str, Any]] = []
    mismatches: list[str] = []
    for exp in sets:
        _compare(exp, 1e-4, metric_files, "bm25", "BM25", f"k1={bm25['k1']}, b={bm25['b']}", checked, mismatches)
    _raise_mismatches(mismatches, checked, "BM25")
    others = [
        {"k1": e["k1"], "b": e["b"], "collections": sorted(e["scores"]), "source": e.get("source", "")}
        for e in expected
        if e not in sets
    ]
    return {"bm25": {"k1": bm25["k1"], "b": bm25["b"]}, "checked": checked, "not_applicable": others}


def _compare(
    exp: Mapping[str, Any],
    default_tolerance: float,
    metric_files: Mapping[str, str],
    kind: str,
    label: str,
    settings: str,
    checked: list[dict[str, Any]],
    mismatches: list[str],
) -> None:
    """Compare one expectation set with the metric files (collection -> path), appending to
    ``checked`` a record per value and to ``mismatches`` a line per value off by more than the
    tolerance."""
    tolerance = float(exp.get("tolerance", default_tolerance))
    for collection, values in exp["scores"].items():
        if collection not in metric_files:
            raise SynthrankError(f"expected.{kind}: {collection} is not an evaluated collection")
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
                    f"{label} {collection} {metric}: measured {measured:.4f}, expected {float(value):.4f} "
                    f"± {tolerance:g} ({settings}; {path})"
                )


def _raise_mismatches(mismatches: Sequence[str], checked: Sequence[Any], what: str) -> None:
    if mismatches:
        raise SynthrankError(
            f"{len(mismatches)} of {len(checked)} {what} scores differ from the expected values:\n  "
            + "\n  ".join(mismatches)
        )


#: the settings an ``expected.dense`` entry names and a bi-encoder architecture must share
DENSE_SETTINGS = ("base_model", "query_prefix", "passage_prefix", "max_length")


def dense_settings(arch: Mapping[str, Any]) -> dict[str, Any]:
    """What an untuned bi-encoder's scores depend on, from its architecture's config (the
    inference ``max_length`` filled in by :func:`synthrank.config.validate`), and its precision."""
    return {key: arch.get(key, "") for key in DENSE_SETTINGS} | {"precision": arch.get("precision", "fp32")}


def dense_applies(exp: Mapping[str, Any], settings: Mapping[str, Any]) -> bool:
    """Whether an ``expected.dense`` entry was made with an architecture's settings (an entry
    without ``max_length`` matches any)."""
    same = all(exp.get(key, "") == settings[key] for key in ("base_model", "query_prefix", "passage_prefix"))
    return same and exp.get("max_length", settings["max_length"]) == settings["max_length"]


def dense_checked(
    expected: Sequence[Mapping[str, Any]], architectures: Mapping[str, Mapping[str, Any]]
) -> dict[str, list[str]]:
    """Architecture -> the collections its untuned scores are checked on, for every bi-encoder
    architecture with ``untuned_baseline`` that an expectation applies to (the check's inputs)."""
    out: dict[str, list[str]] = {}
    for name, arch in architectures.items():
        if arch.get("kind") != "bi-encoder" or not arch.get("untuned_baseline"):
            continue
        settings = dense_settings(arch)
        collections = [c for e in expected if dense_applies(e, settings) for c in e["scores"]]
        if collections:
            out[name] = list(dict.fromkeys(collections))
    return out


def check_dense(
    expected: Sequence[Mapping[str, Any]],
    architectures: Mapping[str, Mapping[str, Any]],
    metric_files: Mapping[str, Mapping[str, str]],
) -> dict[str, Any]:
    """Compare the untuned bi-encoders' metric files (architecture -> collection -> path) with the
    expectations made with their settings (``architectures``: name -> :func:`dense_settings`).

    Returns the check record; raises ``SynthrankError`` listing every mismatch, one per line."""
    checked: list[dict[str, Any]] = []
    mismatches: list[str] = []
    applied: set[int] = set()
    for name, settings in architectures.items():
        described = f"untuned {settings['base_model']}, max_length {settings['max_length']}, {settings['precision']}"
        for i, exp in enumerate(expected):
            if not dense_applies(exp, settings):
                continue
            applied.add(i)
            start = len(checked)
            _compare(exp, 0.01, metric_files.get(name, {}), "dense", name, described, checked, mismatches)
            for record in checked[start:]:
                record["arch"] = name
    if not applied:
        raise SynthrankError(
            "expected.dense: no bi-encoder architecture with untuned_baseline has the settings of an expectation "
            f"({', '.join(DENSE_SETTINGS)}; architectures: {dict(architectures)}); add them or remove the expectations"
        )
    _raise_mismatches(mismatches, checked, "untuned bi-encoder")
    others = [
        {key: exp.get(key) for key in DENSE_SETTINGS}
        | {"collections": sorted(exp["scores"]), "source": exp.get("source", "")}
        for i, exp in enumerate(expected)
        if i not in applied
    ]
    return {"architectures": dict(architectures), "checked": checked, "not_applicable": others}


def run_dense_check(
    expected: Sequence[Mapping[str, Any]],
    architectures: Mapping[str, Mapping[str, Any]],
    metric_files: Mapping[str, Mapping[str, str]],
    out: str,
) -> None:
    write_json(out, check_dense(expected, architectures, metric_files))


def run_check(
    expected: Sequence[Mapping[str, Any]], bm25: Mapping[str, Any], metric_files: Mapping[str, str], out: str
) -> None:
    write_json(out, check_bm25(expected, bm25, metric_files))
