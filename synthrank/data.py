"""Dataset ingestion: a local BEIR folder or an ir_datasets id -> canonical BEIR files.

The canonical layout written under ``results/datasets/<dataset>/`` is BEIR's own:
``corpus.jsonl`` (``_id``, ``title``, ``text``), ``queries.jsonl`` (``_id``, ``text``) and
``qrels/<split>.tsv``. Everything is streamed, so memory does not grow with the corpus.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from tqdm import tqdm

from synthrank.errors import SynthrankError
from synthrank.io import Qrels, atomic_write, iter_jsonl, iter_jsonl_lines, quoted, read_qrels, write_qrels

Source = str | Mapping[str, str]

log = logging.getLogger(__name__)


class _IdRegistry:
    """Duplicate-id detection that keeps the ids on disk, not in RAM.

    A Python set of 8.8M MS MARCO ids takes about 1 GB; this is an SQLite table (a B-tree with
    the id as primary key) in a temporary file beside the output, with a bounded page cache, so
    memory stays flat whatever the corpus size. SQLite (standard library) rather than an
    external sort: it finds a duplicate while streaming, with the line of its first occurrence,
    and costs one indexed insert per record. Ids are checked in batches; the error path looks
    up which record of the failing batch repeats an earlier one.
    """

    BATCH = 10_000

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.tmp = tempfile.TemporaryDirectory(dir=folder, prefix=".ids.")
        self.db = sqlite3.connect(Path(self.tmp.name) / "ids.sqlite", isolation_level=None)
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-65536", "temp_store=FILE"):
            self.db.execute(f"PRAGMA {pragma}")
        self.db.execute("CREATE TABLE ids (id TEXT PRIMARY KEY, pos INTEGER NOT NULL, at TEXT) WITHOUT ROWID")
        self.batch: list[tuple[str, int, str, str]] = []

    def add(self, rid: str, pos: int, at: str, where: str) -> None:
        """Record id ``rid`` of record number ``pos``; ``at`` (e.g. "line 7") and ``where``
        (e.g. "corpus.jsonl:7") locate it for the error message."""
        self.batch.append((rid, pos, at, where))
        if len(self.batch) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.batch:
            return
        self.db.execute("BEGIN")
        cursor = self.db.executemany("INSERT OR IGNORE INTO ids VALUES (?, ?, ?)", [b[:3] for b in self.batch])
        self.db.execute("COMMIT")
        if cursor.rowcount != len(self.batch):
            for rid, pos, _, where in self.batch:
                first, first_at = self.db.execute("SELECT pos, at FROM ids WHERE id = ?", (rid,)).fetchone()
                if first != pos:
                    raise SynthrankError(f"{where}: duplicate id {quoted(rid)} (first at {first_at})")
        self.batch = []

    def close(self) -> None:
        self.db.close()
        self.tmp.cleanup()


Located = tuple[str, str, dict[str, Any]]  # (where, at, record): ("x/corpus.jsonl:7", "line 7", {...})


def _write_stream(path: Path, records: Iterator[Located], what: str, empty_error: str | None = None) -> int:
    """Write records as JSONL and return their number, refusing duplicate ids (one line naming
    the file and line, or ir_datasets record, of the duplicate and of its first occurrence)."""
    ids = _IdRegistry(path.parent)
    count = 0
    try:
        with atomic_write(path) as handle:
            for where, at, record in tqdm(records, desc=what, unit=" rec", mininterval=5):
                count += 1
                ids.add(record["_id"], count, at, where)
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            ids.flush()
            if count == 0 and empty_error:
                raise SynthrankError(empty_error)  # inside atomic_write: no empty file is left
    finally:
        ids.close()
    return count


def _check_qrels(qrels: Qrels, doc_ids: set[str], query_ids: set[str], where: str) -> None:
    for qid, docs in qrels.items():
        if qid not in query_ids:
            raise SynthrankError(f"{where}: query id {quoted(qid)} is not in the queries file")
        for docid in docs:
            if docid not in doc_ids:
                raise SynthrankError(f"{where}: corpus id {quoted(docid)} (query {quoted(qid)}) is not in the corpus")


def _field(record: Mapping[str, Any], key: str, where: str, types: tuple[type, ...] = (str,)) -> str:
    """A record's field as a string; a value of another JSON type (a list, an object, null; for
    ``_id`` also a boolean) is a one-line error rather than its Python text."""
    value = record.get(key)
    if not isinstance(value, types) or isinstance(value, bool):
        kind = "null" if value is None else type(value).__name__
        raise SynthrankError(f"{where}: {key!r} is {kind}, expected a string")
    return str(value)


def _beir_docs(path: Path) -> Iterator[Located]:
    for lineno, record in iter_jsonl_lines(path, required=("_id", "text")):
        where = f"{path}:{lineno}"
        title = _field(record, "title", where) if record.get("title") is not None else ""
        doc = {"_id": _field(record, "_id", where, (str, int)), "title": title, "text": _field(record, "text", where)}
        yield where, f"line {lineno}", doc


def _beir_queries(path: Path) -> Iterator[Located]:
    for lineno, record in iter_jsonl_lines(path, required=("_id", "text")):
        where = f"{path}:{lineno}"
        query = {"_id": _field(record, "_id", where, (str, int)), "text": _field(record, "text", where)}
        yield where, f"line {lineno}", query


def _irds_datasets(split_ids: Mapping[str, str]) -> dict[str, Any]:
    import ir_datasets

    loaded = {}
    for split, ds_id in split_ids.items():
        try:
            loaded[split] = ir_datasets.load(ds_id)
        except KeyError:
            raise SynthrankError(f"unknown ir_datasets id {ds_id!r} (see https://ir-datasets.com)") from None
    return loaded


def _irds_docs(ds_id: str, dataset: Any) -> Iterator[Located]:
    if not dataset.has_docs():
        raise SynthrankError(f"ir_datasets id {ds_id!r} has no documents")
    for number, doc in enumerate(dataset.docs_iter(), start=1):
        fields = doc._asdict()
        yield (
            f"ir_datasets {ds_id}: document {number}",
            f"document {number}",
            {
                "_id": str(fields.pop("doc_id")),
                "title": str(fields.pop("title", "") or ""),
                "text": str(fields.pop("text", None) or fields.pop("body", "") or ""),
            },
        )


def _irds_queries(datasets: Mapping[str, Any]) -> Iterator[Located]:
    # Queries (not the corpus) are few enough to dedupe in a set: MS MARCO has about 1M.
    seen: set[str] = set()
    for split, dataset in datasets.items():
        for number, query in enumerate(dataset.queries_iter(), start=1):
            qid = str(query.query_id)
            if qid not in seen:
                seen.add(qid)
                text = str(getattr(query, "text", "") or getattr(query, "title", ""))
                yield f"ir_datasets {split}: query {number}", f"query {number}", {"_id": qid, "text": text}


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
    n_docs = _write_stream(Path(corpus_out), docs, "corpus", empty_error=f"{where}: the corpus is empty")
    n_queries = _write_stream(Path(queries_out), queries, "queries")
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
    # One rule for both sources, trec_eval's: every judgment is kept, grade 0 (judged, not relevant)
    # included, and a negative grade (some TREC collections mark junk pages -1, -2) counts as 0.
    qrels = {qid: {docid: max(0, grade) for docid, grade in docs.items()} for qid, docs in qrels.items()}
    if not any(grade > 0 for docs in qrels.values() for grade in docs.values()):
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
