"""Talking to generators: one request format, one cache, several transports.

A *request* is a plain dict, the same for every backend::

    {"backend": "openai", "model": "gpt-4.1-mini", "messages": [{"role": "user", "content": ...}],
     "seed": 1234, "temperature": 0.7, "top_p": 1.0, "max_tokens": 256, "attempt": 0, ...options}

Every key is part of the cache key (:func:`request_key`); the keys in :data:`RESERVED` are
bookkeeping and never sent to a server. A *response* is normalised to the OpenAI chat-completion
shape whatever the backend::

    {"choices": [{"message": {"content": "..."}, "finish_reason": "stop" | "length" | ...}],
     "usage": {"prompt_tokens": int, "completion_tokens": int}, "model": ..., "model_version": ...}

- :class:`RequestCache` is a SQLite file (WAL mode, safe for concurrent jobs) keyed by the request
  hash. Each answer is committed the moment it arrives, so a killed job loses no paid-for request
  and a rerun with a full cache makes no call at all. It also remembers submitted batch jobs
  (:meth:`RequestCache.open_batches`) so that a restarted job resumes polling them instead of
  paying twice.
- A transport sends requests: an :class:`OnlineTransport` one at a time (OpenAI-compatible
  servers, Gemini), a :class:`BatchTransport` all pending requests at once (vLLM in-process, the
  OpenAI and Gemini Batch APIs).
- :class:`Fetcher` runs requests through a transport: cache first, then a thread pool bounded by
  the backend's concurrency, a client-side rate limiter (requests and tokens per minute) and
  retries with exponential backoff (tenacity) on :class:`TransientError`.
- :func:`local_server` starts the embedded llama.cpp server (``xllamacpp``) for a job.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter
from tqdm import tqdm

from synthrank.errors import SynthrankError

log = logging.getLogger(__name__)

#: request keys that are part of the cache key but are not sent to the model
RESERVED = ("backend", "attempt")


class TransientError(Exception):
    """A failure worth retrying: rate limit, server error, timeout, malformed body.

    ``retry_after``: the seconds the server asked the client to wait (``Retry-After``), if it did.
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


#: the longest ``Retry-After`` honoured (a server asking for more is waited for this long, then retried)
MAX_RETRY_AFTER = 600.0


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    """The wait a response asks for: ``retry-after-ms`` (OpenAI), else ``Retry-After`` as seconds or
    an HTTP date (RFC 9110); None when it asks for none or the value cannot be read."""
    if not headers:
        return None
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    try:
        if "retry-after-ms" in lowered:
            return max(0.0, float(lowered["retry-after-ms"]) / 1000)
        value = lowered.get("retry-after")
        if value is None:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            from email.utils import parsedate_to_datetime

            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, OverflowError):
        return None


class _WaitRetryAfter:
    """tenacity wait: the server's ``Retry-After`` when the error carries one (at most
    :data:`MAX_RETRY_AFTER`), else ``fallback`` (exponential backoff with jitter)."""

    def __init__(self, fallback: Callable[[Any], float]) -> None:
        self.fallback = fallback

    def __call__(self, retry_state: Any) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        asked = getattr(exc, "retry_after", None)
        if asked is not None:
            return min(float(asked), MAX_RETRY_AFTER)
        return self.fallback(retry_state)


def wait_for_retry(initial: float = 1, max_wait: float = 60) -> Callable[[Any], float]:
    """The retry wait of every client: Retry-After when given, else exponential backoff with jitter."""
    return _WaitRetryAfter(wait_exponential_jitter(initial=initial, max=max_wait))


def request_key(request: Mapping[str, Any]) -> str:
    """A stable hash of a request (canonical JSON: sorted keys, no whitespace)."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def api_body(request: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a request a server sees."""
    return {key: value for key, value in request.items() if key not in RESERVED}


def normalised(response: Any, where: str) -> dict[str, Any]:
    """Check a response has the normalised shape; a malformed body is a :class:`TransientError`."""
    try:
        choice = response["choices"][0]
        content = choice["message"].get("content")
        if content is not None and not isinstance(content, str):
            raise TypeError("content is not a string")
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        raise TransientError(f"{where}: malformed response ({exc!r})") from None
    return dict(response)


