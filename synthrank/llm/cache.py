"""The request cache: answers already paid for, keyed by the request hash.

:class:`RequestCache` is a folder (``results/cache/llm-requests/``) of append-only shard files,
keyed by :func:`~synthrank.llm.base.request_key`. Each answer is on disk the moment it arrives, so
a killed job loses no paid-for request and a rerun with a full cache makes no call at all. It also
remembers submitted batch jobs (:meth:`RequestCache.open_batches`) so that a restarted job
resumes polling them instead of paying twice; and it exports and imports answers, so a reviewer
rebuilds every corpus without API keys.

Why shards and not one SQLite file. On a cluster ``results/`` is on NFS, Lustre or GPFS, and the
generation jobs of several generators run at once on different nodes. SQLite's WAL mode needs
shared memory (its ``-shm`` index) between every process using the file, which these file
systems do not give across hosts ("WAL does not work over a network filesystem",
sqlite.org/wal.html), and its rollback journal relies on POSIX locks that network file systems
implement badly or not at all (sqlite.org/faq.html#q5): the failures range from "locking
protocol" errors to a corrupted file. So the cache takes no lock at all:

- one writer per file: each process that stores an answer appends to a shard of its own,
  ``<host>-<pid>-<random>.records``, created with ``O_EXCL`` (a new name per process, never
  reopened), so no two processes, on one host or many, ever write the same file;
- one ``write()`` per record and an ``fsync`` before :meth:`RequestCache.put` returns (threads
  that store at once share one ``fsync``): on a network file system the ``fsync`` is what moves
  an answer from the node's memory to the server, so neither ``kill -9`` nor a lost node loses
  an answer ``put`` returned;
- readers read every shard; each record carries a CRC-32, so a record a killed writer left half
  written (always the last of its shard: the writer is gone) is skipped, never an error. A
  reader takes a record only once every record before it in its shard checks out, except that a
  damaged record followed by a good one is skipped with a warning: since each record is synced
  before the next is written, a later good record means the damage is for good;
- a reader that misses a key rescans the shards (at most once a second), so jobs running at once
  see each other's answers as SQLite's did; where two shards hold one key (two jobs asked the same
  request at the same moment), every reader takes the earliest answer (then the first shard by
  name), so every job and the export agree.

A shard is lines of ``kind TAB id TAB time TAB payload-JSON TAB crc32-hex``, after the header
line :data:`HEADER`; kind ``a`` is an answer (id: the request key; time: when it arrived;
payload: ``{"batch_id", "request", "response"}``), kind ``b`` a batch job's record (payload:
``{"id", "status", "updated"}``, with ``backend``, ``model``, ``keys`` and ``created`` when it
was submitted). JSON escapes tabs and line ends, so neither appears inside a field.

The cache of earlier versions, one SQLite file (``llm-requests.sqlite`` beside the folder), is
migrated the first time a cache is opened: its answers and batch jobs are copied into the shard
:data:`MIGRATED`, which appears (by ``link``, atomic on network file systems too) only once
complete. The old file is opened read-only (``immutable=1``: no journal, no ``-wal``, no
``-shm``); if its ``-wal`` still holds answers (a killed job of an earlier version), SQLite
replays it on a copy in the local temporary folder, never in ``results/``. The old file is never
changed or deleted (keep it as a backup).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import secrets
import socket
import sqlite3
import threading
import time
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from synthrank.errors import SynthrankError
from synthrank.llm.base import Cached, request_key

log = logging.getLogger(__name__)

#: the first line of every shard; its number is the format's version
HEADER = b"synthrank-request-cache 1\n"
#: how a shard's name ends
SUFFIX = ".records"
#: the shard holding the answers of an earlier version's SQLite cache
MIGRATED = "migrated-from-sqlite" + SUFFIX
#: the old single-file cache: ``<folder>.sqlite``
LEGACY_SUFFIX = ".sqlite"
#: a reader that misses a key rescans the shards at most this often (seconds)
RESCAN_SECONDS = 1.0
#: read shards in pieces of this size
_CHUNK = 16 << 20
#: an import syncs once per this many answers
_IMPORT_CHUNK = 1000


def cache_paths(path: str | os.PathLike[str]) -> tuple[Path, Path]:
    """The shard folder and the old SQLite file of the cache ``path`` names: ``X`` and
    ``X.sqlite`` name the same cache (earlier configs name the SQLite file)."""
    given = Path(path)
    if given.suffix == LEGACY_SUFFIX:
        return given.with_suffix(""), given
    if given.is_file():
        raise SynthrankError(
            f"{given}: a file, not a request-cache folder (an old SQLite cache must be named"
            f" {given.name}{LEGACY_SUFFIX}: rename it and it is migrated into the folder {given.name})"
        )
    return given, given.with_name(given.name + LEGACY_SUFFIX)


def _record(kind: bytes, ident: str, stamp: float, payload: Mapping[str, Any]) -> tuple[bytes, int, int]:
    """One shard line; with where its payload starts in it and how long it is."""
    if not ident or any(c in ident for c in "\t\n\r"):
        raise SynthrankError(f"request cache: {ident!r} cannot be a key (empty, or a tab or line end in it)")
    head = b"%s\t%s\t%s\t" % (kind, ident.encode(), repr(stamp).encode())
    body = head + json.dumps(payload, sort_keys=True).encode()
    return body + b"\t%08x\n" % zlib.crc32(body), len(head), len(body) - len(head)


def _intact(buf: bytes, view: memoryview, start: int, end: int) -> bool:
    """Whether the line ``buf[start:end]`` (its line end at ``end``) is a record whose CRC checks out."""
    if end - start < 15 or buf[end - 9] != 0x09:
        return False
    try:
        crc = int(buf[end - 8 : end], 16)
    except ValueError:
        return False
    return zlib.crc32(view[start : end - 9]) == crc


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _publish(tmp: Path, target: Path) -> None:
    """Give the complete file ``tmp`` the name ``target`` unless a file has it already (a process
    that did the same at the same moment); ``link`` is atomic on network file systems too."""
    try:
        os.link(tmp, target)
    except FileExistsError:
        pass
    except OSError:  # a file system without hard links
        if not target.exists():
            os.replace(tmp, target)
            return
    tmp.unlink()


class _Shard:
    """A shard this process reads: its file, a descriptor kept open for reading answers, and how
    far it has taken records (the end of the last record taken and all before it)."""

    __slots__ = ("fd", "path", "taken")

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = -1
        self.taken = 0


class _Writer:
    """This process's own shard: one writer per file, appends only, group ``fsync``."""

    def __init__(self, folder: Path, name: str | None = None) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        host = re.sub(r"[^A-Za-z0-9.-]", "_", socket.gethostname()) or "host"
        self.path = folder / (name or f"{host}-{os.getpid()}-{secrets.token_hex(4)}{SUFFIX}")
        self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        self.pid = os.getpid()
        self.size = 0
        self.written = self.synced = 0
        self.failed: OSError | None = None
        self._write_lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self.append(HEADER)
        try:  # the new name itself, on local file systems (NFS creates synchronously)
            dir_fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError:
            pass

    def append(self, data: bytes) -> int:
        """Write ``data`` at the end and return once it is synced; the offset it was written at.

        After one failed write or fsync the shard takes nothing more: a record after a torn one
        would be unreadable, and after a failed fsync Linux reports the next one as a success
        though the pages it failed on may be gone."""
        with self._write_lock:
            self._check()
            start = self.size
            try:
                _write_all(self.fd, data)
            except OSError as exc:
                self.failed = exc
                raise
            self.size += len(data)
            self.written += 1
            ticket = self.written
        with self._sync_lock:  # one fsync covers every write finished before it started
            self._check()
            if self.synced < ticket:
                target = self.written
                try:
                    os.fsync(self.fd)
                except OSError as exc:
                    self.failed = exc
                    raise
                self.synced = target
        return start

    def _check(self) -> None:
        if self.failed is not None:
            raise OSError(self.failed.errno, f"an earlier write failed: {self.failed.strerror}")

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()


