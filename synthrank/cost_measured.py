"""What each corpus and model cost: LLM tokens and dollars (from the corpora's stats ledgers), the
annotation of the human-judged queries a corpus needs (``costs.annotation_per_query`` of the
config x :func:`annotated_queries`), and compute hours (from the ``benchmark:`` files Snakemake
writes for every job). The caption says how each generator is priced (:func:`pricing_modes`).

Hours are wall-clock hours of the jobs (Snakemake's ``s`` column / 3600): on the thesis cluster
every GPU job holds one GPU, so they are GPU-hours there; on the demo they are CPU wall hours.
A mixture is charged the share of each component corpus it uses (component queries / the
component's queries): all corpora take the first N queries of the same seeded order, so
generating only that prefix would have cost exactly that share.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from synthrank import tables
from synthrank.errors import SynthrankError
from synthrank.grid import covered
from synthrank.io import read_json
from synthrank.paradigms import HUMAN, PARADIGMS, RELEASE
from synthrank.pricing import DEFAULT_BATCH_DISCOUNT, usd

FREE_BACKENDS = ("local", "vllm")  # self-hosted: no API bill (the GPU time is in the hours)
#: the columns a mixture is charged its share of, per component (the share of its queries it uses)
SHARED = ("prompt tokens", "completion tokens", "USD", "annotation USD", "corpus h")


def benchmark_seconds(path: str) -> float:
    """Wall seconds of one job from its Snakemake benchmark TSV (mean over repeats)."""
    try:
        frame = pd.read_csv(path, sep="\t")
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise SynthrankError(f"{path}: not a Snakemake benchmark file ({exc})") from None
    if "s" not in frame.columns or frame.empty:
        raise SynthrankError(f"{path}: no 's' column (not a Snakemake benchmark file)")
    return float(frame["s"].mean())


def api_dollars(stats: Mapping[str, Any], generator: Mapping[str, Any] | None) -> float:
    """The corpus's API bill: its ledger's ``cost_usd``, else tokens x the configured price.

    Human corpora and self-hosted generators cost no dollars; an API generator without a price
    and without ``cost_usd`` in the ledger is unknown (NaN), never a silent 0."""
    if stats.get("cost_usd") is not None:
        return float(stats["cost_usd"])
    if generator is None or generator.get("backend") in FREE_BACKENDS:
        return 0.0
    price = generator.get("price")
    if not price:
        return math.nan
    # a batch generator's requests were answered by its Batch API: the discounted price
    batch = generator.get("batch") is not None
    return usd(price, stats.get("prompt_tokens", 0), stats.get("completion_tokens", 0), batch)


def annotated_queries(paradigm: str, stats: Mapping[str, Any]) -> float:
    """The human-judged training queries a corpus needs: a human corpus's queries (its positives
    are their judged passages), a few-shot-supervised corpus's labelled exemplar pool (its
    stats' ``exemplars.pool``), none for a corpus whose prompts show no label. A release corpus
    counts as the paradigm its released stats name."""
    if paradigm == RELEASE:
        paradigm = str(stats.get("paradigm", RELEASE))
    if paradigm == HUMAN:
        return float(stats.get("queries", math.nan))
    if paradigm in PARADIGMS and PARADIGMS[paradigm].exemplars == "pairs":
        return float((stats.get("exemplars") or {}).get("pool", math.nan))
    return 0.0


def corpus_costs(corpora: Sequence[Mapping[str, Any]], annotation_per_query: float = 0.0) -> pd.DataFrame:
    """One row per corpus: queries, passages, tokens, API dollars, annotation dollars
    (:func:`annotated_queries` x ``annotation_per_query``), corpus and training-set hours.

    Each item: ``name``, ``paradigm``, ``generator`` (its config incl. ``backend`` and
    ``price``, or None), ``stats`` (the ledger path; None for a mixture), ``corpus_benchmark``
    (None for a mixture), ``trainset_benchmark`` and, for a mixture, ``components``
    (``[{corpus, queries}]``, queries None for the whole corpus)."""
    rows: dict[str, dict[str, Any]] = {}
    for item in corpora:
        if item.get("components"):
            continue
        stats = read_json(item["stats"])
        rows[item["name"]] = {
            "paradigm": item["paradigm"],
            "generator": (item.get("generator") or {}).get("name", "-"),
            "queries": stats.get("queries", math.nan),
            "passages": stats.get("passages", math.nan),
            "prompt tokens": stats.get("prompt_tokens", 0) or 0,
            "completion tokens": stats.get("completion_tokens", 0) or 0,
            "USD": api_dollars(stats, item.get("generator")),
            "annotation USD": annotated_queries(item["paradigm"], stats) * annotation_per_query,
            "corpus h": benchmark_seconds(item["corpus_benchmark"]) / 3600,
        }
    for item in corpora:
        if not item.get("components"):
            continue
        row = {"paradigm": item["paradigm"], "generator": set(), "queries": 0.0, "passages": 0.0}
        for key in SHARED:
            row[key] = 0.0
        slices = []
        for part in item["components"]:
            if part["corpus"] not in rows:
                raise SynthrankError(f"mixture {item['name']}: component {part['corpus']!r} has no cost row")
            inner = rows[part["corpus"]]
            # the component's slice of the training order, within the queries the component answers
            offset = int(part.get("offset", 0))
            end = inner["queries"] if part.get("queries") is None else offset + part["queries"]
            end = min(end, inner["queries"])
            share = max(0.0, end - offset) / inner["queries"] if inner["queries"] else 0.0
            slices.append((offset, max(offset, int(end))))
            row["passages"] += share * inner["passages"]
            for key in SHARED:
                row[key] += share * inner[key]
            if inner["generator"] != "-":
                row["generator"].add(inner["generator"])
        row["generator"] = ", ".join(sorted(row["generator"])) or "-"
        row["queries"] = float(covered(slices) or 0)  # the distinct training queries of its slices
        rows[item["name"]] = row
    for item in corpora:
        rows[item["name"]]["training set h"] = benchmark_seconds(item["trainset_benchmark"]) / 3600
    frame = pd.DataFrame.from_dict(rows, orient="index").reindex([item["name"] for item in corpora])
    frame.index.name = "corpus"
    return frame


def model_hours(models: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Per (arch, corpus): training and inference hours summed over seeds, and the seed count.

    Each item: ``arch``, ``corpus``, ``seed``, ``train_benchmark`` and ``inference_benchmarks``
    (one file per test collection, plus the embedding shards a bi-encoder's runs read)."""
    rows = [
        {
            "arch": m["arch"],
            "corpus": m["corpus"],
            "training h": benchmark_seconds(m["train_benchmark"]) / 3600,
            "inference h": sum(benchmark_seconds(path) for path in m["inference_benchmarks"]) / 3600,
        }
        for m in models
    ]
    frame = pd.DataFrame(rows, columns=["arch", "corpus", "training h", "inference h"])
    grouped = frame.groupby(["arch", "corpus"], sort=False)
    out = grouped[["training h", "inference h"]].sum()
    out["seeds"] = grouped.size()
    return out