@dataclass(frozen=True)
class Cached:
    """One cached answer with what the ledger needs to know about how it was obtained."""

    key: str
    response: dict[str, Any]
    created: float
    batch_id: str | None = None


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


class OnlineTransport(Protocol):
    """Sends one request and returns its normalised response.

    Raises :class:`TransientError` for what is worth retrying and
    :class:`~synthrank.errors.SynthrankError` (one line) for what is not.
    """

    def send(self, request: Mapping[str, Any]) -> dict[str, Any]: ...


class BatchTransport(Protocol):
    """Answers many requests in one go (vLLM in-process, the OpenAI and Gemini Batch APIs).

    ``run`` must ``cache.put(key, request, response, batch_id=...)`` every answer as soon as it
    has it, record each submitted remote job with ``cache.record_batch`` before waiting for it,
    and first resume the jobs ``cache.open_batches(backend, model)`` lists (a restarted job must
    not pay for the same request twice). Requests it could not answer are simply left uncached;
    the :class:`Fetcher` reports them.
    """

    def run(self, pending: Sequence[tuple[str, Mapping[str, Any]]], cache: RequestCache) -> None: ...


class RateLimiter:
    """Client-side limits on requests and tokens per minute, shared by the threads of a job.

    A token bucket per limit, refilled continuously. Written here (a dozen lines) rather than
    taken from a library because it must weigh one acquisition by its token estimate and block
    threads of a ThreadPoolExecutor; the async-only limiters on PyPI do not fit that.
    """

    def __init__(self, requests_per_minute: float | None = None, tokens_per_minute: float | None = None) -> None:
        limits = (requests_per_minute, tokens_per_minute)  # either may be absent
        self._limits = [(float(x or 0) / 60.0, float(x or 0)) for x in limits]
        self._active = [x is not None for x in (requests_per_minute, tokens_per_minute)]
        self._level = [capacity for _, capacity in self._limits]
        self._stamp = time.monotonic()
        self._lock = threading.Lock()

    def acquire(self, tokens: float = 0.0) -> None:
        need = [1.0, float(tokens)]
        while True:
            with self._lock:
                now = time.monotonic()
                elapsed, self._stamp = now - self._stamp, now
                wait = 0.0
                for i, (rate, capacity) in enumerate(self._limits):
                    if not self._active[i]:
                        continue
                    self._level[i] = min(capacity, self._level[i] + elapsed * rate)
                    want = min(need[i], capacity)  # a request larger than a minute's budget waits for a full bucket
                    if self._level[i] < want:
                        wait = max(wait, (want - self._level[i]) / rate)
                if wait == 0.0:
                    for i, (_, capacity) in enumerate(self._limits):
                        if self._active[i]:
                            self._level[i] -= min(need[i], capacity)
                    return
            time.sleep(min(wait, 5.0))


def estimated_tokens(request: Mapping[str, Any]) -> int:
    """Prompt characters / 4 plus the completion budget: what a tokens-per-minute limit counts."""
    chars = sum(len(str(m.get("content", ""))) for m in request.get("messages", []))
    return chars // 4 + int(request.get("max_tokens", 0))


