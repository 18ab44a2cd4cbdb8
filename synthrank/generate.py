"""Passage corpora: the human positives of the training queries, or passages an LLM writes.

A corpus file is JSONL, one passage per line, each tied to the training query it answers::

    {"query_id", "passage_id", "text", "paradigm", ...provenance}

Generated passages carry their provenance: generator, model and the model version the server
reported, the prompt-template hash, sampling parameters, seed, token counts, finish reason and
the hash of the request (its key in the request cache).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import string
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from synthrank.errors import SynthrankError
from synthrank.io import iter_jsonl, read_qrels, write_json, write_jsonl
from synthrank.llm import ChatClient, RequestCache, local_server
from synthrank.retrieve import passage_text, training_queries

log = logging.getLogger(__name__)

BACKENDS = ("local", "openai")


@dataclass(frozen=True)
class PromptTemplate:
    """A versioned prompt file; ``{query}`` is replaced by the training query."""

    path: str
    text: str

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> PromptTemplate:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise SynthrankError(f"{path}: cannot read prompt template ({exc.strerror})") from None
        fields = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        unknown = fields - {"query"}
        if unknown:
            raise SynthrankError(f"{path}: unknown placeholder {{{sorted(unknown)[0]}}} (only {{query}} is filled)")
        if "query" not in fields:
            raise SynthrankError(f"{path}: the template never uses {{query}}")
        return cls(str(path), text)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def render(self, query: str) -> list[dict[str, str]]:
        return [{"role": "user", "content": self.text.format(query=query).strip()}]


def human_corpus(corpus_path: str, queries: Mapping[str, str], qrels_path: str) -> Iterator[dict[str, Any]]:
    """The judged-relevant passages of the training queries, one record per (query, passage)."""
    qrels = read_qrels(qrels_path)
    wanted = {docid for qid in queries for docid, score in qrels[qid].items() if score > 0}
    texts = {str(d["_id"]): passage_text(d) for d in iter_jsonl(corpus_path, ("_id", "text")) if d["_id"] in wanted}
    for qid in queries:
        for docid, score in qrels[qid].items():
            if score > 0:
                yield {"query_id": qid, "passage_id": docid, "text": texts[docid], "paradigm": "human"}


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

    @classmethod
    def from_config(cls, name: str, cfg: Mapping[str, Any], gguf: str | None = None, threads: int = 2) -> Generator:
        backend = cfg["backend"]
        if backend not in BACKENDS:
            raise SynthrankError(f"generators.{name}.backend: {backend!r} is not one of {', '.join(BACKENDS)}")
        return cls(
            name=name,
            backend=backend,
            model=cfg["model"],
            sampling=dict(cfg.get("sampling", {})),
            samples_per_query=int(cfg.get("samples_per_query", 1)),
            concurrency=int(cfg.get("concurrency", 1)),
            timeout=float(cfg.get("timeout", 120)),
            base_url=cfg.get("base_url"),
            api_key_env=cfg.get("api_key_env"),
            gguf=gguf,
            threads=threads,
        )

    def api_key(self) -> str:
        if not self.api_key_env:
            return ""
        key = os.environ.get(self.api_key_env, "")
        if not key:
            raise SynthrankError(f"generator {self.name}: environment variable {self.api_key_env} is not set")
        return key

    @contextlib.contextmanager
    def endpoint(self) -> Iterator[str | None]:
        """The base URL to send requests to; for ``local``, a server running for the block."""
        if self.backend == "local":
            if not self.gguf:
                raise SynthrankError(f"generator {self.name}: the local backend needs a GGUF model file")
            with local_server(self.gguf, alias=self.model, parallel=self.concurrency, threads=self.threads) as url:
                yield url
        else:
            yield self.base_url

    def request(self, messages: list[dict[str, str]], sample: int) -> dict[str, Any]:
        """The full request; everything in it is part of the cache key."""
        sampling = dict(self.sampling)
        seed = int(sampling.pop("seed", 0)) + sample
        return {"backend": self.backend, "model": self.model, "messages": messages, "seed": seed, **sampling}


def generate_corpus(
    generator: Generator,
    template: PromptTemplate,
    queries: Mapping[str, str],
    cache_path: str,
    paradigm: str,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Ask ``generator`` for passages answering each query; returns (records, stats)."""
    if not queries:
        raise SynthrankError(f"{paradigm} corpus: no training queries to generate passages for")
    api_key = generator.api_key()  # a missing key fails before the first request
    cache = RequestCache(cache_path)
    jobs = [(qid, sample) for qid in queries for sample in range(generator.samples_per_query)]
    with generator.endpoint() as base_url:
        client = ChatClient(
            model=generator.model, cache=cache, base_url=base_url, api_key=api_key, timeout=generator.timeout
        )

        def one(job: tuple[str, int]) -> dict[str, Any]:
            qid, sample = job
            request = generator.request(template.render(queries[qid]), sample)
            key, response = client.complete(request)
            choice = response["choices"][0]
            usage = response.get("usage", {})
            return {
                "query_id": qid,
                "passage_id": f"{qid}.{generator.name}.{paradigm}.{sample}",
                "text": (choice.get("message", {}).get("content") or "").strip(),
                "paradigm": paradigm,
                "generator": generator.name,
                "model": generator.model,
                "model_version": response.get("system_fingerprint") or response.get("model"),
                "template": Path(template.path).name,
                "template_sha256": template.sha256,
                "sampling": {k: v for k, v in request.items() if k not in ("backend", "model", "messages")},
                "sample": sample,
                "prompt_tokens": usage.get("prompt_tokens"),
                "completion_tokens": usage.get("completion_tokens"),
                "finish_reason": choice.get("finish_reason"),
                "request_sha256": key,
            }

        with ThreadPoolExecutor(max_workers=generator.concurrency) as pool:
            records = list(tqdm(pool.map(one, jobs), total=len(jobs), desc=f"generate {generator.name}", unit=" req"))
    kept = [r for r in records if r["text"]]
    stats = {
        "requests": len(jobs),
        "api_calls": client.calls,
        "cache_hits": client.cache_hits,
        "passages": len(kept),
        "dropped_empty": len(records) - len(kept),
        "truncated": sum(1 for r in kept if r["finish_reason"] == "length"),
        "prompt_tokens": sum(r["prompt_tokens"] or 0 for r in records),
        "completion_tokens": sum(r["completion_tokens"] or 0 for r in records),
    }
    if not kept:
        raise SynthrankError(f"{paradigm} corpus from {generator.name}: every generated passage was empty")
    return kept, stats


