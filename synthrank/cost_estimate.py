"""What the configured grid will cost before anything is spent, and what it did cost.

:func:`estimate` renders every prompt of every generated corpus exactly as generation will
(same queries, same exemplars, same template), counts prompt tokens as characters / 4 (the
usual rule of thumb for English with GPT- and Gemini-style tokenisers; no tokeniser is
downloaded), and bounds completion tokens by ``max_tokens``. Where the request cache already
holds answers from the same model, their mean completion length gives the expected figure.
Regenerations (quality flags) are not in the estimate; the ledgers count them.

A request is paid for once: the request cache answers a request another corpus of the grid already
sent (e.g. a 1k-query corpus whose prompts are the first 1,000 of a 10k-query corpus's), so each
row counts only the requests no earlier corpus sends (``requests_paid``), in config order.

:func:`gpu_hours` adds what the grid's GPU jobs will take, per stage and architecture: the work
of every model (training examples, passages to encode, pairs to rerank) divided by the
throughput of one GPU in :data:`GPU_THROUGHPUT`, measured on an H200 where BENCHMARKS.md has the
figure and an assumption, so marked, where it has none. The test collections' sizes come from
:data:`COLLECTION_SIZES` (ir_datasets ids) or from a local BEIR folder, so the estimate needs no
download of the evaluation data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from synthrank.corpora import CorpusSpec, generation_inputs
from synthrank.io import atomic_write, write_json
from synthrank.llm.base import request_key
from synthrank.llm.cache import RequestCache
from synthrank.paradigms import MIXTURE
from synthrank.queries import training_order


def observed_completion_tokens(cache_path: str | None, model: str) -> float | None:
    """Mean completion tokens of the answers the cache holds for ``model``, if any."""
    if not cache_path:
        return None
    total = count = 0
    with RequestCache(cache_path) as cache:
        for _, stored in cache.items():
            if stored["request"].get("model") != model:
                continue
            usage = stored["response"].get("usage") or {}
            total += int(usage.get("completion_tokens") or 0)
            count += 1
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
    gpu: Mapping[str, Any] | None = None,
    evaluation: Sequence[tuple[str, str]] = (),
    dev_queries: int = 0,
) -> list[dict[str, Any]]:
    """The LLM cost rows (returned) and, given the grid's ``gpu`` workload (:func:`gpu_hours`),
    its GPU-hours per stage: both in ``out_json`` and ``out_md``. ``evaluation`` and
    ``dev_queries``: what the training-query order leaves out, as the corpus jobs' order does."""
    pool, order = training_order(queries_path, qrels_path, pool_path, max_queries, sample_seed, evaluation, dev_queries)
    rows = []
    sent: set[str] = set()  # request keys an earlier corpus of the grid sends
    for spec in specs:
        generator = spec.generator
        assert generator is not None
        queries, template, plan = generation_inputs(spec, order, pool, corpus_path, evaluation_qrels)
        n = spec.samples_per_query or generator.samples_per_query
        chars = paid = 0
        for qid, text in queries.items():
            messages = template.render(text, plan.for_query(qid) if plan else [])
            for sample in range(n):
                key = request_key(generator.request(messages, sample))
                if key not in sent:
                    sent.add(key)
                    paid += 1
                    chars += len(messages[0]["content"])
        requests = len(queries) * n
        prompt_tokens = chars // 4
        max_completion = int(generator.sampling.get("max_tokens", 256)) * paid
        observed = observed_completion_tokens(cache_path, generator.model)
        expected_completion = round(observed * paid) if observed is not None else max_completion
        batch = generator.batch is not None
        rows.append(
            {
                "corpus": spec.name,
                "paradigm": spec.paradigm,
                "generator": generator.name,
                "model": generator.model,
                "batch": batch,
                "requests": requests,
                "requests_paid": paid,
                "prompt_tokens": prompt_tokens,
                "completion_tokens_max": max_completion,
                "completion_tokens_expected": expected_completion,
                "completion_basis": "cache mean" if observed is not None else "max_tokens",
                "usd_expected": round(generator.cost(prompt_tokens, expected_completion, batch), 4),
                "usd_max": round(generator.cost(prompt_tokens, max_completion, batch), 4),
            }
        )
    gpu_rows = gpu_hours(gpu, len(order)) if gpu is not None else None
    write_json(
        out_json,
        {
            "corpora": rows,
            "total_usd_expected": round(sum(r["usd_expected"] for r in rows), 4),
            "total_usd_max": round(sum(r["usd_max"] for r in rows), 4),
            **({} if gpu_rows is None else {"gpu": gpu_rows, "total_gpu_hours": _total_hours(gpu_rows)}),
        },
    )
    _write_markdown(out_md, rows)
    if gpu_rows is not None:
        _append_gpu_markdown(out_md, gpu_rows)
    return rows