@dataclass
class Fetcher:
    """Runs requests through a transport: cache, concurrency, rate limits, retries, timeouts."""

    transport: OnlineTransport | BatchTransport
    cache: RequestCache
    concurrency: int = 1
    limiter: RateLimiter | None = None
    max_attempts: int = 6
    offline: bool = False
    name: str = "generator"
    calls: int = 0
    cache_hits: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _send(self, request: Mapping[str, Any]) -> dict[str, Any]:
        transport: OnlineTransport = self.transport  # type: ignore[assignment]
        send = retry(
            retry=retry_if_exception_type(TransientError),
            wait=wait_for_retry(initial=1, max_wait=60),
            stop=stop_after_attempt(self.max_attempts),
            reraise=True,
        )(self._attempt)
        try:
            return send(transport, request)
        except TransientError as exc:
            raise SynthrankError(f"{self.name}: gave up after {self.max_attempts} attempts: {exc}") from None

    def _attempt(self, transport: OnlineTransport, request: Mapping[str, Any]) -> dict[str, Any]:
        if self.limiter is not None:
            self.limiter.acquire(estimated_tokens(request))
        return normalised(transport.send(request), self.name)

    def one(self, request: Mapping[str, Any]) -> Cached:
        key = request_key(request)
        entry = self.cache.entry(key)
        if entry is not None:
            with self._lock:
                self.cache_hits += 1
            return entry
        if self.offline:
            raise SynthrankError(f"{self.name}: request {key[:12]} is not in the cache (offline mode: no API calls)")
        response = self._send(request)
        self.cache.put(key, request, response)
        with self._lock:
            self.calls += 1
        return Cached(key, response, time.time())

    def fetch(self, requests: Sequence[Mapping[str, Any]], desc: str = "generate") -> list[Cached]:
        """The answers to ``requests``, in order."""
        if hasattr(self.transport, "run"):
            return self._fetch_batch(requests, desc)
        with ThreadPoolExecutor(max_workers=max(1, self.concurrency)) as pool:
            return list(tqdm(pool.map(self.one, requests), total=len(requests), desc=desc, unit=" req"))

    def _fetch_batch(self, requests: Sequence[Mapping[str, Any]], desc: str) -> list[Cached]:
        keys = [request_key(r) for r in requests]
        pending = {key: r for key, r in zip(keys, requests, strict=True) if key not in self.cache}
        self.cache_hits += len(requests) - len(pending)
        if pending:
            if self.offline:
                raise SynthrankError(f"{self.name}: {len(pending)} requests are not in the cache (offline mode)")
            log.info("%s: %d requests to answer in batch (%d cached)", desc, len(pending), self.cache_hits)
            transport: BatchTransport = self.transport  # type: ignore[assignment]
            transport.run(list(pending.items()), self.cache)
        out = []
        for key in keys:
            entry = self.cache.entry(key)
            if entry is None:
                raise SynthrankError(f"{self.name}: the batch returned no answer for request {key[:12]}")
            out.append(Cached(key, normalised(entry.response, self.name), entry.created, entry.batch_id))
        self.calls += len(pending)
        return out


