"""A configured generator (``generators:`` in the config): its requests, its fetcher, its price.

:class:`Generator` turns a prompt into the full request (everything in it is part of the cache
key; a regeneration gets its own seed), opens its backend through
:func:`synthrank.llm.registry.open_transport` (for ``local``, with the llama.cpp server running)
and prices tokens with :func:`synthrank.pricing.usd`. With ``SYNTHRANK_OFFLINE=1`` every answer
must come from the request cache: no key, no server, no transport.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from synthrank.errors import SynthrankError
from synthrank.llm.cache import RequestCache
from synthrank.llm.fetch import Fetcher, RateLimiter
from synthrank.llm.registry import BACKENDS, open_transport
from synthrank.pricing import usd
from synthrank.schema import defaults

#: an environment variable: answer every request from the cache, never call an API (no keys needed)
OFFLINE_ENV = "SYNTHRANK_OFFLINE"


@dataclass(frozen=True)
class Generator:
    """A configured generator (see ``generators:`` in the config)."""

    name: str
    backend: str
    model: str
    sampling: Mapping[str, Any]
    samples_per_query: int = 1
    concurrency: int = 1
    timeout: float = 120.0
    base_url: str | None = None
    api_key_env: str | None = None
    gguf: str | None = None
    threads: int = 2
    batch: Mapping[str, Any] | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    rate_limit: Mapping[str, Any] = field(default_factory=dict)
    price: Mapping[str, Any] | None = None
    max_attempts: int = 6
    chat_template_kwargs: Mapping[str, Any] | None = None

    @classmethod
    def from_config(cls, name: str, cfg: Mapping[str, Any], gguf: str | None = None, threads: int = 2) -> Generator:
        cfg = defaults("generator") | dict(cfg)
        backend = cfg["backend"]
        if backend not in BACKENDS:
            raise SynthrankError(f"generators.{name}.backend: {backend!r} is not one of {', '.join(BACKENDS)}")
        return cls(
            name=name,
            backend=backend,
            model=cfg["model"],
            sampling=dict(cfg["sampling"]),
            samples_per_query=int(cfg["samples_per_query"]),
            concurrency=int(cfg["concurrency"]),
            timeout=float(cfg["timeout"]),
            base_url=cfg.get("base_url"),
            api_key_env=cfg.get("api_key_env"),
            gguf=gguf,
            threads=threads,
            batch=None if cfg.get("batch") is None else dict(cfg["batch"]),  # {}: the Batch API, defaults
            options=dict(cfg["options"]),
            rate_limit=dict(cfg["rate_limit"]),
            price=cfg.get("price"),
            max_attempts=int(cfg["max_attempts"]),
            chat_template_kwargs=cfg.get("chat_template_kwargs"),
        )

    def api_key(self) -> str:
        if not self.api_key_env:
            return ""
        key = os.environ.get(self.api_key_env, "")
        if not key:
            raise SynthrankError(f"generator {self.name}: environment variable {self.api_key_env} is not set")
        return key

    @contextlib.contextmanager
    def fetcher(self, cache: RequestCache, offline: bool = False) -> Iterator[Fetcher]:
        """A :class:`Fetcher` for this generator; for ``local``, with its server running."""
        if offline:  # every answer must come from the cache: no key, no server, no transport
            yield Fetcher(_NoTransport(), cache, offline=True, name=self.name)
            return
        api_key = self.api_key()  # a missing key fails before the first request
        with open_transport(
            self.backend,
            self.model,
            base_url=self.base_url,
            api_key=api_key,
            timeout=self.timeout,
            batch=self.batch,
            options=self.options if self.backend == "vllm" else None,
            gguf=self.gguf,
            parallel=self.concurrency,
            threads=self.threads,
            where=f"generator {self.name}",
        ) as transport:
            limiter = None
            if self.rate_limit:
                limiter = RateLimiter(
                    self.rate_limit.get("requests_per_minute"), self.rate_limit.get("tokens_per_minute")
                )
            yield Fetcher(
                transport,
                cache,
                concurrency=self.concurrency,
                limiter=limiter,
                max_attempts=self.max_attempts,
                name=self.name,
            )

    def request(self, messages: list[dict[str, str]], sample: int, attempt: int = 0) -> dict[str, Any]:
        """The full request; everything in it is part of the cache key."""
        sampling = dict(self.sampling)
        # a regeneration must differ from the answer it replaces: its own seed (and key)
        seed = int(sampling.pop("seed", 0)) + sample + 100_003 * attempt
        request: dict[str, Any] = {"backend": self.backend, "model": self.model, "messages": messages, "seed": seed}
        request |= sampling
        if self.chat_template_kwargs:  # they change the prompt the model reads: part of the key
            request["chat_template_kwargs"] = dict(self.chat_template_kwargs)
        if attempt:
            request["attempt"] = attempt
        if self.backend != "vllm":  # vLLM's options configure the engine, not the request
            request |= dict(self.options)
        return request

    def cost(self, prompt_tokens: int, completion_tokens: int, batch: bool) -> float:
        """Dollars for a request's tokens at the configured price (:func:`synthrank.pricing.usd`)."""
        return usd(self.price, prompt_tokens, completion_tokens, batch)


class _NoTransport:
    def send(self, request: Mapping[str, Any]) -> dict[str, Any]:  # pragma: no cover - offline never sends
        raise SynthrankError("offline mode: no transport")


def offline_mode() -> bool:
    return os.environ.get(OFFLINE_ENV, "") not in ("", "0", "false", "no")