class RequestCache:
    """Answers already paid for, keyed by :func:`request_key`; thread- and process-safe, on one
    host or many sharing a file system."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path, self.legacy = cache_paths(path)
        self._lock = threading.RLock()
        self._shards: list[_Shard] = []
        self._shard_of: dict[str, int] = {}
        #: key -> (created, shard number, payload offset, payload length) of the answer taken
        self._answers: dict[str, tuple[float, int, int, int]] = {}
        #: batch id -> {"backend", "model", "keys", "created"} as submitted, "closed": status
        self._batches: dict[str, dict[str, Any]] = {}
        self._writer: _Writer | None = None
        self._own = -1  # the writer's shard number: its records are taken as they are written
        self._scanned = 0.0
        if self.legacy.is_file() and not (self.path / MIGRATED).exists():
            self._migrate()
        self.rescan()

    # -- reading

    def rescan(self) -> None:
        """Take the records added since the last scan, in shards old and new."""
        with self._lock:
            self._scanned = time.monotonic()
            try:
                names = sorted(e.name for e in os.scandir(self.path) if e.name.endswith(SUFFIX) and e.is_file())
            except FileNotFoundError:
                return
            except OSError as exc:
                raise SynthrankError(f"{self.path}: cannot read the request cache ({exc})") from None
            for name in names:
                number = self._shard_of.get(name)
                if number is None:
                    number = self._shard_of[name] = len(self._shards)
                    self._shards.append(_Shard(self.path / name))
                if number != self._own:
                    self._scan(number)

    def _rescan_now_and_then(self) -> None:
        if time.monotonic() - self._scanned >= RESCAN_SECONDS:
            self.rescan()

    def _scan(self, number: int) -> None:
        shard = self._shards[number]
        try:
            # a fresh open each scan: on NFS, opening is what revalidates the size (close-to-open)
            with open(shard.path, "rb", buffering=0) as stream:
                size = os.fstat(stream.fileno()).st_size
                if size <= shard.taken:
                    return
                if shard.fd < 0:
                    shard.fd = os.open(shard.path, os.O_RDONLY)
                if shard.taken == 0:
                    head = stream.read(len(HEADER))
                    if len(head) < len(HEADER) and HEADER.startswith(head):
                        return  # just created (or its writer killed at once): nothing yet
                    if head != HEADER:
                        what = "a newer format" if head.startswith(HEADER[:24]) else "not a request-cache shard"
                        raise SynthrankError(f"{shard.path}: {what} (expected the first line {HEADER!r})")
                    shard.taken = len(HEADER)
                self._take(number, stream, size)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise SynthrankError(f"{shard.path}: cannot read the request cache ({exc})") from None

    def _take(self, number: int, stream: Any, size: int) -> None:
        shard = self._shards[number]
        stream.seek(shard.taken)
        offset = shard.taken  # of the first byte in buf
        buf = b""
        damaged: list[int] = []
        while True:
            piece = stream.read(_CHUNK)
            if not piece:
                break
            buf += piece
            view = memoryview(buf)  # CRCs over slices of it: no copy of the records
            start = 0
            while True:
                end = buf.find(b"\n", start)
                if end < 0:
                    break
                if _intact(buf, view, start, end):
                    for at in damaged:
                        log.warning("%s: skipped a damaged record at byte %d", shard.path, at)
                    damaged.clear()
                    self._take_record(number, buf, start, end - 9, offset)
                    shard.taken = offset + end + 1
                else:
                    damaged.append(offset + start)
                start = end + 1
            view.release()
            buf = buf[start:]
            offset += start

    def _take_record(self, number: int, buf: bytes, start: int, stop: int, offset: int) -> None:
        """Take the record ``buf[start:stop]`` (CRC checked; ``buf`` begins at byte ``offset``)."""
        ident = buf.find(b"\t", start, stop) + 1
        stamp = buf.find(b"\t", ident, stop) + 1 if ident else 0
        payload = buf.find(b"\t", stamp, stop) + 1 if stamp else 0
        if not payload:
            log.warning("%s: skipped a record of an unknown form at byte %d", self._shards[number].path, offset + start)
        elif buf[start : ident - 1] == b"a":
            key, created = buf[ident : stamp - 1].decode(), float(buf[stamp : payload - 1])
            self._take_answer(key, created, number, offset + payload, stop - payload)
        elif buf[start : ident - 1] == b"b":
            self._take_batch(json.loads(buf[payload:stop]))

    def _take_answer(self, key: str, created: float, number: int, offset: int, length: int) -> None:
        taken = self._answers.get(key)
        if taken is None or (created, self._shards[number].path.name) < (
            taken[0],
            self._shards[taken[1]].path.name,
        ):
            self._answers[key] = (created, number, offset, length)

    def _take_batch(self, record: Mapping[str, Any]) -> None:
        batch = self._batches.setdefault(record["id"], {})
        if "backend" in record:
            batch |= {name: record[name] for name in ("backend", "model", "keys", "created")}
        if record["status"] != "submitted" and record["updated"] >= batch.get("updated", float("-inf")):
            batch |= {"closed": record["status"], "updated": record["updated"]}

    def _payload(self, key: str, where: tuple[float, int, int, int]) -> dict[str, Any]:
        _, number, offset, length = where
        shard = self._shards[number]
        try:
            data = os.pread(shard.fd, length, offset)
            if len(data) != length:
                raise OSError(f"{len(data)} of {length} bytes at {offset}")
            return dict(json.loads(data))
        except (OSError, ValueError) as exc:
            raise SynthrankError(f"{shard.path}: cannot read the answer to {key[:12]} ({exc})") from None

    def get(self, key: str) -> dict[str, Any] | None:
        entry = self.entry(key)
        return None if entry is None else entry.response

    def entry(self, key: str) -> Cached | None:
        where = self._answers.get(key)
        if where is None:
            self._rescan_now_and_then()
            where = self._answers.get(key)
            if where is None:
                return None
        payload = self._payload(key, where)
        return Cached(key, payload["response"], where[0], payload.get("batch_id"))

    def __len__(self) -> int:
        self.rescan()
        return len(self._answers)

    def __contains__(self, key: object) -> bool:
        if key in self._answers:
            return True
        self._rescan_now_and_then()
        return key in self._answers

    def items(self, keys: Iterable[str] | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
        """``(key, {"request", "response", "created", "batch_id"})`` of every answer, by key, or
        of ``keys`` in their order (a key the cache does not hold is an error)."""
        self.rescan()
        for key in sorted(self._answers) if keys is None else keys:
            where = self._answers.get(key)
            if where is None:
                raise SynthrankError(f"{self.path}: a ledger names a request the cache does not hold ({key[:12]})")
            payload = self._payload(key, where)
            yield key, {**payload, "created": where[0]}

    # -- writing

    def _append(self, kind: bytes, records: Sequence[tuple[str, float, Mapping[str, Any]]]) -> None:
        lines = [_record(kind, ident, stamp, payload) for ident, stamp, payload in records]
        try:
            with self._lock:
                if self._writer is not None and self._writer.pid != os.getpid():
                    self._drop_writer()  # a forked child: the shard is its parent's
                if self._writer is None:
                    self._writer = _Writer(self.path)
                    self._own = self._shard_of[self._writer.path.name] = len(self._shards)
                    shard = _Shard(self._writer.path)
                    shard.fd = os.open(shard.path, os.O_RDONLY)
                    shard.taken = len(HEADER)
                    self._shards.append(shard)
                writer, own = self._writer, self._own
            start = writer.append(b"".join(line for line, _, _ in lines))
        except OSError as exc:  # disk full, quota, read-only file system, a server gone
            where = self._writer.path if self._writer is not None else self.path
            self._drop_writer()
            raise SynthrankError(f"{where}: cannot write the request cache ({exc})") from None
        with self._lock:
            for (ident, stamp, payload), (line, head, length) in zip(records, lines, strict=True):
                if kind == b"a":
                    self._take_answer(ident, stamp, own, start + head, length)
                else:
                    self._take_batch(payload)
                start += len(line)

    def _drop_writer(self) -> None:
        """After a failed write the shard may end in a torn record: the next answer goes to a new
        shard, and this one is read like any other (its last record skipped)."""
        with self._lock:
            if self._writer is not None:
                # not closed here: another thread may be writing to it (its descriptor's number
                # must not be reused meanwhile); closed when the last one lets go of it
                self._writer = None
                self._shards[self._own].taken = 0
                self._own = -1

    def put(
        self, key: str, request: Mapping[str, Any], response: Mapping[str, Any], batch_id: str | None = None
    ) -> None:
        """Store an answer; on disk (synced) when this returns."""
        payload = {"batch_id": batch_id, "request": request, "response": response}
        self._append(b"a", [(key, time.time(), payload)])

    def close(self) -> None:
        """Close the files this cache holds open (it can still be read: they are reopened)."""
        with self._lock:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
                self._own = -1
            for shard in self._shards:
                if shard.fd >= 0:
                    os.close(shard.fd)
            self._shards, self._shard_of, self._answers, self._batches = [], {}, {}, {}
            self._scanned = float("-inf")

    def __enter__(self) -> RequestCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # at interpreter exit, os may be half torn down
            self.close()

    # -- batch jobs: recorded the moment they are submitted, so a restart resumes them

    def record_batch(self, batch_id: str, backend: str, model: str, keys: Sequence[str]) -> None:
        now = time.time()
        record = {"id": batch_id, "backend": backend, "model": model, "keys": list(keys), "status": "submitted"}
        self._append(b"b", [("-", now, record | {"created": now, "updated": now})])

    def update_batch(self, batch_id: str, status: str) -> None:
        now = time.time()
        self._append(b"b", [("-", now, {"id": batch_id, "status": status, "updated": now})])

    def open_batches(self, backend: str, model: str) -> list[tuple[str, list[str]]]:
        """Submitted batch jobs of this backend and model not yet collected: ``(id, request keys)``."""
        self.rescan()
        jobs = [
            (batch["created"], batch_id, list(batch["keys"]))
            for batch_id, batch in self._batches.items()
            if batch.get("backend") == backend and batch.get("model") == model and "closed" not in batch
        ]
        return [(batch_id, keys) for _, batch_id, keys in sorted(jobs)]

    # -- export / import: a reviewer rebuilds every corpus from an exported cache, without keys

    def export(self, out: str | os.PathLike[str], keys: Sequence[str] | None = None) -> int:
        """Write (request, response) entries as JSONL (gzip if ``out`` ends in .gz; no timestamp in
        the gzip header, so the same entries give the same bytes); ``keys``: only these, in order."""
        import gzip

        from synthrank.io import atomic_write

        count = 0
        with atomic_write(out, "wb") as raw:
            stream: Any = gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) if str(out).endswith(".gz") else raw
            for key, stored in self.items(keys):
                entry = {"key": key, "request": stored["request"], "response": stored["response"]}
                entry |= {"created": stored["created"], "batch_id": stored["batch_id"]}
                stream.write((json.dumps(entry, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8"))
                count += 1
            if stream is not raw:
                stream.close()
        return count

    def import_(self, path: str | os.PathLike[str]) -> int:
        """Add the entries of an export; each request is re-hashed, so a tampered entry is refused.
        An answer the cache already holds is kept."""
        from synthrank.io import iter_jsonl

        count = 0
        self.rescan()
        chunk: list[tuple[str, float, Mapping[str, Any]]] = []
        seen: set[str] = set()
        for number, entry in enumerate(iter_jsonl(path, ("key", "request", "response")), start=1):
            if request_key(entry["request"]) != entry["key"]:
                raise SynthrankError(f"{path}:{number}: key does not match the hash of its request")
            count += 1
            if entry["key"] in self._answers or entry["key"] in seen:
                continue
            seen.add(entry["key"])
            payload = {"batch_id": entry.get("batch_id"), "request": entry["request"], "response": entry["response"]}
            chunk.append((entry["key"], float(entry.get("created") or 0.0), payload))
            if len(chunk) >= _IMPORT_CHUNK:
                self._append(b"a", chunk)
                chunk = []
        if chunk:
            self._append(b"a", chunk)
        return count

    # -- the SQLite file of earlier versions

    def _migrate(self) -> None:
        """Copy the old SQLite cache's answers and batch jobs into the shard :data:`MIGRATED`."""
        import shutil
        import tempfile
        from urllib.parse import quote

        wal = self.legacy.with_name(self.legacy.name + "-wal")
        with tempfile.TemporaryDirectory(prefix="synthrank-cache-") as tmp:
            try:
                if wal.is_file() and wal.stat().st_size > 0:
                    # answers still in the WAL: SQLite replays it (with shared memory) on a local copy
                    copy = Path(tmp) / "legacy.sqlite"
                    shutil.copyfile(self.legacy, copy)
                    shutil.copyfile(wal, copy.with_name(copy.name + "-wal"))
                    conn = sqlite3.connect(copy)
                else:
                    conn = sqlite3.connect(f"file:{quote(str(self.legacy.resolve()))}?mode=ro&immutable=1", uri=True)
                answers, batches = self._legacy_rows(conn)
            except (sqlite3.Error, OSError) as exc:
                raise SynthrankError(f"{self.legacy}: cannot read the old SQLite request cache ({exc})") from None
            name = f".{MIGRATED}.{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4)}.tmp"
            try:
                writer = _Writer(self.path, name)
                lines = [_record(b"a", *row)[0] for row in answers]
                lines += [_record(b"b", "-", record["updated"], record)[0] for record in batches]
                for start in range(0, len(lines), _IMPORT_CHUNK):
                    writer.append(b"".join(lines[start : start + _IMPORT_CHUNK]))
                writer.close()
                _publish(writer.path, self.path / MIGRATED)
            except OSError as exc:
                raise SynthrankError(f"{self.path}: cannot migrate the old request cache ({exc})") from None
        log.warning(
            "%s: migrated %d answers and %d batch jobs into %s; the old file is no longer read (keep it as a backup)",
            self.legacy,
            len(answers),
            len(batches),
            self.path / MIGRATED,
        )

    @staticmethod
    def _legacy_rows(
        conn: sqlite3.Connection,
    ) -> tuple[list[tuple[str, float, dict[str, Any]]], list[dict[str, Any]]]:
        try:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            answers: list[tuple[str, float, dict[str, Any]]] = []
            if "responses" in tables:
                columns = {row[1] for row in conn.execute("PRAGMA table_info(responses)")}
                batch_id = "batch_id" if "batch_id" in columns else "NULL"  # caches before batch support
                query = f"SELECT key, request, response, created, {batch_id} FROM responses ORDER BY key"
                for key, request, response, created, batch in conn.execute(query):
                    payload = {"batch_id": batch, "request": json.loads(request), "response": json.loads(response)}
                    answers.append((key, float(created), payload))
            batches = []
            if "batches" in tables:
                query = "SELECT id, backend, model, keys, status, created, updated FROM batches ORDER BY created"
                for ident, backend, model, keys, status, created, updated in conn.execute(query):
                    batches.append(
                        {"id": ident, "backend": backend, "model": model, "keys": json.loads(keys), "status": status}
                        | {"created": float(created), "updated": float(updated)}
                    )
            return answers, batches
        finally:
            conn.close()


def export_answers(cache_path: str, ledger_paths: Sequence[str], out: str) -> int:
    """Export the cached answers the corpora's ledgers name (sorted, deduplicated): with it, a
    reviewer rebuilds every corpus without API keys (``synthrank llm import``)."""
    from synthrank.io import iter_jsonl

    keys = sorted({entry["request_sha256"] for path in ledger_paths for entry in iter_jsonl(path, ("request_sha256",))})
    with RequestCache(cache_path) as cache:
        count = cache.export(out, keys)
    log.info("exported %d answers to %s", count, out)
    return count