class OpenAIChat:
    """Online transport: chat completions through the ``openai`` client (api.openai.com or any
    OpenAI-compatible server by ``base_url``: vLLM's ``vllm serve``, llama.cpp)."""

    def __init__(self, base_url: str | None, api_key: str, timeout: float) -> None:
        from openai import OpenAI

        self.base_url = base_url
        # Retries are the Fetcher's (tenacity, which honours Retry-After), so the client's own are off.
        self._client = OpenAI(api_key=api_key or "unused", base_url=base_url, timeout=timeout, max_retries=0)

    def send(self, request: Mapping[str, Any]) -> dict[str, Any]:
        import openai

        try:
            completion = self._client.chat.completions.create(**api_body(request))
        except openai.APIStatusError as exc:
            if exc.status_code == 429 or exc.status_code >= 500:
                wait = retry_after_seconds(getattr(exc.response, "headers", None))
                raise TransientError(f"HTTP {exc.status_code}", retry_after=wait) from None
            raise SynthrankError(
                f"{request.get('model')}: request failed with HTTP {exc.status_code}: {exc.message}"
            ) from None
        except (openai.APIConnectionError, openai.APITimeoutError) as exc:
            raise TransientError(f"cannot reach {self.base_url or 'the API'} ({exc})") from None
        except openai.APIResponseValidationError as exc:
            raise TransientError(f"malformed response ({exc})") from None
        if not hasattr(completion, "model_dump"):  # a 200 whose body was not JSON
            raise TransientError(f"malformed response body {str(completion)[:80]!r}")
        response = completion.model_dump(mode="json", exclude_none=True)
        if response.get("system_fingerprint"):
            response["model_version"] = response["system_fingerprint"]
        return response


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def local_server(
    gguf: str, alias: str, parallel: int = 1, ctx_size: int = 4096, threads: int = 2, startup_timeout: float = 120
) -> Iterator[str]:
    """Run the embedded llama.cpp server for the block; yields its OpenAI base URL."""
    if not Path(gguf).is_file():
        raise SynthrankError(f"local model file {gguf} does not exist")
    import importlib.util

    if importlib.util.find_spec("xllamacpp") is None:
        raise SynthrankError("the local backend serves its model with llama.cpp: pip install 'synthrank[local]'")
    port = _free_port()
    cmd = [sys.executable, "-m", "synthrank.llm_server", "--model", gguf, "--alias", alias, "--port", str(port)]
    cmd += ["--parallel", str(parallel), "--ctx-size", str(ctx_size * parallel), "--threads", str(threads)]
    # The server is this package's module: importable even where synthrank is not installed (a
    # stage's conda environment, whose jobs find the package through scripts/synthrank).
    package_root = str(Path(__file__).resolve().parent.parent)
    path = os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
    proc = subprocess.Popen(cmd, stdout=sys.stderr, stderr=sys.stderr, env={**os.environ, "PYTHONPATH": path})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if proc.poll() is not None:
                raise SynthrankError(f"local LLM server for {gguf} exited with code {proc.returncode} at start-up")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise SynthrankError(f"local LLM server for {gguf} not ready after {startup_timeout:.0f} s")
            time.sleep(0.5)
        log.info("local LLM server %s up at %s", alias, base)
        yield f"{base}/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def make_transport(
    backend: str,
    model: str,
    *,
    base_url: str | None = None,
    api_key: str = "",
    timeout: float = 120.0,
    batch: Mapping[str, Any] | None = None,
    options: Mapping[str, Any] | None = None,
) -> OnlineTransport | BatchTransport:
    """The transport for a generator's backend (``batch``: the Batch-API settings, if enabled)."""
    options = dict(options or {})
    if backend in ("local", "openai") and not batch:
        return OpenAIChat(base_url, api_key, timeout)
    if backend == "openai":
        from synthrank.llm_batch import OpenAIBatch

        return OpenAIBatch(model=model, base_url=base_url, api_key=api_key, timeout=timeout, **dict(batch or {}))
    if backend == "gemini":
        if batch:
            from synthrank.llm_gemini import GeminiBatch

            return GeminiBatch(model=model, base_url=base_url, api_key=api_key, timeout=timeout, **dict(batch))
        from synthrank.llm_gemini import GeminiChat

        return GeminiChat(model=model, base_url=base_url, api_key=api_key, timeout=timeout)
    if backend == "vllm":
        from synthrank.llm_vllm import VllmOffline

        return VllmOffline(model=model, **options)
    raise SynthrankError(f"backend {backend!r} has no transport (local, openai, gemini, vllm)")


def main(argv: Sequence[str] | None = None) -> None:
    """``synthrank llm import FILE [--cache PATH]``: load an exported answer file into the
    request cache; then ``SYNTHRANK_OFFLINE=1 snakemake ...`` rebuilds the corpora with no API key."""
    import argparse

    parser = argparse.ArgumentParser(prog="synthrank llm", description=main.__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import", help="add an export (.jsonl or .jsonl.gz) to the request cache")
    imp.add_argument("file")
    imp.add_argument("--cache", default="results/cache/llm-requests.sqlite")
    exp = sub.add_parser("export", help="write the whole request cache as JSONL")
    exp.add_argument("file")
    exp.add_argument("--cache", default="results/cache/llm-requests.sqlite")
    args = parser.parse_args(argv)
    try:
        if args.command == "import":
            print(f"imported {RequestCache(args.cache).import_(args.file)} answers into {args.cache}")
        else:
            print(f"exported {RequestCache(args.cache).export(args.file)} answers to {args.file}")
    except SynthrankError as exc:
        sys.exit(f"synthrank: {exc}")


if __name__ == "__main__":
    main()