def _write_markdown(path: str, rows: Sequence[Mapping[str, Any]]) -> None:
    head = ["corpus", "generator", "requests (paid)", "prompt tokens"]
    head += ["completion tokens (expected / max)", "USD (expected / max)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        lines.append(
            f"| {r['corpus']} | {r['generator']}{' (batch)' if r['batch'] else ''} | "
            f"{r['requests']:,} ({r['requests_paid']:,}) | "
            f"{r['prompt_tokens']:,} | {r['completion_tokens_expected']:,} / {r['completion_tokens_max']:,} | "
            f"{r['usd_expected']:.4f} / {r['usd_max']:.4f} |"
        )
    total_e = sum(r["usd_expected"] for r in rows)
    total_m = sum(r["usd_max"] for r in rows)
    requests, paid = sum(r["requests"] for r in rows), sum(r["requests_paid"] for r in rows)
    lines.append(f"| **total** | | {requests:,} ({paid:,}) | | | {total_e:.4f} / {total_m:.4f} |")
    lines.append("")
    lines.append("(paid): the requests no earlier corpus sends; the request cache answers the others.")
    with atomic_write(path) as fh:
        fh.write("\n".join(lines) + "\n")


# ---------------------------------------------------------------- GPU-hours

#: (stage, architecture kind, precision) -> (items per second on one GPU, what was measured or assumed).
#: Measured: BENCHMARKS.md, "GPU throughput" (bench/gpu.py on one NVIDIA H200, 2026-11-26; models of
#: the thesis shapes - E5-base/BERT-base, MiniLM-L12-H384 - with random weights, synthetic 70-word
#: passages, batch 256 for inference, 64 with 7 hard negatives for training). The rest are assumptions.
GPU_THROUGHPUT: dict[tuple[str, str, str], tuple[float, str]] = {
    ("train", "bi-encoder", "fp32"): (99.0, "measured, H200, fp32 (queries with 7 hard negatives)"),
    ("train", "bi-encoder", "bf16"): (211.0, "measured, H200, bf16 (queries with 7 hard negatives)"),
    ("train", "bi-encoder", "fp16"): (211.0, "assumption: bf16's measured rate"),
    ("train", "cross-encoder", "fp32"): (1225.0, "measured, H200, fp32"),
    ("train", "cross-encoder", "bf16"): (1131.0, "measured, H200, bf16"),
    ("train", "cross-encoder", "fp16"): (1131.0, "assumption: bf16's measured rate"),
    ("encode", "bi-encoder", "fp32"): (1656.0, "measured, H200, fp32 (passages of ~100 tokens)"),
    ("encode", "bi-encoder", "bf16"): (1656.0, "assumption: fp32's measured rate (the bf16 figure is open)"),
    ("encode", "bi-encoder", "fp16"): (1656.0, "assumption: fp32's measured rate (the fp16 figure is open)"),
    ("rerank", "cross-encoder", "fp32"): (3113.0, "measured, H200, fp32"),
    ("rerank", "cross-encoder", "bf16"): (3313.0, "measured, H200, bf16 weights"),
    ("rerank", "cross-encoder", "fp16"): (3313.0, "assumption: bf16's measured rate"),
}


def _on_gpu(precision: str) -> str:
    """A configured precision as it runs on the estimate's GPU (``auto``: bf16, synthrank.models)."""
    return "bf16" if precision == "auto" else precision


#: the hard negatives per query of the measured bi-encoder training rate: other counts scale it
#: by (1 + 7) / (1 + count) (an assumption: a step's cost grows with its passages)
MEASURED_NEGATIVES = 7

#: ir_datasets id -> (documents of its corpus, queries of the split), from ir_datasets 0.6.3's
#: metadata (``docs_count()``, ``queries_count()``, offline; tests/test_cost_estimate.py checks
#: them against it). A dataset not listed and not a local folder is left out of the GPU-hours,
#: which then say so.
COLLECTION_SIZES: dict[str, tuple[int, int]] = {
    "msmarco-passage/train/judged": (8841823, 502939),
    "msmarco-passage/dev/small": (8841823, 6980),
    "msmarco-passage/trec-dl-2019/judged": (8841823, 43),
    "msmarco-passage/trec-dl-2020/judged": (8841823, 54),
    "beir/trec-covid": (171332, 50),
    "beir/nfcorpus/test": (3633, 323),
    "beir/nq": (2681468, 3452),
    "beir/hotpotqa/test": (5233329, 7405),
    "beir/fiqa/test": (57638, 648),
    "beir/arguana": (8674, 1406),
    "beir/webis-touche2020/v2": (382545, 49),
    "beir/cqadupstack/android": (22998, 699),
    "beir/cqadupstack/english": (40221, 1570),
    "beir/cqadupstack/gaming": (45301, 1595),
    "beir/cqadupstack/gis": (37637, 885),
    "beir/cqadupstack/mathematica": (16705, 804),
    "beir/cqadupstack/physics": (38316, 1039),
    "beir/cqadupstack/programmers": (32176, 876),
    "beir/cqadupstack/stats": (42269, 652),
    "beir/cqadupstack/tex": (68184, 2906),
    "beir/cqadupstack/unix": (47382, 1072),
    "beir/cqadupstack/webmasters": (17405, 506),
    "beir/cqadupstack/wordpress": (48605, 541),
    "beir/quora/test": (522931, 10000),
    "beir/dbpedia-entity/test": (4635922, 400),
    "beir/scidocs": (25657, 1000),
    "beir/fever/test": (5416568, 6666),
    "beir/climate-fever": (5416593, 1535),
    "beir/scifact/test": (5183, 300),
}


