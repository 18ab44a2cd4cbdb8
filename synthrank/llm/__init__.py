"""Talking to generators: one request format, one cache, several transports.

Modules, bottom up (each imports only those above it in this list):

- :mod:`~synthrank.llm.base`: the request and response format, :class:`TransientError`,
  the request key, the retry wait, the transport protocols;
- :mod:`~synthrank.llm.cache`: :class:`RequestCache`, the folder of answers already paid for (one
  append-only shard per writing process: safe on a cluster's shared file system);
- :mod:`~synthrank.llm.fetch`: :class:`Fetcher` (cache, threads, rate limit, retries);
- :mod:`~synthrank.llm.remote_batch`: the submit/record/poll/collect/resume loop of Batch APIs;
- the backends: :mod:`~synthrank.llm.openai_api` (online and Batch), :mod:`~synthrank.llm.gemini_api`
  (online and Batch), :mod:`~synthrank.llm.vllm_offline` (in-process), :mod:`~synthrank.llm.llamacpp`
  (the ``local`` backend's server; :mod:`~synthrank.llm.llamacpp_server` is the process it runs);
- :mod:`~synthrank.llm.registry`: the backend names and :func:`open_transport`, the only module
  that imports a backend;
- :mod:`~synthrank.llm.cli`: ``synthrank llm import|export``.

This file imports nothing, so importing one module of the package loads only what it needs.
"""
