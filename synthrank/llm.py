"""Talking to generators: one OpenAI-compatible request path, a request cache, a local server.

- :class:`RequestCache` is a SQLite file (WAL mode, safe for concurrent jobs) keyed by a hash of
  everything that determines an answer. Each answer is committed the moment it arrives, so a
  killed job loses no paid-for request and a rerun with a full cache makes no call at all.
- :func:`local_server` starts the embedded llama.cpp server (``xllamacpp``) on a free loopback
  port for the duration of a job and stops it afterwards.
- :class:`ChatClient` sends chat requests through the ``openai`` client (to api.openai.com or
  any OpenAI-compatible server by ``base_url``) with timeouts and retries with exponential
  backoff (tenacity) on rate limits, server errors and timeouts.
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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from tenacity import retry, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from synthrank.errors import SynthrankError

log = logging.getLogger(__name__)


def request_key(request: Mapping[str, Any]) -> str:
    """A stable hash of a request (canonical JSON: sorted keys, no whitespace)."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class RequestCache:
    """Answers already paid for, keyed by :func:`request_key`; thread- and process-safe."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS responses ("
                " key TEXT PRIMARY KEY, request TEXT NOT NULL, response TEXT NOT NULL, created REAL NOT NULL)"
            )

    def _connect(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            except sqlite3.Error as exc:
                raise SynthrankError(f"{self.path}: cannot open the request cache ({exc})") from None
            conn.execute("PRAGMA busy_timeout=60000")
            self._local.conn = conn
        return conn

    def get(self, key: str) -> dict[str, Any] | None:
        row = self._connect().execute("SELECT response FROM responses WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def put(self, key: str, request: Mapping[str, Any], response: Mapping[str, Any]) -> None:
        try:
            self._connect().execute(
                "INSERT OR REPLACE INTO responses (key, request, response, created) VALUES (?, ?, ?, ?)",
                (key, json.dumps(request, sort_keys=True), json.dumps(response, sort_keys=True), time.time()),
            )
        except sqlite3.OperationalError as exc:
            raise SynthrankError(f"{self.path}: cannot write the request cache ({exc})") from None

    def __len__(self) -> int:
        return int(self._connect().execute("SELECT COUNT(*) FROM responses").fetchone()[0])


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


def _retryable(exc: BaseException) -> bool:
    import openai

    if isinstance(exc, openai.APIStatusError):
        return exc.status_code == 429 or exc.status_code >= 500
    return isinstance(exc, openai.APIConnectionError | openai.APITimeoutError)


@dataclass
class ChatClient:
    """Chat completions through the openai client, cached, with retries and a timeout."""

    model: str
    cache: RequestCache
    base_url: str | None = None
    api_key: str = field(default="", repr=False)
    timeout: float = 120.0
    max_attempts: int = 6
    calls: int = 0
    cache_hits: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        from openai import OpenAI

        # Retries are tenacity's (below), so the client's own are off.
        self._client = OpenAI(
            api_key=self.api_key or "unused", base_url=self.base_url, timeout=self.timeout, max_retries=0
        )
        self._send = retry(
            retry=retry_if_exception(_retryable),
            wait=wait_exponential_jitter(initial=1, max=60),
            stop=stop_after_attempt(self.max_attempts),
            reraise=True,
        )(self._send_once)

    def _send_once(self, request: Mapping[str, Any]) -> dict[str, Any]:
        body = {key: value for key, value in request.items() if key != "backend"}
        completion = self._client.chat.completions.create(**body)
        return completion.model_dump(mode="json", exclude_none=True)

    def complete(self, request: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        """Return ``(request hash, response)`` for a request, from the cache when possible."""
        key = request_key(request)
        cached = self.cache.get(key)
        if cached is not None:
            with self._lock:
                self.cache_hits += 1
            return key, cached
        import openai

        try:
            response = self._send(request)
        except openai.APIStatusError as exc:
            raise SynthrankError(f"{self.model}: request failed with HTTP {exc.status_code}: {exc.message}") from None
        except (openai.APIConnectionError, openai.APITimeoutError) as exc:
            raise SynthrankError(f"{self.model}: cannot reach {self.base_url or 'the API'} ({exc})") from None
        self.cache.put(key, request, response)
        with self._lock:
            self.calls += 1
        return key, response
