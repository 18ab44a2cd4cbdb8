"""The corpus analysis as a reader sees it: the corpus-statistics table and the examples page.

The statistics are :mod:`synthrank.corpus_stats`' (one JSON file per corpus, plus the judge's
verdict); the table is written by :func:`synthrank.tables.write_table` like every other table. The
examples page shows, for a seeded sample of training queries, the human passage and each other
corpus's passage side by side, with the exemplars a few-shot prompt showed (Markdown, and HTML for
the report).
"""

from __future__ import annotations

import html
import random
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from synthrank.collection import passage_text
from synthrank.errors import SynthrankError
from synthrank.io import atomic_write, iter_jsonl, iter_jsonl_lines, quoted, read_json, read_texts
from synthrank.paradigms import PARADIGMS
from synthrank.tables import write_table

#: the table's value columns: (CSV column, shown header, digits)
COLUMNS = (
    ("passages", "passages", 0),
    ("queries", "queries", 0),
    ("length_mean", "length mean", 1),
    ("length_median", "length median", 1),
    ("length_p5", "length p5", 0),
    ("length_p95", "length p95", 0),
    ("query_overlap", "query overlap", 3),
    ("distinct_1", "distinct-1", 3),
    ("distinct_2", "distinct-2", 3),
    ("near_duplicates", "near-duplicates", 3),
    ("novelty", "novelty vs human", 3),
    ("answered", "answers its query", 3),
    ("judge_mrr", "judge MRR", 3),
)


def corpus_rows(
    corpora: Mapping[str, Mapping[str, Any]], stats: Mapping[str, str], verdicts: Mapping[str, str]
) -> pd.DataFrame:
    """One row per corpus (config order): its facets, every statistic, the judge and the quality flags.

    ``corpora``: corpus -> {paradigm, generator}; ``stats``/``verdicts``: corpus -> the files of
    :func:`synthrank.corpus_stats.corpus_statistics` and :func:`~synthrank.corpus_stats.embed_sample`."""
    rows = []
    for name, facets in corpora.items():
        s, v = read_json(stats[name]), read_json(verdicts[name])
        flags = s.get("flags") or {}
        rows.append(
            {
                "corpus": name,
                "paradigm": facets["paradigm"],
                "generator": facets.get("generator") or "",
                "passages": s["passages"],
                "queries": s["queries"],
                "length_mean": s["length"]["mean"],
                "length_median": s["length"]["median"],
                "length_p5": s["length"]["p5"],
                "length_p95": s["length"]["p95"],
                "query_overlap": s["query_overlap"],
                "distinct_1": s["distinct_1"],
                "distinct_2": s["distinct_2"],
                "near_duplicates": s["near_duplicates"],
                "novelty": s["novelty"],
                "answered": v["answered"],
                "judge_mrr": v["mrr"],
                "judge_sample": v["sample"],
                "flags": ", ".join(f"{flag} {count}" for flag, count in sorted(flags.items()) if count) or "none",
            }
        )
    return pd.DataFrame(rows).set_index("corpus")


def _cell(value: Any, digits: int) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    return f"{value:,.{digits}f}" if digits else f"{round(value):,}"


def write_corpus_table(rows: pd.DataFrame, out: Mapping[str, str], caption: str) -> None:
    """The corpus-statistics table in every format (numbers in the CSV, display strings elsewhere)."""
    shown = pd.DataFrame(index=rows.index)
    shown["paradigm"] = rows["paradigm"]
    shown["generator"] = rows["generator"]
    for column, header, digits in COLUMNS:
        shown[header] = [_cell(v, digits) for v in rows[column].astype(object)]
    shown["quality flags"] = rows["flags"]
    shown.index.name = "corpus"
    write_table(rows.round(6), shown, out, caption, left_aligned=2)


# ---------------------------------------------------------------- the examples page


def example_queries(corpora: Mapping[str, str], count: int, seed: int) -> list[str]:
    """A seeded sample of ``count`` training queries that every corpus answers (if none is common to
    all, those of the first corpus), in sample order."""
    answered = [{str(r["query_id"]) for r in iter_jsonl(path, ("query_id",))} for path in corpora.values()]
    if not answered:
        raise SynthrankError("examples: no corpus")
    common = set.intersection(*answered) or answered[0]
    ordered = sorted(common)
    return random.Random(seed).sample(ordered, min(count, len(ordered)))