def build_corpus(
    paradigm: str,
    out_path: str,
    stats_path: str,
    corpus_path: str,
    queries_path: str,
    qrels_path: str,
    generator: Generator | None = None,
    template_path: str | None = None,
    cache_path: str | None = None,
    max_queries: int | None = None,
    sample_seed: int = 0,
) -> dict[str, Any]:
    """Build one corpus file (and its stats file) for a paradigm."""
    queries = training_queries(queries_path, qrels_path, max_queries, sample_seed)
    if paradigm == "human":
        records = list(human_corpus(corpus_path, queries, qrels_path))
        stats: dict[str, Any] = {"passages": len(records)}
    elif paradigm == "zero-shot":
        if generator is None or template_path is None or cache_path is None:
            raise SynthrankError("zero-shot corpus needs a generator, a prompt template and a cache path")
        records, stats = generate_corpus(generator, PromptTemplate.load(template_path), queries, cache_path, paradigm)
    else:
        raise SynthrankError(f"paradigm {paradigm!r} is not one of human, zero-shot")
    if not records:
        raise SynthrankError(f"{paradigm} corpus is empty (no judged training queries in {qrels_path})")
    stats["queries"] = len({r["query_id"] for r in records})
    write_jsonl(out_path, records)
    write_json(stats_path, {"paradigm": paradigm, **stats})
    log.info("%s corpus: %s", paradigm, stats)
    return stats