def collection_size(spec: Mapping[str, Any], split: str) -> tuple[int, int] | None:
    """(documents, judged queries) of a dataset's split: :data:`COLLECTION_SIZES` for an
    ir_datasets id, the files of a local BEIR folder; None when unknown."""
    if "irds" in spec:
        return COLLECTION_SIZES.get(spec["irds"].get(split, ""))
    folder = Path(spec["path"])
    corpus, qrels = folder / "corpus.jsonl", folder / "qrels" / f"{split}.tsv"
    if not corpus.is_file() or not qrels.is_file():
        return None
    with open(corpus, encoding="utf-8") as handle:
        docs = sum(1 for line in handle if line.strip())
    with open(qrels, encoding="utf-8") as handle:
        queries = {line.split("\t", 1)[0] for line in handle if line.strip()} - {"query-id"}
    return docs, len(queries)


def training_rows(workload: Mapping[str, Any], corpus: str, training_queries: int) -> int:
    """Training examples (query, passage) of a corpus: its training queries x passages per query;
    a mixture's, the sum of its components' slices."""
    corpora, limit = workload["corpora"], workload.get("max_queries") or training_queries
    limit = min(limit, training_queries)

    def queries(name: str) -> int:
        return min(corpora[name].get("queries") or limit, limit)

    def per_query(name: str) -> int:
        spec = corpora[name]
        return int(spec.get("samples_per_query") or workload["samples_per_query"].get(spec.get("generator"), 1))

    spec = corpora[corpus]
    if spec["paradigm"] != MIXTURE:
        return queries(corpus) * per_query(corpus)
    total = 0
    for part in spec["components"]:
        name, count, offset = (
            (part, None, 0) if isinstance(part, str) else (part["corpus"], part.get("queries"), part.get("offset", 0))
        )
        available = max(queries(name) - offset, 0)
        total += (available if count is None else min(count, available)) * per_query(name)
    return total


def trained_examples(kind: str, train: Mapping[str, Any], rows: int, negatives: int) -> float:
    """What training one model processes, in the unit of its measured rate: (query, passage)
    pairs for a cross-encoder, queries with their passages for a bi-encoder (its rate was measured
    with 7 hard negatives; other counts scale it by (1 + count) / 8).

    ``rows``: the corpus's (query, passage) training examples, each with ``negatives`` hard
    negatives. The trainer reads a pair per row for binary cross-entropy, else a query with its
    passages (mnrl adds ``in_batch_negatives``); it reads ``steps x batch_size`` of them under a
    step budget (``train.steps``: the same for every corpus), ``epochs`` times its set otherwise.
    """
    if kind == "cross-encoder":
        loss = str(train.get("loss", "bce"))
        in_batch = min(int(train.get("in_batch_negatives", 4)), int(train["batch_size"]) - 1)
        per_row = {"bce": 1, "mnrl": 1 + negatives + in_batch}.get(loss, 1 + negatives)
        trainer_rows = rows * (1 + negatives) if loss == "bce" else rows
    else:
        per_row, trainer_rows = 1, rows
    if "steps" in train:
        seen = float(train["steps"]) * int(train["batch_size"])
    else:
        seen = trainer_rows * float(train["epochs"])
    if kind == "cross-encoder":
        return seen * per_row
    return seen * (1 + negatives) / (1 + MEASURED_NEGATIVES)