def _first_passages(path: str, wanted: set[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for _, record in iter_jsonl_lines(path, ("query_id", "passage_id", "text")):
        if str(record["query_id"]) in wanted:
            out.setdefault(str(record["query_id"]), record)
    return out


def examples(
    corpora: Mapping[str, Mapping[str, str]],
    queries_path: str,
    count: int,
    seed: int,
    pool_path: str | None = None,
    collection_path: str | None = None,
) -> list[dict[str, Any]]:
    """The examples: per sampled query, its text and each corpus's passage with its prompt's exemplars
    (corpora of one paradigm with the same passage and exemplars for the query share one entry,
    ``corpus`` naming them all, e.g. ``"human, human-1k"``).

    ``corpora``: corpus -> {path, paradigm} (config order); ``pool_path``: the labelled exemplar pool
    (few-shot-supervised exemplars); ``collection_path``: the training collection (few-shot-
    unsupervised exemplars)."""
    qids = example_queries({n: c["path"] for n, c in corpora.items()}, count, seed)
    texts = read_texts(queries_path)
    wanted = set(qids)
    passages = {name: _first_passages(c["path"], wanted) for name, c in corpora.items()}
    exemplar_ids = {str(i) for found in passages.values() for r in found.values() for i in r.get("exemplar_ids") or []}
    pool = {}
    if pool_path and exemplar_ids:
        pool = {str(r["query_id"]): r for r in iter_jsonl(pool_path, ("query_id", "query", "passage"))}
    collection = {}
    kinds = {PARADIGMS[c["paradigm"]].exemplars for c in corpora.values()}
    if collection_path and exemplar_ids and "passages" in kinds:
        collection = {
            str(d["_id"]): passage_text(d)
            for d in iter_jsonl(collection_path, ("_id", "text"))
            if str(d["_id"]) in exemplar_ids
        }
    out = []
    for qid in qids:
        if qid not in texts:
            raise SynthrankError(f"{queries_path}: query {quoted(qid)} of the corpora is not in it")
        entries = []
        for name, spec in corpora.items():
            record = passages[name].get(qid)
            kind = PARADIGMS[spec["paradigm"]].exemplars
            shown = []
            for ident in (record or {}).get("exemplar_ids") or []:
                if kind == "pairs" and str(ident) in pool:
                    shown.append({"query": pool[str(ident)]["query"], "passage": pool[str(ident)]["passage"]})
                elif kind == "passages" and str(ident) in collection:
                    shown.append({"query": None, "passage": collection[str(ident)]})
                else:
                    raise SynthrankError(f"{spec['path']}: exemplar {quoted(ident)} of query {quoted(qid)} not found")
            text = None if record is None else record["text"]
            same = [
                e for e in entries if (e["paradigm"], e["passage"], e["exemplars"]) == (spec["paradigm"], text, shown)
            ]
            if same:  # e.g. human and human-1k, or a 1k corpus answered from its 10k corpus's requests
                same[0]["corpus"] += f", {name}"
                continue
            entries.append({"corpus": name, "paradigm": spec["paradigm"], "passage": text, "exemplars": shown})
        out.append({"query_id": qid, "query": texts[qid], "corpora": entries})
    return out


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.strip().splitlines() or [""])


def examples_markdown(found: Sequence[Mapping[str, Any]], caption: str) -> str:
    lines = ["# Corpus examples", "", caption, ""]
    for example in found:
        lines += [f"## Query {example['query_id']}: {example['query']}", ""]
        for entry in example["corpora"]:
            lines += [f"### {entry['corpus']} ({entry['paradigm']})", ""]
            lines += [_quote(entry["passage"]) if entry["passage"] is not None else "*(no passage for this query)*", ""]
            for i, ex in enumerate(entry["exemplars"], start=1):
                head = f"Exemplar {i} shown in the prompt" + (f" (query: {ex['query']})" if ex["query"] else "")
                lines += [f"*{head}:*", "", _quote(ex["passage"]), ""]
    return "\n".join(lines).rstrip() + "\n"


def examples_html(found: Sequence[Mapping[str, Any]], caption: str) -> str:
    style = (
        "body{font-family:sans-serif;font-size:13px;max-width:1400px}"
        " .row{display:flex;gap:10px;align-items:flex-start}"
        " .cell{flex:1;border:1px solid #ddd;padding:6px} .ex{color:#555;font-size:12px;border-top:1px dashed #ccc}"
        " h3{font-size:13px;margin:0 0 4px 0}"
    )
    parts = [f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><style>{style}</style></head><body>']
    parts.append(f"<p>{html.escape(caption)}</p>")
    for example in found:
        parts.append(f"<h2>Query {html.escape(example['query_id'])}: {html.escape(example['query'])}</h2>")
        parts.append('<div class="row">')
        for entry in example["corpora"]:
            text = entry["passage"]
            body = html.escape(text) if text is not None else "<em>(no passage for this query)</em>"
            cell = [f"<h3>{html.escape(entry['corpus'])} ({html.escape(entry['paradigm'])})</h3><p>{body}</p>"]
            for i, ex in enumerate(entry["exemplars"], start=1):
                query = f" (query: {html.escape(ex['query'])})" if ex["query"] else ""
                cell.append(f'<div class="ex"><b>exemplar {i}{query}:</b> {html.escape(ex["passage"])}</div>')
            parts.append(f'<div class="cell">{"".join(cell)}</div>')
        parts.append("</div>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write_examples(found: Sequence[Mapping[str, Any]], markdown: str, page: str, caption: str) -> None:
    with atomic_write(markdown) as handle:
        handle.write(examples_markdown(found, caption))
    with atomic_write(page) as handle:
        handle.write(examples_html(found, caption))
