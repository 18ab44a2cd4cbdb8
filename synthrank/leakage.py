"""Leakage checks for generated corpora (targets under ``results/leakage/``).

Two questions a reviewer asks of a synthetic corpus:

1. Did a prompt ever show an evaluation query? The few-shot-supervised exemplars must be
   disjoint from every evaluation query (by normalised text, and by id within the same
   dataset); an overlap fails the target. Few-shot-unsupervised exemplar passages must not be
   passages judged for an evaluation query of the same collection.
2. Did the generator reproduce evaluation answers? The fraction of generated passages that share
   an ``n``-gram (13 by default, the contamination test of Brown et al., 2020) with a passage
   judged relevant for an evaluation query, per collection - reported, not failed. Only judged
   passages are scanned: they are what could inflate a score, and they keep the check
   proportional to the qrels, not to an 8.8M-passage corpus.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from synthrank.collection import normalise_text, passage_text
from synthrank.errors import SynthrankError
from synthrank.io import iter_jsonl, read_qrels, read_texts, write_json

log = logging.getLogger(__name__)


def ngrams(text: str, n: int) -> Iterator[tuple[str, ...]]:
    tokens = normalise_text(text).split()
    for i in range(len(tokens) - n + 1):
        yield tuple(tokens[i : i + n])


def judged_texts(corpus_path: str, qrels_path: str) -> dict[str, str]:
    """The texts of the passages judged relevant (grade > 0) in a qrels file, streamed."""
    wanted = {docid for docs in read_qrels(qrels_path).values() for docid, grade in docs.items() if grade > 0}
    return {str(d["_id"]): passage_text(d) for d in iter_jsonl(corpus_path, ("_id", "text")) if d["_id"] in wanted}


def ngram_overlap(passages: Iterable[Mapping[str, Any]], judged: Mapping[str, str], n: int) -> dict[str, Any]:
    index: dict[tuple[str, ...], str] = {}
    for docid, text in judged.items():
        for gram in ngrams(text, n):
            index.setdefault(gram, docid)
    total = hits = 0
    examples = []
    for record in passages:
        total += 1
        for gram in ngrams(record["text"], n):
            if gram in index:
                hits += 1
                if len(examples) < 5:
                    example = {"passage_id": record["passage_id"], "doc_id": index[gram], "ngram": " ".join(gram)}
                    examples.append(example)
                break
    return {"passages": total, "overlapping": hits, "fraction": hits / total if total else 0.0, "examples": examples}


def leakage_report(
    corpus_path: str,
    out_path: str,
    collections: Sequence[Mapping[str, str]],
    train_dataset: str,
    paradigm: str,
    pool_path: str | None = None,
    n: int = 13,
) -> dict[str, Any]:
    """Check one generated corpus against every evaluation collection; write the report.

    ``collections``: ``{"name", "dataset", "corpus", "queries", "qrels"}`` per evaluation collection.
    """
    records = list(iter_jsonl(corpus_path, ("query_id", "passage_id", "text")))
    shown = sorted({ex for r in records for ex in r.get("exemplar_ids") or []})
    report: dict[str, Any] = {"corpus": corpus_path, "paradigm": paradigm, "ngram": n, "exemplars_shown": len(shown)}
    pool = {p["query_id"]: p["query"] for p in iter_jsonl(pool_path, ("query_id", "query"))} if pool_path else {}
    problems = []
    per_collection = {}
    for coll in collections:
        qrels = read_qrels(coll["qrels"])
        queries = read_texts(coll["queries"])
        eval_texts = {normalise_text(queries[qid]): qid for qid in qrels if qid in queries}
        entry: dict[str, Any] = {}
        if paradigm == "few-shot-supervised":
            same_id = [q for q in shown if coll["dataset"] == train_dataset and q in qrels]
            same_text = [q for q in shown if normalise_text(pool.get(q, "")) in eval_texts]
            entry["exemplar_queries_in_evaluation"] = sorted(set(same_id) | set(same_text))
            if entry["exemplar_queries_in_evaluation"]:
                problems.append(f"exemplar query {entry['exemplar_queries_in_evaluation'][0]!r} is in {coll['name']}")
        elif paradigm == "few-shot-unsupervised" and coll["dataset"] == train_dataset:
            judged = {docid for docs in qrels.values() for docid in docs}
            leaked = sorted(set(shown) & judged)
            entry["exemplar_passages_judged"] = leaked
            if leaked:
                problems.append(f"exemplar passage {leaked[0]!r} is judged in {coll['name']}")
        entry |= ngram_overlap(records, judged_texts(coll["corpus"], coll["qrels"]), n)
        per_collection[coll["name"]] = entry
        log.info(
            "%s vs %s: %d of %d passages share a %d-gram",
            corpus_path,
            coll["name"],
            entry["overlapping"],
            entry["passages"],
            n,
        )
    report["collections"] = per_collection
    report["problems"] = problems
    write_json(out_path, report)
    if problems:
        # Snakemake deletes a failed job's outputs; its log stays, so the whole report goes there too
        log.error("leakage report (the target fails): %s", json.dumps(report, indent=1))
        more = f" and {len(problems) - 1} more" if len(problems) > 1 else ""
        raise SynthrankError(f"{corpus_path}: leakage: {problems[0]}{more} (the full report is in the job's log)")
    return report