def gpu_hours(
    workload: Mapping[str, Any],
    training_queries: int,
    rates: Mapping[tuple[str, str, str], tuple[float, str]] = GPU_THROUGHPUT,
) -> dict[str, Any]:
    """GPU-hours per stage and architecture for the grid's models.

    ``workload``: ``architectures`` (with the corpora each trains on), ``corpora``,
    ``samples_per_query`` (per generator), ``seeds``, ``max_queries``, ``hard_negatives``,
    ``datasets`` (their ``irds`` or ``path``) and ``collections`` (``<dataset>/<split>``, every
    evaluation collection), as :func:`synthrank.grid.gpu_workload` gives it; ``training_queries``:
    the judged training queries there are; ``rates``: one GPU's throughput, as
    :data:`GPU_THROUGHPUT` (bench/gpu.py passes the rates it measured)."""
    sizes = {
        c: collection_size(workload["datasets"][c.split("/")[0]], c.split("/")[1]) for c in workload["collections"]
    }
    known = {c: s for c, s in sizes.items() if s is not None}
    docs = sum(dict((c.split("/")[0], s[0]) for c, s in known.items()).values())  # each corpus once
    seeds = len(workload["seeds"])
    default_count = int(workload.get("hard_negatives", {}).get("count", 4))
    rows = []
    for arch, spec in workload["architectures"].items():
        # the GPUs estimated for compute bf16 natively (Ampere/Hopper): there ``auto`` is bf16
        kind, inference = spec["kind"], _on_gpu(spec.get("precision", "fp32"))
        train_precision = _on_gpu(spec["train"].get("precision", "fp32"))
        trained = len(spec["corpora"]) * seeds
        untuned = 1 if spec.get("untuned_baseline") else 0
        # training: every (corpus, seed) model
        examples = 0.0
        rate, basis = rates[("train", kind, train_precision)]
        for corpus in spec["corpora"]:
            count = int((workload["corpora"][corpus].get("negatives") or {}).get("count", default_count))
            corpus_rows = training_rows(workload, corpus, training_queries)
            examples += trained_examples(kind, spec["train"], corpus_rows, count) * seeds
        unit = "pairs" if kind == "cross-encoder" else "queries (x 8 passages)"
        rows.append(_gpu_row("train", arch, trained, examples, unit, rate, basis))
        models = trained + untuned
        if kind == "bi-encoder":
            rate, basis = rates[("encode", kind, inference)]
            rows.append(_gpu_row("encode", arch, models, float(models * docs), "passages", rate, basis))
        else:
            rate, basis = rates[("rerank", kind, inference)]
            pairs = sum(s[1] for s in known.values()) * int(spec["depth"])
            rows.append(_gpu_row("rerank", arch, models, float(models * pairs), "pairs", rate, basis))
    unknown = sorted(c for c, s in sizes.items() if s is None)
    return {
        "rows": rows,
        "unknown_sizes": unknown,
        "not_counted": "the search itself (faiss on the GPU, seconds per collection), query encoding, "
        "vLLM generation (not measured), job start-up and model loading",
    }


def _gpu_row(stage: str, arch: str, models: int, items: float, unit: str, rate: float, basis: str) -> dict[str, Any]:
    return {
        "stage": stage,
        "arch": arch,
        "models": models,
        "items": round(items),
        "unit": unit,
        "per_second": rate,
        "basis": basis,
        "gpu_hours": round(items / rate / 3600, 2),
    }


def _total_hours(gpu: Mapping[str, Any]) -> float:
    return round(sum(r["gpu_hours"] for r in gpu["rows"]), 2)


STAGES = {"train": "training", "encode": "encoding test corpora", "rerank": "reranking test queries"}


def _append_gpu_markdown(path: str, gpu: Mapping[str, Any]) -> None:
    """The GPU-hours section after the LLM table of ``estimate.md``."""
    lines = [
        "",
        "GPU-hours (one GPU per job; work of every model / the rate of one GPU):",
        "",
        "| stage | architecture | models | work | per GPU-second | GPU-hours |",
        "|---|---|---|---|---|---|",
    ]
    for r in gpu["rows"]:
        lines.append(
            f"| {STAGES[r['stage']]} | {r['arch']} | {r['models']:,} | {r['items']:,} {r['unit']} | "
            f"{r['per_second']:,.0f} ({r['basis']}) | {r['gpu_hours']:,.2f} |"
        )
    lines.append(f"| **total** | | | | | {_total_hours(gpu):,.2f} |")
    lines.append("")
    lines.append(
        "Rates: synthrank.cost_estimate.GPU_THROUGHPUT (measured: BENCHMARKS.md, GPU throughput). "
        f"Not counted: {gpu['not_counted']}."
    )
    if gpu["unknown_sizes"]:
        lines.append(f"Left out, sizes unknown: {', '.join(gpu['unknown_sizes'])} (add them to COLLECTION_SIZES).")
    with open(path, encoding="utf-8") as handle:
        head = handle.read()
    with atomic_write(path) as fh:
        fh.write(head + "\n".join(lines) + "\n")
