"""Did each trained model learn? Its in-domain effectiveness against its floor, and its training
loss against a constant predictor's.

A model's *floor* (:func:`synthrank.grid.floor_of`) is what it scores without having learned
from its corpus:

- a cross-encoder's, a random order of the BM25 candidates it reranks (the ``<arch> / random``
  row, ``random_baseline``): a reranker that does not clear it significantly has learned nothing;
- a bi-encoder's, its untuned base model (the ``<arch> / untuned`` row, ``untuned_baseline``):
  E5 was already fine-tuned on MS MARCO by its authors, so a bi-encoder that does not differ from
  it significantly was not moved by its corpus, and "competitive with human" would then only mean
  "nothing moved".

Two products. :func:`floor_tests` tests each table row (architecture, corpus; seed-averaged
per-query scores, as the tables' significance tests) against its floor on every in-domain
collection; the tables mark a row that is not significantly above it (:data:`NOT_ABOVE_FLOOR`).
:func:`model_checks` checks each trained model (one seed) on its own: the same paired test on its
scores, BM25's beside them, and its final training loss against the loss of a constant predictor
(:func:`synthrank.train.constant_loss`, recorded in the model folder's ``training.json``);
:func:`write_training_check` writes them as ``results/checks/training.json`` and a Markdown table
of one line per model. Neither stops the workflow: a cell that did not learn is a result, and the
tables say so.

The test is the tables' (ranx's paired Student's t-test or Fisher's randomization test,
:func:`synthrank.significance.paired_test`, two-sided); "significantly above" is ``p < alpha``
with a positive difference. It is not corrected for multiple comparisons: each row's question
("did this model learn?") is its own, and a correction would only mark more rows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from synthrank.errors import SynthrankError
from synthrank.io import atomic_write, read_json, write_json
from synthrank.models import TRAINING_RECORD
from synthrank.significance import paired_test, read_test_tables, seed_averaged, write_tests

#: the tables' mark of a row not significantly above its floor in domain
NOT_ABOVE_FLOOR = "†"

#: what a floor row is, for captions and the check's Markdown
FLOOR_WORDS = {"random": "a random order of its candidates", "untuned": "the untuned base model"}


FLOOR_COLUMNS = [
    "arch",
    "corpus",
    "floor",
    "collection",
    "metric",
    "queries",
    "seeds",
    "mean",
    "floor_mean",
    "difference",
    "p_value",
    "above_floor",
]


def _above(difference: float, p: float, alpha: float) -> bool:
    return bool(difference > 0 and p < alpha)


def floor_tests(
    entries: Sequence[Mapping[str, Any]],
    floors: Mapping[str, str | None],
    stat_test: str = "student",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """One row per (arch, trained corpus, collection) of ``entries`` (metric-file entries as in
    :func:`synthrank.report.collect_scores`, in-domain collections, the floors' own included):
    seed-averaged per-query scores against the floor's, and whether they are significantly above.

    ``floors`` maps an architecture to its floor corpus (None: no floor configured; its rows are
    kept with ``above_floor`` empty, and no table marks them)."""
    scores = seed_averaged(entries)
    seeds: dict[tuple[str, str, str], int] = {}
    metrics: dict[str, str] = {}
    for entry in entries:
        key = (entry["arch"], entry["corpus"], entry["collection"])
        seeds[key] = seeds.get(key, 0) + 1
        metrics[entry["collection"]] = entry["metric"]
    rows = []
    for (arch, corpus, collection), values in scores.items():
        floor = floors.get(arch)
        if corpus == floor or arch not in floors:
            continue
        row: dict[str, Any] = {
            "arch": arch,
            "corpus": corpus,
            "floor": floor or "",
            "collection": collection,
            "metric": metrics[collection],
            "queries": len(values),
            "seeds": seeds[(arch, corpus, collection)],
            "mean": float(values.mean()),
            "floor_mean": math.nan,
            "difference": math.nan,
            "p_value": math.nan,
            "above_floor": None,
        }
        if floor:
            base = scores.get((arch, floor, collection))
            if base is None:
                raise SynthrankError(f"{arch}/{corpus} on {collection}: no metric file of its floor {arch}/{floor}")
            base = _aligned(base, values, f"{arch}/{corpus} on {collection}", f"its floor {floor}")
            p = paired_test(base.to_numpy(), values.to_numpy(), metrics[collection], stat_test, alpha)
            difference = float(values.mean() - base.mean())
            row.update(floor_mean=float(base.mean()), difference=difference, p_value=p)
            row["above_floor"] = _above(difference, p, alpha)
        rows.append(row)
    return pd.DataFrame(rows, columns=FLOOR_COLUMNS)


def _aligned(base: pd.Series, values: pd.Series, what: str, other: str) -> pd.Series:
    if set(base.index) != set(values.index):
        raise SynthrankError(f"{what}: scored on {len(values)} queries, {other} on {len(base)} (re-run the evaluation)")
    return base.reindex(values.index)


#: the floor tests' CSV is written as the significance tests' is
write_floor_tests = write_tests


def read_floor_tests(paths: Sequence[str]) -> pd.DataFrame:
    return read_test_tables(paths, FLOOR_COLUMNS, ("arch", "corpus", "floor"))


def not_above_floor(tests: pd.DataFrame) -> set[tuple[str, str]]:
    """The rows (arch, corpus) not significantly above their floor on some in-domain collection
    (rows without a floor are not among them: nothing was tested)."""
    return {
        (str(row.arch), str(row.corpus))
        for row in tests.itertuples(index=False)
        if str(row.floor if isinstance(row.floor, str) else "") and not _truthy(row.above_floor)
    }


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("true", "1", "1.0")


def floor_caption(tests: pd.DataFrame, significance: Mapping[str, Any]) -> str:
    """The caption sentence of the :data:`NOT_ABOVE_FLOOR` mark ('' where nothing was tested)."""
    floors = sorted({str(f) for f in tests["floor"].fillna("") if str(f)})
    if not floors:
        return ""
    what = "; ".join(FLOOR_WORDS.get(f, f) for f in floors)
    return (
        f" {NOT_ABOVE_FLOOR}: not significantly above its floor ({what}) on every in-domain collection "
        f"(paired test over queries on seed-averaged scores, p < {significance.get('alpha', 0.05)}, "
        "uncorrected): the row may not have learned from its corpus (results/checks/training.json)."
    )


# ---------------------------------------------------------------- per model


def _per_query(path: str, metric: str) -> pd.Series:
    values = read_json(path).get("per_query", {}).get(metric)
    if not values:
        raise SynthrankError(f"{path}: no per-query values for {metric} (re-run its evaluation)")
    return pd.Series(values, dtype=float).sort_index()


def _mean(path: str, metric: str) -> float:
    data = read_json(path)
    if metric not in data.get("metrics", {}):
        raise SynthrankError(f"{path}: no value for {metric} (re-run its evaluation)")
    return float(data["metrics"][metric])


def model_checks(
    models: Sequence[Mapping[str, Any]], stat_test: str = "student", alpha: float = 0.05
) -> list[dict[str, Any]]:
    """One record per trained model: its training record's numbers, and per in-domain collection
    its official measure against its floor's (paired test over queries) with BM25's beside it.

    Each of ``models`` has ``arch``, ``corpus``, ``seed``, ``model`` (its folder), ``floor`` (the
    floor corpus or None) and ``collections``: ``collection``, ``metric``, ``path`` (its metric
    file), ``floor_path`` (None without a floor) and ``bm25_path``."""
    out = []
    for model in models:
        record_path = Path(model["model"]) / TRAINING_RECORD
        if not record_path.is_file():
            raise SynthrankError(f"{record_path}: no training record (retrain the model)")
        record = read_json(record_path)
        collections = []
        for c in model["collections"]:
            metric = c["metric"]
            scores = _per_query(c["path"], metric)
            entry: dict[str, Any] = {
                "collection": c["collection"],
                "metric": metric,
                "score": _mean(c["path"], metric),
                "bm25": _mean(c["bm25_path"], metric) if c.get("bm25_path") else None,
                "floor": None,
                "difference": None,
                "p_value": None,
                "above_floor": None,
            }
            if c.get("floor_path"):
                where = f"{model['arch']}/{model['corpus']}/seed{model['seed']} on {c['collection']}"
                base = _aligned(_per_query(c["floor_path"], metric), scores, where, f"its floor {model['floor']}")
                p = paired_test(base.to_numpy(), scores.to_numpy(), metric, stat_test, alpha)
                difference = float(np.mean(scores.to_numpy()) - np.mean(base.to_numpy()))
                entry.update(
                    floor=_mean(c["floor_path"], metric),
                    difference=difference,
                    p_value=p,
                    above_floor=_above(difference, p, alpha),
                )
            collections.append(entry)
        tested = [c["above_floor"] for c in collections if c["above_floor"] is not None]
        learned = all(tested) if tested and model.get("floor") else None
        verdict = (
            "no floor configured"
            if learned is None
            else ("above its floor" if learned else "not significantly above its floor")
        )
        out.append(
            {
                "arch": model["arch"],
                "corpus": model["corpus"],
                "seed": model["seed"],
                "floor": model.get("floor"),
                "steps": record.get("steps"),
                "rows_seen": record.get("rows_seen"),
                "passes": record.get("passes"),
                "loss": record.get("loss"),
                "final_loss": record.get("final_loss"),
                "constant_loss": record.get("constant_loss"),
                "final_below_constant": record.get("final_below_constant"),
                "collections": collections,
                "learned": learned,
                "verdict": verdict,
            }
        )
    return out


def _num(value: Any, digits: int = 3) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def training_markdown(checks: Sequence[Mapping[str, Any]]) -> str:
    """One line per model: steps, passes, final against constant loss, and per in-domain
    collection its score, its floor's with the p-value, BM25's; then the verdict."""
    lines = [
        "| model | steps | passes | final loss / constant | in domain: score vs floor (p), BM25 | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for c in checks:
        scores = "; ".join(
            f"{x['collection']} {x['metric']} {_num(x['score'])} vs {_num(x['floor'])} "
            f"(p={_num(x['p_value'], 3)}), BM25 {_num(x['bm25'])}"
            for x in c["collections"]
        )
        loss = f"{_num(c['final_loss'])} / {_num(c['constant_loss'])}"
        verdict = c["verdict"] + ("" if c["final_below_constant"] is not False else "; loss not below constant")
        floor = f" (floor: {c['floor']})" if c["floor"] else ""
        lines.append(
            f"| {c['arch']} / {c['corpus']} / seed{c['seed']}{floor} | {c['steps']} | {_num(c['passes'], 2)} "
            f"| {loss} | {scores} | {verdict} |"
        )
    return "\n".join(lines) + "\n"


def write_training_check(
    checks: Sequence[Mapping[str, Any]], json_path: str, markdown_path: str, significance: Mapping[str, Any]
) -> None:
    summary = {
        "models": len(checks),
        "above_floor": sum(1 for c in checks if c["learned"]),
        "not_above_floor": sum(1 for c in checks if c["learned"] is False),
        "no_floor": sum(1 for c in checks if c["learned"] is None),
        "loss_not_below_constant": sum(1 for c in checks if c["final_below_constant"] is False),
    }
    write_json(
        json_path,
        {
            "test": significance.get("test", "student"),
            "alpha": significance.get("alpha", 0.05),
            "summary": summary,
            "models": list(checks),
        },
    )
    with atomic_write(markdown_path) as handle:
        handle.write(training_markdown(checks))
