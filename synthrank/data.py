"""Dataset ingestion: a local BEIR folder or an ir_datasets id -> canonical BEIR files.

The canonical layout written under ``results/datasets/<dataset>/`` is BEIR's own:
``corpus.jsonl`` (``_id``, ``title``, ``text``), ``queries.jsonl`` (``_id``, ``text``) and
``qrels/<split>.tsv``. Everything is streamed, so memory does not grow with the corpus.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from tqdm import tqdm

from synthrank.errors import SynthrankError
from synthrank.io import Qrels, atomic_write, iter_jsonl, read_qrels, write_qrels

Source = str | Mapping[str, str]

log = logging.getLogger(__name__)


def _write_stream(path: Path, records: Iterator[dict[str, Any]], what: str) -> set[str]:
    """Write records as JSONL and return their ids, refusing duplicates."""
    ids: set[str] = set()
    with atomic_write(path) as handle:
        for record in tqdm(records, desc=what, unit=" rec", mininterval=5):
            rid = record["_id"]
            if rid in ids:
                raise SynthrankError(f"{what}: duplicate id {rid!r}")
            ids.add(rid)
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return ids


def _check_qrels(qrels: Qrels, doc_ids: set[str], query_ids: set[str], where: str) -> None:
    for qid, docs in qrels.items():
        if qid not in query_ids:
            raise SynthrankError(f"{where}: query id {qid!r} is not in the queries file")
        for docid in docs:
            if docid not in doc_ids:
                raise SynthrankError(f"{where}: corpus id {docid!r} (query {qid!r}) is not in the corpus")


def _beir_docs(path: Path) -> Iterator[dict[str, Any]]:
    for record in iter_jsonl(path, required=("_id", "text")):
        yield {"_id": str(record["_id"]), "title": str(record.get("title") or ""), "text": str(record["text"])}


def _beir_queries(path: Path) -> Iterator[dict[str, Any]]:
    for record in iter_jsonl(path, required=("_id", "text")):
        yield {"_id": str(record["_id"]), "text": str(record["text"])}


def _irds_datasets(split_ids: Mapping[str, str]) -> dict[str, Any]:
    import ir_datasets

    loaded = {}
    for split, ds_id in split_ids.items():
        try:
            loaded[split] = ir_datasets.load(ds_id)
        except KeyError:
            raise SynthrankError(f"unknown ir_datasets id {ds_id!r} (see https://ir-datasets.com)") from None
    return loaded


def _irds_docs(ds_id: str, dataset: Any) -> Iterator[dict[str, Any]]:
    if not dataset.has_docs():
        raise SynthrankError(f"ir_datasets id {ds_id!r} has no documents")
    for doc in dataset.docs_iter():
        fields = doc._asdict()
        yield {
            "_id": str(fields.pop("doc_id")),
            "title": str(fields.pop("title", "") or ""),
            "text": str(fields.pop("text", None) or fields.pop("body", "") or ""),
        }


def _irds_queries(datasets: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    seen: set[str] = set()
    for dataset in datasets.values():
        for query in dataset.queries_iter():
            qid = str(query.query_id)
            if qid not in seen:
                seen.add(qid)
                yield {"_id": qid, "text": str(getattr(query, "text", "") or getattr(query, "title", ""))}


def ingest_collection(source: Source, corpus_out: str | Path, queries_out: str | Path) -> dict[str, int]:
    """Write the canonical corpus and queries of a dataset.

    ``source`` is a local BEIR folder, or a mapping from split name to ir_datasets id (ids that
    share one document collection, e.g. ``msmarco-passage/train`` and
    ``msmarco-passage/dev/small``): the corpus comes from the first id, the queries are the
    union over all ids.
    """
    if isinstance(source, Mapping):
        datasets = _irds_datasets(source)
        first_id = next(iter(source.values()))
        docs = _irds_docs(first_id, datasets[next(iter(source))])
        queries = _irds_queries(datasets)
        where = first_id
    else:
        folder = _beir_folder(source)
        docs = _beir_docs(folder / "corpus.jsonl")
        queries = _beir_queries(folder / "queries.jsonl")
        where = str(folder)
    n_docs = len(_write_stream(Path(corpus_out), docs, f"{where} corpus"))
    n_queries = len(_write_stream(Path(queries_out), queries, f"{where} queries"))
    if n_docs == 0:
        raise SynthrankError(f"{where}: the corpus is empty")
    log.info("ingested %s: %d docs, %d queries", where, n_docs, n_queries)
    return {"docs": n_docs, "queries": n_queries}


def ingest_qrels(source: Source, split: str, corpus: str | Path, queries: str | Path, out: str | Path) -> int:
    """Write the canonical qrels of one split, checking every id against the ingested files."""
    if isinstance(source, Mapping):
        if split not in source:
            raise SynthrankError(f"irds source names no id for split {split!r}")
        dataset = _irds_datasets({split: source[split]})[split]
        qrels: Qrels = {}
        for qrel in dataset.qrels_iter():
            if int(qrel.relevance) > 0:
                qrels.setdefault(str(qrel.query_id), {})[str(qrel.doc_id)] = int(qrel.relevance)
        where = source[split]
    else:
        path = _beir_folder(source) / "qrels" / f"{split}.tsv"
        if not path.is_file():
            raise SynthrankError(f"{source}: split {split!r} has no qrels file {path}")
        qrels = read_qrels(path)
        where = str(path)
    query_ids = {str(r["_id"]) for r in iter_jsonl(queries, required=("_id",))}
    wanted = {docid for docs in qrels.values() for docid in docs}
    doc_ids = {str(r["_id"]) for r in iter_jsonl(corpus, required=("_id",)) if r["_id"] in wanted}
    _check_qrels(qrels, doc_ids, query_ids, where)
    if not qrels:
        raise SynthrankError(f"{where}: split {split!r} has no relevant judgments")
    write_qrels(out, qrels)
    return sum(len(docs) for docs in qrels.values())


def _beir_folder(source: str | os.PathLike[str]) -> Path:
    folder = Path(source)
    if not folder.is_dir():
        raise SynthrankError(f"dataset folder {source} does not exist")
    for name in ("corpus.jsonl", "queries.jsonl"):
        if not (folder / name).is_file():
            raise SynthrankError(f"{folder}: not a BEIR folder (no {name})")
    return folder
