"""The request format every backend shares, its errors and its retry rule.

A *request* is a plain dict, the same for every backend::

    {"backend": "openai", "model": "gpt-4.1-mini", "messages": [{"role": "user", "content": ...}],
     "seed": 1234, "temperature": 0.7, "top_p": 1.0, "max_tokens": 256, "attempt": 0, ...options}

Every key is part of the cache key (:func:`request_key`); the keys in :data:`RESERVED` are
bookkeeping and never sent to a server. A *response* is normalised to the OpenAI chat-completion
shape whatever the backend::

    {"choices": [{"message": {"content": "..."}, "finish_reason": "stop" | "length" | ...}],
     "usage": {"prompt_tokens": int, "completion_tokens": int}, "model": ..., "model_version": ...}

A transport sends requests: an :class:`OnlineTransport` one at a time (OpenAI-compatible servers,
Gemini), a :class:`BatchTransport` all pending requests at once (vLLM in-process, the OpenAI and
Gemini Batch APIs). The bottom of :mod:`synthrank.llm`: it imports no other module of it.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from tenacity import wait_exponential_jitter

if TYPE_CHECKING:
    from synthrank.llm.cache import RequestCache

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
