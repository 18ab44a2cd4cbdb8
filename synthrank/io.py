"""One reader and one writer per file format used by the workflow.

Formats:
- JSONL (corpus, queries, passages, training sets): one JSON object per line.
- qrels: BEIR TSV with a ``query-id corpus-id score`` header.
- runs: TREC run format ``qid Q0 docid rank score tag``.

Every reader reports bad input as one :class:`SynthrankError` naming the file and line.
Every writer is atomic: it writes a temporary file beside the target and renames it, so a
killed job never leaves a half-written file that looks complete.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from synthrank.errors import SynthrankError

Qrels = dict[str, dict[str, int]]
Run = dict[str, dict[str, float]]


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; rename it onto ``path`` only on success."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        encoding = None if "b" in mode else "utf-8"
        with os.fdopen(fd, mode, encoding=encoding) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary directory that replaces ``path`` only when the block succeeds."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"))
    try:
        yield tmp
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def quoted(value: object, limit: int = 60) -> str:
    """``repr`` of a value from a user's file, cut to ``limit`` characters: an error stays one
    readable line whatever the file holds."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 5]}...{text[-2:]}"


def _lines(path: str | os.PathLike[str]) -> Iterator[tuple[int, str]]:
    """Stream ``(line number, line)`` of a UTF-8 text file (gzip if it ends in .gz). An unreadable
    file, a byte that is not UTF-8 and a truncated gzip stream are one-line errors naming the line."""
    try:
        handle: Any = gzip.open(path, "rb") if str(path).endswith(".gz") else open(path, "rb")  # noqa: SIM115
    except OSError as exc:
        raise SynthrankError(f"{path}: cannot read ({exc.strerror or exc})") from None
    lineno = 0
    with handle:
        try:
            for lineno, raw in enumerate(handle, start=1):
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise SynthrankError(
                        f"{path}:{lineno}: not valid UTF-8 (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})"
                    ) from None
                yield lineno, line[:-2] + "\n" if line.endswith("\r\n") else line
        except (OSError, EOFError) as exc:
            raise SynthrankError(f"{path}:{lineno + 1}: cannot read ({exc})") from None


def iter_jsonl(path: str | os.PathLike[str], required: Iterable[str] = ()) -> Iterator[dict[str, Any]]:
    """Stream the objects of a JSONL file, checking that each has the ``required`` keys."""
    for _, record in iter_jsonl_lines(path, required):
        yield record


def iter_jsonl_lines(
    path: str | os.PathLike[str], required: Iterable[str] = ()
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Like :func:`iter_jsonl`, with each object's line number."""
    keys = tuple(required)
    for lineno, line in _lines(path):
        if line.strip():
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise SynthrankError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from None
            if not isinstance(record, dict):
                raise SynthrankError(f"{path}:{lineno}: expected a JSON object")
            missing = [key for key in keys if key not in record]
            if missing:
                raise SynthrankError(f"{path}:{lineno}: missing key(s) {', '.join(missing)}")
            yield lineno, record


def write_jsonl(path: str | os.PathLike[str], records: Iterable[Mapping[str, Any]]) -> int:
    """Write records as JSONL atomically; returns the number written."""
    count = 0
    with atomic_write(path) as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False, sort_keys=False) + "\n")
            count += 1
    return count


def read_json(path: str | os.PathLike[str]) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except OSError as exc:
        raise SynthrankError(f"{path}: cannot read ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise SynthrankError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None


def write_json(path: str | os.PathLike[str], data: Any) -> None:
    with atomic_write(path) as handle:
        json.dump(data, handle, indent=2, ensure_ascii=False)
        handle.write("\n")


def read_texts(path: str | os.PathLike[str], id_key: str = "_id") -> dict[str, str]:
    """Read a BEIR queries file into ``{id: text}``."""
    return {str(r[id_key]): str(r["text"]) for r in iter_jsonl(path, required=(id_key, "text"))}


def iter_qrels(path: str | os.PathLike[str]) -> Iterator[tuple[str, str, int]]:
    """Stream the ``(query id, document id, grade)`` judgments of a BEIR qrels TSV (``query-id
    corpus-id score``, header optional)."""
    for lineno, line in _lines(path):
        fields = line.rstrip("\n").split("\t")
        if not line.strip() or (lineno == 1 and fields[0] == "query-id"):
            continue
        if len(fields) != 3:
            raise SynthrankError(
                f"{path}:{lineno}: expected 3 tab-separated fields (query-id, corpus-id, score), got {len(fields)}"
            )
        qid, docid, score = fields
        try:
            grade = int(score)
        except ValueError:
            raise SynthrankError(f"{path}:{lineno}: score {quoted(score)} is not an integer") from None
        yield qid, docid, grade


def read_qrels(path: str | os.PathLike[str]) -> Qrels:
    """Read a BEIR qrels TSV (``query-id corpus-id score``, header optional)."""
    qrels: Qrels = {}
    for qid, docid, score in iter_qrels(path):
        qrels.setdefault(qid, {})[docid] = score
    return qrels


def write_qrels(path: str | os.PathLike[str], qrels: Qrels) -> None:
    with atomic_write(path) as handle:
        handle.write("query-id\tcorpus-id\tscore\n")
        for qid, docs in qrels.items():
            for docid, score in docs.items():
                handle.write(f"{qid}\t{docid}\t{score}\n")


def iter_run(path: str | os.PathLike[str]) -> Iterator[tuple[str, str, float]]:
    """Stream the ``(query id, document id, score)`` lines of a TREC run file, never the whole run."""
    for lineno, line in _lines(path):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 6:
            raise SynthrankError(f"{path}:{lineno}: expected 6 fields of a TREC run, got {len(fields)}")
        try:
            score = float(fields[4])
        except ValueError:
            raise SynthrankError(f"{path}:{lineno}: score {quoted(fields[4])} is not a number") from None
        yield fields[0], fields[2], score


def read_run(path: str | os.PathLike[str]) -> Run:
    """Read a TREC run file into ``{qid: {docid: score}}``."""
    run: Run = {}
    for qid, docid, score in iter_run(path):
        run.setdefault(qid, {})[docid] = score
    return run


def trec_order(docs: Mapping[str, float]) -> list[str]:
    """One query's document ids in trec_eval's order: score descending, compared as a C ``float``
    (single precision), ties by document id descending (``strcmp(ptr2->docno, ptr1->docno)`` in
    trec_eval's ``form_res_rels.c``; trec_eval ignores a run file's rank column)."""
    import numpy as np

    return sorted(docs, key=lambda doc: (np.float32(docs[doc]), doc), reverse=True)


def write_run(path: str | os.PathLike[str], run: Mapping[str, Mapping[str, float]], tag: str) -> None:
    """Write a TREC run, each query's documents in trec_eval's order (score descending, ties by
    docid descending: :func:`trec_order`), so the rank column is the rank evaluated."""
    with atomic_write(path) as handle:
        handle.writelines(run_lines(run, tag))


def run_lines(run: Mapping[str, Mapping[str, float]], tag: str) -> Iterator[str]:
    """The lines of a TREC run as :func:`write_run` writes them (queries sorted by id), for a run
    written part by part."""
    for qid in sorted(run):
        ranked = [(docid, run[qid][docid]) for docid in trec_order(run[qid])]
        for rank, (docid, score) in enumerate(ranked, start=1):
            yield f"{qid} Q0 {docid} {rank} {score:.8f} {tag}\n"
