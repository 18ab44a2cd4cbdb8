"""What the configured grid will cost before anything is spent, and what it did cost.

:func:`estimate` renders every prompt of every generated corpus exactly as generation will
(same queries, same exemplars, same template), counts prompt tokens as characters / 4 (the
usual rule of thumb for English with GPT- and Gemini-style tokenisers; no tokeniser is
downloaded), and bounds completion tokens by ``max_tokens``. Where the request cache already
holds answers from the same model, their mean completion length gives the expected figure.
Regenerations (quality flags) are not in the estimate; the ledgers count them.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from synthrank.corpora import CorpusSpec, generation_inputs
from synthrank.io import atomic_write, write_json
from synthrank.queries import training_order


def observed_completion_tokens(cache_path: str | None, model: str) -> float | None:
    """Mean completion tokens of the answers the cache holds for ``model``, if any."""
    if not cache_path or not Path(cache_path).is_file():
        return None
    conn = sqlite3.connect(f"file:{cache_path}?mode=ro", uri=True)
    try:
        total = count = 0
        for request, response in conn.execute("SELECT request, response FROM responses"):
            if json.loads(request).get("model") != model:
                continue
            usage = json.loads(response).get("usage") or {}
            total += int(usage.get("completion_tokens") or 0)
            count += 1
    finally:
        conn.close()
    return total / count if count else None


def estimate(
    specs: Sequence[CorpusSpec],
    out_json: str,
    out_md: str,
    corpus_path: str,
    queries_path: str,
    qrels_path: str,
    pool_path: str | None = None,
    max_queries: int | None = None,
    sample_seed: int = 0,
    evaluation_qrels: Sequence[str] = (),
    cache_path: str | None = None,
) -> list[dict[str, Any]]:
    pool, order = training_order(queries_path, qrels_path, pool_path, max_queries, sample_seed)
    rows = []
    for spec in specs:
        generator = spec.generator
        assert generator is not None
        queries, template, plan = generation_inputs(spec, order, pool, corpus_path, evaluation_qrels)
        n = spec.samples_per_query or generator.samples_per_query
        chars = 0
        for qid, text in queries.items():
            chars += len(template.render(text, plan.for_query(qid) if plan else [])[0]["content"])
        requests = len(queries) * n
        prompt_tokens = chars // 4 * n
        max_completion = int(generator.sampling.get("max_tokens", 256)) * requests
        observed = observed_completion_tokens(cache_path, generator.model)
        expected_completion = round(observed * requests) if observed is not None else max_completion
        batch = generator.batch is not None
        rows.append(
            {
                "corpus": spec.name,
                "paradigm": spec.paradigm,
                "generator": generator.name,
                "model": generator.model,
                "batch": batch,
                "requests": requests,
                "prompt_tokens": prompt_tokens,
                "completion_tokens_max": max_completion,
                "completion_tokens_expected": expected_completion,
                "completion_basis": "cache mean" if observed is not None else "max_tokens",
                "usd_expected": round(generator.cost(prompt_tokens, expected_completion, batch), 4),
                "usd_max": round(generator.cost(prompt_tokens, max_completion, batch), 4),
            }
        )
    write_json(
        out_json,
        {
            "corpora": rows,
            "total_usd_expected": round(sum(r["usd_expected"] for r in rows), 4),
            "total_usd_max": round(sum(r["usd_max"] for r in rows), 4),
        },
    )
    _write_markdown(out_md, rows)
    return rows


def _write_markdown(path: str, rows: Sequence[Mapping[str, Any]]) -> None:
    head = ["corpus", "generator", "requests", "prompt tokens"]
    head += ["completion tokens (expected / max)", "USD (expected / max)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        lines.append(
            f"| {r['corpus']} | {r['generator']}{' (batch)' if r['batch'] else ''} | {r['requests']:,} | "
            f"{r['prompt_tokens']:,} | {r['completion_tokens_expected']:,} / {r['completion_tokens_max']:,} | "
            f"{r['usd_expected']:.4f} / {r['usd_max']:.4f} |"
        )
    total_e = sum(r["usd_expected"] for r in rows)
    total_m = sum(r["usd_max"] for r in rows)
    lines.append(f"| **total** | | {sum(r['requests'] for r in rows):,} | | | {total_e:.4f} / {total_m:.4f} |")
    with atomic_write(path) as fh:
        fh.write("\n".join(lines) + "\n")
