"""The backends and how to open one: the only module that imports a backend.

``local`` (a GGUF model served by llama.cpp for the job, :mod:`synthrank.llm.llamacpp`),
``openai`` (the OpenAI API or any OpenAI-compatible server; with ``batch``: the Batch API,
:mod:`synthrank.llm.openai_api`), ``gemini`` (online or Batch mode, :mod:`synthrank.llm.gemini_api`)
and ``vllm`` (in-process, :mod:`synthrank.llm.vllm_offline`). Backends are imported when a
transport is opened, never at import time: the SDKs load in seconds and a stage's environment
holds only the SDKs its backends need. Nothing else in :mod:`synthrank.llm` imports this module.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

from synthrank.errors import SynthrankError
from synthrank.llm.base import BatchTransport, OnlineTransport

#: every backend a generator may name (``generators.<name>.backend``)
BACKENDS = ("local", "openai", "gemini", "vllm")


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
    if backend in ("local", "openai") and batch is None:
        from synthrank.llm.openai_api import OpenAIChat

        return OpenAIChat(base_url, api_key, timeout)
    if backend == "openai":
        from synthrank.llm.openai_api import OpenAIBatch

        return OpenAIBatch(model=model, base_url=base_url, api_key=api_key, timeout=timeout, **dict(batch or {}))
    if backend == "gemini":
        if batch is not None:
            from synthrank.llm.gemini_api import GeminiBatch

            return GeminiBatch(model=model, base_url=base_url, api_key=api_key, timeout=timeout, **dict(batch))
        from synthrank.llm.gemini_api import GeminiChat

        return GeminiChat(model=model, base_url=base_url, api_key=api_key, timeout=timeout)
    if backend == "vllm":
        from synthrank.llm.vllm_offline import VllmOffline

        return VllmOffline(model=model, **options)
    raise SynthrankError(f"backend {backend!r} has no transport ({', '.join(BACKENDS)})")


@contextlib.contextmanager
def open_transport(
    backend: str,
    model: str,
    *,
    gguf: str | None = None,
    parallel: int = 1,
    threads: int = 2,
    where: str = "generator",
    **settings: Any,
) -> Iterator[OnlineTransport | BatchTransport]:
    """The transport of a backend for the block (``settings``: those of :func:`make_transport`); for
    ``local``, with its llama.cpp server running (``gguf``: the model file, ``parallel``: decoding
    slots, ``threads``: CPU threads), whose address replaces ``base_url``."""
    with contextlib.ExitStack() as stack:
        if backend == "local":
            from synthrank.llm.llamacpp import local_server

            if not gguf:
                raise SynthrankError(f"{where}: the local backend needs a GGUF model file")
            server = local_server(gguf, alias=model, parallel=parallel, threads=threads)
            settings["base_url"] = stack.enter_context(server)
        yield make_transport(backend, model, **settings)
