"""The request cache: answers already paid for, keyed by the request hash.

:class:`RequestCache` is a SQLite file (WAL mode, safe for concurrent jobs) keyed by
:func:`~synthrank.llm.base.request_key`. Each answer is committed the moment it arrives, so a
killed job loses no paid-for request and a rerun with a full cache makes no call at all. It also
remembers submitted batch jobs (:meth:`RequestCache.open_batches`) so that a restarted job
resumes polling them instead of paying twice; and it exports and imports answers, so a reviewer
rebuilds every corpus without API keys.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from synthrank.errors import SynthrankError
from synthrank.llm.base import Cached, request_key

log = logging.getLogger(__name__)


class RequestCache:
    """Answers already paid for, keyed by :func:`request_key`; thread- and process-safe."""

    def __init__(self, path: str | os.PathLike[str], readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self._local = threading.local()
        if readonly:
            if not self.path.is_file():
                raise SynthrankError(f"{self.path}: request cache does not exist")
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Several jobs may open one cache at the same moment. Switching to WAL, and a neighbour's
        # last-connection checkpoint, take locks for which SQLite can answer "database is locked"
        # at once, without waiting for the busy timeout: the set-up is retried for a while.
        deadline = time.monotonic() + 120
        while True:
            try:
                self._set_up(self._connect())
                break
            except (sqlite3.OperationalError, SynthrankError) as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    if isinstance(exc, SynthrankError):
                        raise
                    raise SynthrankError(f"{self.path}: cannot open the request cache ({exc})") from None
                time.sleep(0.05)

    @staticmethod
    def _set_up(conn: sqlite3.Connection) -> None:
        if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, request TEXT NOT NULL,"
            " response TEXT NOT NULL, created REAL NOT NULL, batch_id TEXT)"
        )
        columns = {row[1] for row in conn.execute("PRAGMA table_info(responses)")}
        if "batch_id" not in columns:  # caches written before batch support
            conn.execute("ALTER TABLE responses ADD COLUMN batch_id TEXT")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS batches (id TEXT PRIMARY KEY, backend TEXT NOT NULL, model TEXT NOT NULL,"
            " keys TEXT NOT NULL, status TEXT NOT NULL, created REAL NOT NULL, updated REAL NOT NULL)"
        )

    def _connect(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            try:
                if self.readonly:
                    conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=60, isolation_level=None)
                else:
                    conn = sqlite3.connect(self.path, timeout=60, isolation_level=None)
                conn.execute("PRAGMA busy_timeout=60000")
                # WAL with synchronous=NORMAL: a commit is in the WAL file the moment execute()
                # returns, so a killed job (kill -9) loses nothing; only an OS crash or power cut
                # can lose the last answers. FULL (the default) fsyncs every answer, which caps a
                # job at about 200 answers/s (bench/generation.py, BENCHMARKS.md).
                conn.execute("PRAGMA synchronous=NORMAL")
            except sqlite3.Error as exc:
                raise SynthrankError(f"{self.path}: cannot open the request cache ({exc})") from None
            self._local.conn = conn
        return conn

    def _write(self, sql: str, args: Sequence[Any]) -> None:
        try:
            self._connect().execute(sql, args)
        except sqlite3.Error as exc:  # disk full, read-only file system, locked past the timeout
            raise SynthrankError(f"{self.path}: cannot write the request cache ({exc})") from None

    def get(self, key: str) -> dict[str, Any] | None:
        entry = self.entry(key)
        return None if entry is None else entry.response

    def entry(self, key: str) -> Cached | None:
        row = (
            self._connect()
            .execute("SELECT response, created, batch_id FROM responses WHERE key = ?", (key,))
            .fetchone()
        )
        return None if row is None else Cached(key, json.loads(row[0]), float(row[1]), row[2])

    def put(
        self, key: str, request: Mapping[str, Any], response: Mapping[str, Any], batch_id: str | None = None
    ) -> None:
        self._write(
            "INSERT OR REPLACE INTO responses (key, request, response, created, batch_id) VALUES (?, ?, ?, ?, ?)",
            (key, json.dumps(request, sort_keys=True), json.dumps(response, sort_keys=True), time.time(), batch_id),
        )

    def __len__(self) -> int:
        return int(self._connect().execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def __contains__(self, key: object) -> bool:
        return self._connect().execute("SELECT 1 FROM responses WHERE key = ?", (key,)).fetchone() is not None

    # -- batch jobs: recorded the moment they are submitted, so a restart resumes them

    def record_batch(self, batch_id: str, backend: str, model: str, keys: Sequence[str]) -> None:
        now = time.time()
        self._write(
            "INSERT OR REPLACE INTO batches (id, backend, model, keys, status, created, updated)"
            " VALUES (?, ?, ?, ?, 'submitted', ?, ?)",
            (batch_id, backend, model, json.dumps(list(keys)), now, now),
        )

    def update_batch(self, batch_id: str, status: str) -> None:
        self._write("UPDATE batches SET status = ?, updated = ? WHERE id = ?", (status, time.time(), batch_id))

    def open_batches(self, backend: str, model: str) -> list[tuple[str, list[str]]]:
        """Submitted batch jobs of this backend and model not yet collected: ``(id, request keys)``."""
        rows = (
            self._connect()
            .execute(
                "SELECT id, keys FROM batches WHERE backend = ? AND model = ? AND status = 'submitted'"
                " ORDER BY created",
                (backend, model),
            )
            .fetchall()
        )
        return [(row[0], json.loads(row[1])) for row in rows]

    # -- export / import: a reviewer rebuilds every corpus from an exported cache, without keys

    def export(self, out: str | os.PathLike[str], keys: Sequence[str] | None = None) -> int:
        """Write (request, response) entries as JSONL (gzip if ``out`` ends in .gz; no timestamp in
        the gzip header, so the same entries give the same bytes); ``keys``: only these, in order."""
        import gzip

        from synthrank.io import atomic_write

        conn = self._connect()
        query = "SELECT key, request, response, created, batch_id FROM responses"
        if keys is None:
            rows: Iterator[Any] = iter(conn.execute(query + " ORDER BY key"))
        else:
            rows = (conn.execute(query + " WHERE key = ?", (key,)).fetchone() for key in keys)
        count = 0
        with atomic_write(out, "wb") as raw:
            stream: Any = gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) if str(out).endswith(".gz") else raw
            for row in rows:
                if row is None:
                    raise SynthrankError(f"{self.path}: a ledger names a request the cache does not hold")
                key, request, response, created, batch_id = row
                entry = {"key": key, "request": json.loads(request), "response": json.loads(response)}
                entry |= {"created": created, "batch_id": batch_id}
                stream.write((json.dumps(entry, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8"))
                count += 1
            if stream is not raw:
                stream.close()
        return count

    def import_(self, path: str | os.PathLike[str]) -> int:
        """Add the entries of an export; each request is re-hashed, so a tampered entry is refused."""
        from synthrank.io import iter_jsonl

        count = 0
        for number, entry in enumerate(iter_jsonl(path, ("key", "request", "response")), start=1):
            if request_key(entry["request"]) != entry["key"]:
                raise SynthrankError(f"{path}:{number}: key does not match the hash of its request")
            self._write(
                "INSERT OR IGNORE INTO responses (key, request, response, created, batch_id) VALUES (?, ?, ?, ?, ?)",
                (
                    entry["key"],
                    json.dumps(entry["request"], sort_keys=True),
                    json.dumps(entry["response"], sort_keys=True),
                    float(entry.get("created") or 0.0),
                    entry.get("batch_id"),
                ),
            )
            count += 1
        return count


def export_answers(cache_path: str, ledger_paths: Sequence[str], out: str) -> int:
    """Export the cached answers the corpora's ledgers name (sorted, deduplicated): with it, a
    reviewer rebuilds every corpus without API keys (``synthrank llm import``)."""
    from synthrank.io import iter_jsonl

    keys = sorted({entry["request_sha256"] for path in ledger_paths for entry in iter_jsonl(path, ("request_sha256",))})
    count = RequestCache(cache_path).export(out, keys)
    log.info("exported %d answers to %s", count, out)
    return count
