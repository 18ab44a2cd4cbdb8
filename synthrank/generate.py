"""Generating a corpus: ask a generator for passages answering each query, flag and act on them.

:func:`generate_corpus` renders each query's prompt (with its exemplars), fetches the answers
through the request cache, flags each answer (:mod:`synthrank.quality`) and keeps, drops or
regenerates it. It returns the corpus records (each carrying the prompt-template hash, the
exemplar ids, the sampling parameters and the request hash), the ledger (one line per request
ever made for the corpus, regenerations included, with tokens, cost, the model version the API
reported, the batch-job id and a timestamp) and the stats (every flag counted, and what was done
about it). Which queries and exemplars a corpus gets is :mod:`synthrank.corpora`'s business.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from synthrank.collection import normalise_text
from synthrank.errors import SynthrankError
from synthrank.exemplars import ExemplarPlan
from synthrank.generator import Generator, offline_mode
from synthrank.llm.base import Cached
from synthrank.llm.cache import RequestCache
from synthrank.prompts import PromptTemplate
from synthrank.quality import FLAGS, Quality


def _timestamp(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC).isoformat(timespec="seconds")


def generate_corpus(
    generator: Generator,
    template: PromptTemplate,
    queries: Mapping[str, str],
    cache_path: str,
    paradigm: str,
    exemplars: ExemplarPlan | None = None,
    quality: Quality | None = None,
    samples_per_query: int | None = None,
    offline: bool | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    """Ask ``generator`` for passages answering each query; returns (records, ledger, stats).

    Answers are flagged (:class:`Quality`); flagged answers are kept, dropped or regenerated
    (a new request with its own seed) as configured. Every request ever made is a ledger line.
    """
    if not queries:
        raise SynthrankError(f"{paradigm} corpus: no training queries to generate passages for")
    quality = quality or Quality.from_config(None)
    offline = offline_mode() if offline is None else offline
    n = samples_per_query or generator.samples_per_query
    shown = {qid: exemplars.for_query(qid) if exemplars else [] for qid in queries}
    prompts = {qid: template.render(queries[qid], shown[qid]) for qid in queries}
    cache = RequestCache(cache_path)
    slots = [(qid, sample) for qid in queries for sample in range(n)]
    final: dict[tuple[str, int], tuple[dict[str, Any], list[str], str]] = {}
    ledger: list[dict[str, Any]] = []
    seen: set[str] = set()
    flag_counts: Counter[str] = Counter()
    with generator.fetcher(cache, offline) as fetcher:
        todo = slots
        for attempt in range(quality.max_regenerations + 1):
            if not todo:
                break
            requests = [generator.request(prompts[qid], sample, attempt) for qid, sample in todo]
            answers = fetcher.fetch(requests, desc=f"generate {generator.name} (attempt {attempt})")
            retry: list[tuple[str, int]] = []
            for (qid, sample), request, answer in zip(todo, requests, answers, strict=True):
                entry = _ledger_entry(generator, template, qid, sample, attempt, request, answer, shown[qid])
                text = entry.pop("text")
                flags = quality.flags(text, queries[qid], entry["finish_reason"], seen)
                flag_counts.update(flags)
                action = quality.action(flags)
                last = attempt == quality.max_regenerations
                if action == "regenerate" and not last:
                    entry["status"] = "regenerated"
                    retry.append((qid, sample))
                elif action == "keep":
                    entry["status"] = "kept"
                    seen.add(normalise_text(text))
                    final[(qid, sample)] = (entry, flags, text)
                else:
                    entry["status"] = "dropped" if action == "drop" else "dropped-after-regenerations"
                entry["flags"] = flags
                ledger.append(entry)
            todo = retry
    records = []
    for qid, sample in slots:
        if (qid, sample) not in final:
            continue
        entry, flags, text = final[(qid, sample)]
        records.append(
            {
                "query_id": qid,
                "passage_id": f"{qid}.{generator.name}.{paradigm}.{sample}",
                "text": text,
                "paradigm": paradigm,
                "generator": generator.name,
                "model": generator.model,
                "model_version": entry["model_version"],
                "template": Path(template.path).name,
                "template_sha256": template.sha256,
                "exemplar_ids": entry["exemplar_ids"],
                "sampling": entry["sampling"],
                "sample": sample,
                "attempt": entry["attempt"],
                "flags": flags,
                "finish_reason": entry["finish_reason"],
                "prompt_tokens": entry["prompt_tokens"],
                "completion_tokens": entry["completion_tokens"],
                "request_sha256": entry["request_sha256"],
            }
        )
    statuses = Counter(e["status"] for e in ledger)
    stats = {
        "generator": generator.name,
        "backend": generator.backend,
        "model": generator.model,
        "model_versions": sorted({str(e["model_version"]) for e in ledger}),
        "template_sha256": template.sha256,
        "requests": len(ledger),
        "api_calls": fetcher.calls,
        "cache_hits": fetcher.cache_hits,
        "passages": len(records),
        "flags": {flag: flag_counts.get(flag, 0) for flag in FLAGS},
        "regenerated": statuses.get("regenerated", 0),
        "dropped": statuses.get("dropped", 0) + statuses.get("dropped-after-regenerations", 0),
        "prompt_tokens": sum(e["prompt_tokens"] for e in ledger),
        "completion_tokens": sum(e["completion_tokens"] for e in ledger),
        "cost_usd": round(sum(e["cost_usd"] for e in ledger), 6),
        "batch_jobs": sorted({e["batch_id"] for e in ledger if e["batch_id"]}),
    }
    if not records:
        raise SynthrankError(f"{paradigm} corpus from {generator.name}: no passage survived the quality checks")
    return records, ledger, stats


def _ledger_entry(
    generator: Generator,
    template: PromptTemplate,
    qid: str,
    sample: int,
    attempt: int,
    request: Mapping[str, Any],
    answer: Cached,
    exemplars: Sequence[Mapping[str, str]],
) -> dict[str, Any]:
    response = answer.response
    choice = response["choices"][0]
    usage = response.get("usage") or {}
    prompt_tokens = int(usage.get("prompt_tokens") or 0)
    completion_tokens = int(usage.get("completion_tokens") or 0)
    return {
        "query_id": qid,
        "sample": sample,
        "attempt": attempt,
        "text": (choice.get("message", {}).get("content") or "").strip(),
        "request_sha256": answer.key,
        "generator": generator.name,
        "backend": generator.backend,
        "model": generator.model,
        "model_version": response.get("model_version") or response.get("model"),
        "template": Path(template.path).name,
        "template_sha256": template.sha256,
        "exemplar_ids": [ex.get("query_id") or ex["passage_id"] for ex in exemplars],
        "sampling": {k: v for k, v in request.items() if k not in ("backend", "model", "messages")},
        "finish_reason": choice.get("finish_reason"),
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "cost_usd": generator.cost(prompt_tokens, completion_tokens, batch=answer.batch_id is not None),
        "batch_id": answer.batch_id,
        "timestamp": _timestamp(answer.created),
    }