def cost_table(
    corpora: Sequence[Mapping[str, Any]], models: Sequence[Mapping[str, Any]], annotation_per_query: float = 0.0
) -> pd.DataFrame:
    """The cost table: per corpus, its own costs, then each architecture's training and inference
    hours (all seeds) on it."""
    table = corpus_costs(corpora, annotation_per_query)
    hours = model_hours(models)
    for arch in dict.fromkeys(hours.index.get_level_values("arch")):
        per_arch = hours.xs(arch, level="arch")
        table[f"{arch} training h"] = per_arch["training h"].reindex(table.index)
        table[f"{arch} inference h"] = per_arch["inference h"].reindex(table.index)
    return table


def model_costs(table: pd.DataFrame, archs: Sequence[str], seeds: int) -> pd.DataFrame:
    """Per (arch, corpus): the dollars and hours one model costs (corpus, training set, one seed's training)."""
    rows = []
    for arch in archs:
        column = f"{arch} training h"
        if column not in table.columns:
            continue
        for corpus, row in table.iterrows():
            rows.append(
                {
                    "arch": arch,
                    "corpus": corpus,
                    "usd": row["USD"],
                    "hours": row["corpus h"] + row["training set h"] + row[column] / max(1, seeds),
                }
            )
    return pd.DataFrame(rows, columns=["arch", "corpus", "usd", "hours"])


def _shown(table: pd.DataFrame) -> pd.DataFrame:
    """The cost table's display strings: counts with thousands separators, dollars, hours."""
    shown = table.copy().astype(object)
    for col in table.columns:
        values = table[col]
        if col in ("queries", "passages", "prompt tokens", "completion tokens"):
            shown[col] = values.map(lambda v: "–" if pd.isna(v) else f"{round(v):,}")
        elif col in ("USD", "annotation USD"):
            shown[col] = values.map(lambda v: "n/a" if pd.isna(v) else f"{v:,.2f}")
        elif col.endswith(" h"):
            shown[col] = values.map(lambda v: "–" if pd.isna(v) else f"{v:.3f}")
    return shown


def write_cost_table(table: pd.DataFrame, out: Mapping[str, str], caption: str) -> None:
    """The cost table (:func:`cost_table`) in every format of ``out``, like the effectiveness
    tables (see :func:`synthrank.tables.write_table`); paradigm and generator are label columns."""
    tables.write_table(table, _shown(table), out, caption, left_aligned=2, float_format="%.6g")


def pricing_modes(generators: Mapping[str, Mapping[str, Any]]) -> str:
    """How each generator's API dollars are priced, for the cost table's caption: through its
    Batch API (``batch:`` set; the price times ``batch_discount``), online (the list price), or
    self-hosted (no API bill). ``generators``: name -> its config."""
    modes = []
    for name, gen in generators.items():
        if gen.get("backend") in FREE_BACKENDS:
            modes.append(f"{name} self-hosted (no API bill; its GPU time is in the hours)")
        elif not gen.get("price"):
            modes.append(f"{name} unpriced (n/a unless its ledger has cost_usd)")
        elif gen.get("batch") is not None:
            factor = gen["price"].get("batch_discount", DEFAULT_BATCH_DISCOUNT)
            modes.append(f"{name} through its Batch API (x{factor:g} the online price)")
        else:
            modes.append(f"{name} online (its list price)")
    return "; ".join(modes)


def cost_caption(generators: Mapping[str, Mapping[str, Any]], costs: Mapping[str, Any]) -> str:
    """The cost table's caption: what each column counts, how each generator is priced
    (:func:`pricing_modes`) and where the annotation price comes from (``costs`` of the config)."""
    per_query = float(costs.get("annotation_per_query", 0.0))
    priced = pricing_modes(generators)
    return (
        "Cost per training corpus: LLM tokens and API dollars (USD) from the corpus ledgers (a mixture: "
        "the share of each component it uses)"
        + (f", priced as: {priced}" if priced else "")
        + f". Annotation USD: ${per_query:g} per human-judged training query (source: "
        f"{costs.get('source', 'not configured')}) x the judged queries a corpus needs (a human corpus's "
        "queries, a few-shot-supervised corpus's labelled exemplars). Hours: wall-clock hours of the jobs "
        "(Snakemake benchmark files; GPU-hours on one-GPU jobs): building the corpus, mining its training "
        "set, and per architecture training and inference summed over the seeds."
    )
