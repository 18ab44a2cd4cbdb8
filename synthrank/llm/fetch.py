"""Running requests through a transport: cache first, then concurrency, rate limits, retries.

:class:`Fetcher` answers from the :class:`~synthrank.llm.cache.RequestCache` where it can, and
sends the rest through an online transport (a thread pool bounded by the backend's concurrency,
a client-side :class:`RateLimiter` on requests and tokens per minute, tenacity retries with
exponential backoff or the server's ``Retry-After`` on
:class:`~synthrank.llm.base.TransientError`) or hands them to a batch transport at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from tenacity import retry, retry_if_exception_type, stop_after_attempt
from tqdm import tqdm

from synthrank.errors import SynthrankError
from synthrank.llm.base import (
    BatchTransport,
    Cached,
    OnlineTransport,
    TransientError,
    normalised,
    request_key,
    wait_for_retry,
)
from synthrank.llm.cache import RequestCache

log = logging.getLogger(__name__)


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
