"""Passage corpora: human positives, LLM-written passages (three paradigms), and mixtures.

A corpus file is JSONL, one passage per line, each tied to the training query it answers::

    {"query_id", "passage_id", "text", "paradigm", ...provenance}

Paradigms (``corpora.<name>.paradigm`` in the config):

- ``human``: the judged-relevant passages of the training queries;
- ``zero-shot``: the prompt holds the query only;
- ``few-shot-unsupervised``: the prompt also shows ``k`` raw passages sampled from the training
  collection's corpus (no queries), as style exemplars;
- ``few-shot-supervised``: the prompt shows ``k`` human (query, passage) pairs drawn from the
  labelled exemplar pool (:func:`build_exemplar_pool`), which is disjoint from the training
  queries and from every evaluation query;
- ``mixture``: named components (other corpora), each restricted to a slice of the training
  query order, concatenated; nothing is generated twice;
- ``release``: a released corpus (:mod:`synthrank.release`) read back instead of generated: the
  same records, byte for byte, and the released stats.

Training queries come in one seeded order (:func:`query_order`); a corpus with ``queries: N``
answers the first ``N`` of it, so small-corpus settings are nested prefixes of larger ones.

Every generated passage carries the prompt-template hash, the exemplar ids, the sampling
parameters and the request hash; the per-corpus *ledger* (``results/ledgers/...``) has one line
per request ever made for the corpus (regenerations included) with tokens, cost, the model
version the API reported, the batch-job id and a timestamp. The stats file counts every flag
(empty, refused, truncated, duplicate, query copy) and what was done about it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import random
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synthrank.errors import SynthrankError
from synthrank.io import iter_jsonl, read_qrels, read_texts, write_json, write_jsonl
from synthrank.llm import Cached, Fetcher, RateLimiter, RequestCache, local_server, make_transport
from synthrank.prompts import PromptTemplate
from synthrank.retrieve import judged_queries, passage_text

log = logging.getLogger(__name__)

BACKENDS = ("local", "openai", "gemini", "vllm")
GENERATED = ("zero-shot", "few-shot-unsupervised", "few-shot-supervised")
PARADIGMS = ("human", *GENERATED, "mixture", "release")
FLAGS = ("empty", "refused", "truncated", "duplicate", "query_copy")
ACTIONS = ("keep", "drop", "regenerate")
#: an environment variable: answer every request from the cache, never call an API (no keys needed)
OFFLINE_ENV = "SYNTHRANK_OFFLINE"

DEFAULT_QUALITY: dict[str, Any] = {
    "empty": "regenerate",
    "refused": "regenerate",
    "truncated": "keep",
    "duplicate": "drop",
    "query_copy": "regenerate",
    "max_regenerations": 2,
    "refusal_patterns": [
        r"^\s*(i'?m sorry|i am sorry|sorry,|i cannot|i can'?t|i am unable|i'?m unable|as an ai)\b",
    ],
}


def normalise_text(text: str) -> str:
    """Lower case, punctuation dropped, whitespace collapsed: for duplicate and copy checks."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


# ---------------------------------------------------------------- training queries


def query_order(
    queries_path: str | os.PathLike[str],
    qrels_path: str | os.PathLike[str],
    max_queries: int | None = None,
    seed: int = 0,
    exclude: Iterable[str] = (),
) -> dict[str, str]:
    """The training queries in one seeded order, without ``exclude`` (the exemplar pool), cut to
    ``max_queries``. Every corpus takes a prefix of this order."""
    queries = judged_queries(queries_path, qrels_path)
    qrels = read_qrels(qrels_path)
    excluded = set(exclude)
    order = sorted(q for q in queries if q not in excluded and any(s > 0 for s in qrels[q].values()))
    random.Random(seed).shuffle(order)
    if max_queries is not None:
        order = order[:max_queries]
    return {qid: queries[qid] for qid in order}


def training_order(
    queries_path: str,
    qrels_path: str,
    pool_path: str | None,
    max_queries: int | None,
    sample_seed: int,
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The exemplar pool (empty without one) and the query order of every corpus, which excludes it."""
    pool = list(iter_jsonl(pool_path, ("query_id", "query", "passage_id", "passage"))) if pool_path else []
    return pool, query_order(queries_path, qrels_path, max_queries, sample_seed, exclude={p["query_id"] for p in pool})


def select_queries(order: Mapping[str, str], count: int | None, offset: int = 0, where: str = "corpus") -> list[str]:
    """``order[offset:offset + count]`` (all from ``offset`` when count is None), checked."""
    ids = list(order)
    if offset + (count or 0) > len(ids):
        raise SynthrankError(
            f"{where}: asks for queries {offset}..{offset + (count or 0)} but only {len(ids)} training queries exist"
        )
    return ids[offset:] if count is None else ids[offset : offset + count]


# ---------------------------------------------------------------- exemplars


def build_exemplar_pool(
    out_path: str,
    corpus_path: str,
    queries_path: str,
    qrels_path: str,
    evaluation: Sequence[tuple[str, str]],
    size: int,
    seed: int,
) -> int:
    """The labelled (query, passage) pool few-shot-supervised prompts draw from.

    Drawn in a seeded order from the judged training queries, skipping any query whose text
    (normalised) is also an evaluation query (``evaluation``: (queries, qrels) file pairs);
    these queries are then excluded from every corpus.
    """
    eval_texts = set()
    for eval_queries, eval_qrels in evaluation:  # (queries file, qrels file) of each evaluation collection
        texts = read_texts(eval_queries)
        eval_texts |= {normalise_text(texts[qid]) for qid in read_qrels(eval_qrels) if qid in texts}
    queries = judged_queries(queries_path, qrels_path)
    qrels = read_qrels(qrels_path)
    order = sorted(q for q in queries if any(s > 0 for s in qrels[q].values()))
    random.Random(seed).shuffle(order)
    chosen: list[tuple[str, str]] = []
    for qid in order:
        if len(chosen) == size:
            break
        if normalise_text(queries[qid]) in eval_texts:
            continue
        best = sorted(qrels[qid].items(), key=lambda item: (-item[1], item[0]))[0][0]
        chosen.append((qid, best))
    if len(chosen) < size:
        raise SynthrankError(f"{qrels_path}: only {len(chosen)} judged queries for an exemplar pool of {size}")
    wanted = {docid for _, docid in chosen}
    texts = {str(d["_id"]): passage_text(d) for d in iter_jsonl(corpus_path, ("_id", "text")) if d["_id"] in wanted}
    missing = sorted(wanted - set(texts))
    if missing:
        raise SynthrankError(f"{qrels_path}: judged passage {missing[0]!r} is not in {corpus_path}")
    rows = [{"query_id": q, "query": queries[q], "passage_id": d, "passage": texts[d]} for q, d in chosen]
    return write_jsonl(out_path, rows)


def sample_passages(
    corpus_path: str, size: int, seed: int, exclude: set[str] | None = None, max_chars: int = 1200
) -> list[dict[str, str]]:
    """A seeded uniform sample of ``size`` raw passages, streamed (reservoir sampling, so an
    8.8M-passage corpus is read once in constant memory). ``exclude``: ids never shown."""
    rng = random.Random(seed)
    reservoir: list[dict[str, str]] = []
    seen = 0
    for doc in iter_jsonl(corpus_path, ("_id", "text")):
        docid = str(doc["_id"])
        if exclude and docid in exclude:
            continue
        text = passage_text(doc)
        if not text:
            continue
        seen += 1
        item = {"passage_id": docid, "passage": text[:max_chars]}
        if len(reservoir) < size:
            reservoir.append(item)
        else:
            slot = rng.randrange(seen)
            if slot < size:
                reservoir[slot] = item
    if len(reservoir) < size:
        raise SynthrankError(f"{corpus_path}: only {len(reservoir)} passages for an exemplar sample of {size}")
    return sorted(reservoir, key=lambda item: item["passage_id"])


@dataclass(frozen=True)
class ExemplarPlan:
    """Which exemplars each query's prompt shows (``sampling``: ``fixed`` or ``per-query``)."""

    pool: Sequence[Mapping[str, str]]
    k: int
    sampling: str = "per-query"
    seed: int = 0

    def for_query(self, qid: str) -> list[Mapping[str, str]]:
        if self.k > len(self.pool):
            raise SynthrankError(f"exemplars: k={self.k} but the pool holds {len(self.pool)}")
        # str seeds are hashed with SHA-512 by random.Random: stable across runs and machines
        rng = random.Random(f"{self.seed}" if self.sampling == "fixed" else f"{self.seed}:{qid}")
        return rng.sample(list(self.pool), self.k)


# ---------------------------------------------------------------- prompts


# ---------------------------------------------------------------- generators


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
            batch=cfg.get("batch") or None,
            options=dict(cfg.get("options", {})),
            rate_limit=dict(cfg.get("rate_limit", {})),
            price=cfg.get("price"),
            max_attempts=int(cfg.get("max_attempts", 6)),
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
        with contextlib.ExitStack() as stack:
            base_url = self.base_url
            if self.backend == "local":
                if not self.gguf:
                    raise SynthrankError(f"generator {self.name}: the local backend needs a GGUF model file")
                base_url = stack.enter_context(
                    local_server(self.gguf, alias=self.model, parallel=self.concurrency, threads=self.threads)
                )
            transport = make_transport(
                self.backend,
                self.model,
                base_url=base_url,
                api_key=api_key,
                timeout=self.timeout,
                batch=self.batch,
                options=self.options if self.backend == "vllm" else None,
            )
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
        if attempt:
            request["attempt"] = attempt
        if self.backend != "vllm":  # vLLM's options configure the engine, not the request
            request |= dict(self.options)
        return request

    def cost(self, prompt_tokens: int, completion_tokens: int, batch: bool) -> float:
        if not self.price:
            return 0.0
        usd = (prompt_tokens * self.price["input_per_mtok"] + completion_tokens * self.price["output_per_mtok"]) / 1e6
        return usd * (self.price.get("batch_discount", 0.5) if batch else 1.0)


class _NoTransport:
    def send(self, request: Mapping[str, Any]) -> dict[str, Any]:  # pragma: no cover - offline never sends
        raise SynthrankError("offline mode: no transport")


def offline_mode() -> bool:
    return os.environ.get(OFFLINE_ENV, "") not in ("", "0", "false", "no")


# ---------------------------------------------------------------- quality


@dataclass
class Quality:
    """What to do with each flag: keep, drop or regenerate (``generation.quality`` in config)."""

    actions: Mapping[str, str]
    max_regenerations: int
    refusal: re.Pattern[str]

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any] | None) -> Quality:
        merged = {**DEFAULT_QUALITY, **dict(cfg or {})}
        actions = {flag: merged[flag] for flag in FLAGS}
        for flag, action in actions.items():
            if action not in ACTIONS:
                raise SynthrankError(f"generation.quality.{flag}: {action!r} is not one of {', '.join(ACTIONS)}")
        pattern = re.compile("|".join(f"(?:{p})" for p in merged["refusal_patterns"]), re.IGNORECASE)
        return cls(actions, int(merged["max_regenerations"]), pattern)

    def flags(self, text: str, query: str, finish_reason: str | None, seen: set[str]) -> list[str]:
        norm = normalise_text(text)
        flags = []
        if not norm:
            flags.append("empty")
        elif self.refusal.search(text):
            flags.append("refused")
        if finish_reason in ("length", "max_tokens"):
            flags.append("truncated")
        if norm and norm in seen:
            flags.append("duplicate")
        query_norm = normalise_text(query)
        if norm and query_norm and (norm == query_norm or (query_norm in norm and len(norm) < 2 * len(query_norm))):
            flags.append("query_copy")
        return flags

    def action(self, flags: Sequence[str]) -> str:
        chosen = "keep"
        for flag in flags:
            action = self.actions[flag]
            if ACTIONS.index(action) > ACTIONS.index(chosen):
                chosen = action
        return chosen


# ---------------------------------------------------------------- corpora


def human_corpus(corpus_path: str, queries: Mapping[str, str], qrels_path: str) -> Iterator[dict[str, Any]]:
    """The judged-relevant passages of the training queries, one record per (query, passage)."""
    qrels = read_qrels(qrels_path)
    wanted = {docid for qid in queries for docid, score in qrels[qid].items() if score > 0}
    texts = {str(d["_id"]): passage_text(d) for d in iter_jsonl(corpus_path, ("_id", "text")) if d["_id"] in wanted}
    for qid in queries:
        for docid, score in qrels[qid].items():
            if score > 0:
                if docid not in texts:
                    raise SynthrankError(f"{qrels_path}: judged passage {docid!r} is not in {corpus_path}")
                yield {"query_id": qid, "passage_id": docid, "text": texts[docid], "paradigm": "human"}


def _timestamp(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC).isoformat(timespec="seconds")


def generate_corpus(
    generator: Generator,
    template: PromptTemplate,
    queries: Mapping[str, str],
    cache_path: str,
    paradigm: str,
    exemplars: ExemplarPlan | None = None,
    quality: Quality | None = None,
    samples_per_query: int | None = None,
    offline: bool | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    """Ask ``generator`` for passages answering each query; returns (records, ledger, stats).

    Answers are flagged (:class:`Quality`); flagged answers are kept, dropped or regenerated
    (a new request with its own seed) as configured. Every request ever made is a ledger line.
    """
    if not queries:
        raise SynthrankError(f"{paradigm} corpus: no training queries to generate passages for")
    quality = quality or Quality.from_config(None)
    offline = offline_mode() if offline is None else offline
    n = samples_per_query or generator.samples_per_query
    shown = {qid: exemplars.for_query(qid) if exemplars else [] for qid in queries}
    prompts = {qid: template.render(queries[qid], shown[qid]) for qid in queries}
    cache = RequestCache(cache_path)
    slots = [(qid, sample) for qid in queries for sample in range(n)]
    final: dict[tuple[str, int], tuple[dict[str, Any], list[str], str]] = {}
    ledger: list[dict[str, Any]] = []
    seen: set[str] = set()
    flag_counts: Counter[str] = Counter()
    with generator.fetcher(cache, offline) as fetcher:
        todo = slots
        for attempt in range(quality.max_regenerations + 1):
            if not todo:
                break
            requests = [generator.request(prompts[qid], sample, attempt) for qid, sample in todo]
            answers = fetcher.fetch(requests, desc=f"generate {generator.name} (attempt {attempt})")
            retry: list[tuple[str, int]] = []
            for (qid, sample), request, answer in zip(todo, requests, answers, strict=True):
                entry = _ledger_entry(generator, template, qid, sample, attempt, request, answer, shown[qid])
                text = entry.pop("text")
                flags = quality.flags(text, queries[qid], entry["finish_reason"], seen)
                flag_counts.update(flags)
                action = quality.action(flags)
                last = attempt == quality.max_regenerations
                if action == "regenerate" and not last:
                    entry["status"] = "regenerated"
                    retry.append((qid, sample))
                elif action == "keep":
                    entry["status"] = "kept"
                    seen.add(normalise_text(text))
                    final[(qid, sample)] = (entry, flags, text)
                else:
                    entry["status"] = "dropped" if action == "drop" else "dropped-after-regenerations"
                entry["flags"] = flags
                ledger.append(entry)
            todo = retry
    records = []
    for qid, sample in slots:
        if (qid, sample) not in final:
            continue
        entry, flags, text = final[(qid, sample)]
        records.append(
            {
                "query_id": qid,
                "passage_id": f"{qid}.{generator.name}.{paradigm}.{sample}",
                "text": text,
                "paradigm": paradigm,
                "generator": generator.name,
                "model": generator.model,
                "model_version": entry["model_version"],
                "template": Path(template.path).name,
                "template_sha256": template.sha256,
                "exemplar_ids": entry["exemplar_ids"],
                "sampling": entry["sampling"],
                "sample": sample,
                "attempt": entry["attempt"],
                "flags": flags,
                "finish_reason": entry["finish_reason"],
                "prompt_tokens": entry["prompt_tokens"],
                "completion_tokens": entry["completion_tokens"],
                "request_sha256": entry["request_sha256"],
            }
        )
    statuses = Counter(e["status"] for e in ledger)
    stats = {
        "generator": generator.name,
        "backend": generator.backend,
        "model": generator.model,
        "model_versions": sorted({str(e["model_version"]) for e in ledger}),
        "template_sha256": template.sha256,
        "requests": len(ledger),
        "api_calls": fetcher.calls,
        "cache_hits": fetcher.cache_hits,
        "passages": len(records),
        "flags": {flag: flag_counts.get(flag, 0) for flag in FLAGS},
        "regenerated": statuses.get("regenerated", 0),
        "dropped": statuses.get("dropped", 0) + statuses.get("dropped-after-regenerations", 0),
        "prompt_tokens": sum(e["prompt_tokens"] for e in ledger),
        "completion_tokens": sum(e["completion_tokens"] for e in ledger),
        "cost_usd": round(sum(e["cost_usd"] for e in ledger), 6),
        "batch_jobs": sorted({e["batch_id"] for e in ledger if e["batch_id"]}),
    }
    if not records:
        raise SynthrankError(f"{paradigm} corpus from {generator.name}: no passage survived the quality checks")
    return records, ledger, stats


def _ledger_entry(
    generator: Generator,
    template: PromptTemplate,
    qid: str,
    sample: int,
    attempt: int,
    request: Mapping[str, Any],
    answer: Cached,
    exemplars: Sequence[Mapping[str, str]],
) -> dict[str, Any]:
    response = answer.response
    choice = response["choices"][0]
    usage = response.get("usage") or {}
    prompt_tokens = int(usage.get("prompt_tokens") or 0)
    completion_tokens = int(usage.get("completion_tokens") or 0)
    return {
        "query_id": qid,
        "sample": sample,
        "attempt": attempt,
        "text": (choice.get("message", {}).get("content") or "").strip(),
        "request_sha256": answer.key,
        "generator": generator.name,
        "backend": generator.backend,
        "model": generator.model,
        "model_version": response.get("model_version") or response.get("model"),
        "template": Path(template.path).name,
        "template_sha256": template.sha256,
        "exemplar_ids": [ex.get("query_id") or ex["passage_id"] for ex in exemplars],
        "sampling": {k: v for k, v in request.items() if k not in ("backend", "model", "messages")},
        "finish_reason": choice.get("finish_reason"),
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "cost_usd": generator.cost(prompt_tokens, completion_tokens, batch=answer.batch_id is not None),
        "batch_id": answer.batch_id,
        "timestamp": _timestamp(answer.created),
    }


def mixture_corpus(
    components: Sequence[Mapping[str, Any]], order: Mapping[str, str], where: str = "mixture"
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Concatenate component corpora, each cut to its slice of the training query order.

    ``components``: ``{"corpus": name, "path": file, "queries": N or None, "offset": M}``.
    """
    records: list[dict[str, Any]] = []
    parts = []
    seen_ids: set[tuple[str, str]] = set()
    for comp in components:
        wanted = set(select_queries(order, comp.get("queries"), comp.get("offset", 0), f"{where}: {comp['corpus']}"))
        taken = [r for r in iter_jsonl(comp["path"], ("query_id", "passage_id", "text")) if r["query_id"] in wanted]
        missing = wanted - {r["query_id"] for r in taken}
        if len(missing) == len(wanted):
            raise SynthrankError(f"{where}: component {comp['corpus']} has no passage for its {len(wanted)} queries")
        for record in taken:
            ident = (record["query_id"], record["passage_id"])
            if ident in seen_ids:
                raise SynthrankError(f"{where}: passage {record['passage_id']!r} comes from two components")
            seen_ids.add(ident)
            records.append({**record, "component": comp["corpus"]})
        parts.append(
            {
                "corpus": comp["corpus"],
                "queries": len(wanted),
                "queries_without_passage": len(missing),
                "passages": len(taken),
            }
        )
    return records, {"components": parts, "passages": len(records)}


@dataclass
class CorpusSpec:
    """Everything :func:`build_corpus` needs besides file paths (from the config)."""

    paradigm: str
    name: str = "corpus"
    generator: Generator | None = None
    template_path: str | None = None
    queries: int | None = None
    samples_per_query: int | None = None
    exemplars: Mapping[str, Any] | None = None
    quality: Mapping[str, Any] | None = None
    components: Sequence[Mapping[str, Any]] = ()
    release: str | None = None

    @classmethod
    def from_config(
        cls,
        spec: Mapping[str, Any],
        gguf: str | None = None,
        threads: int = 2,
        component_paths: Sequence[str] = (),
        quality: Mapping[str, Any] | None = None,
    ) -> CorpusSpec:
        """From a corpus's config (``name`` and, resolved, ``generator`` included, as the rules pass it)."""
        generator = None
        if spec.get("generator"):
            gen = spec["generator"]
            generator = Generator.from_config(gen["name"], gen, gguf=gguf, threads=threads)
        components = []
        for comp, path in zip(spec.get("components", []), component_paths, strict=True):
            entry = {"corpus": comp} if isinstance(comp, str) else dict(comp)
            components.append({**entry, "path": path})
        return cls(
            paradigm=spec["paradigm"],
            name=spec.get("name", "corpus"),
            generator=generator,
            template_path=spec.get("template"),
            queries=spec.get("queries"),
            samples_per_query=spec.get("samples_per_query"),
            exemplars=spec.get("exemplars"),
            quality=quality,
            components=components,
            release=spec.get("path") if spec["paradigm"] == "release" else None,
        )


def build_corpus(
    spec: CorpusSpec,
    out_path: str,
    stats_path: str,
    corpus_path: str,
    queries_path: str,
    qrels_path: str,
    ledger_path: str | None = None,
    cache_path: str | None = None,
    pool_path: str | None = None,
    max_queries: int | None = None,
    sample_seed: int = 0,
    evaluation_qrels: Sequence[str] = (),
) -> dict[str, Any]:
    """Build one corpus file (and its stats file, and for generated corpora its ledger)."""
    pool, order = training_order(queries_path, qrels_path, pool_path, max_queries, sample_seed)
    where = f"corpora.{spec.name}"
    stats: dict[str, Any] = {"paradigm": spec.paradigm}
    ledger: list[dict[str, Any]] | None = None
    if spec.paradigm == "mixture":
        records, extra = mixture_corpus(spec.components, order, where)
        stats |= extra
    elif spec.paradigm == "release":
        from synthrank.release import read_release

        if spec.release is None:
            raise SynthrankError(f"{where}: a release corpus needs 'path' (a release folder)")
        records, stats = read_release(spec.release, queries_path)
    elif spec.paradigm == "human":
        queries = {qid: order[qid] for qid in select_queries(order, spec.queries, 0, where)}
        records = list(human_corpus(corpus_path, queries, qrels_path))
        stats["passages"] = len(records)
    elif spec.paradigm in GENERATED:
        if spec.generator is None or cache_path is None:
            raise SynthrankError(f"{where}: a {spec.paradigm} corpus needs a generator and a request cache")
        queries, template, plan = generation_inputs(spec, order, pool, corpus_path, evaluation_qrels)
        records, ledger, gen_stats = generate_corpus(
            spec.generator,
            template,
            queries,
            cache_path,
            spec.paradigm,
            exemplars=plan,
            quality=Quality.from_config(spec.quality),
            samples_per_query=spec.samples_per_query,
        )
        stats |= gen_stats
        if plan is not None:
            stats["exemplars"] = {"k": plan.k, "pool": len(plan.pool), "sampling": plan.sampling, "seed": plan.seed}
    else:
        raise SynthrankError(f"{where}.paradigm: {spec.paradigm!r} is not one of {', '.join(PARADIGMS)}")
    if not records:
        raise SynthrankError(f"{where}: the corpus is empty (no judged training queries in {qrels_path})")
    stats["queries"] = len({r["query_id"] for r in records})
    write_jsonl(out_path, records)
    if ledger is not None and ledger_path:
        write_jsonl(ledger_path, ledger)
    write_json(stats_path, stats)
    log.info("%s: %s", where, stats)
    return stats


def generation_inputs(
    spec: CorpusSpec,
    order: Mapping[str, str],
    pool: Sequence[Mapping[str, str]],
    corpus_path: str,
    evaluation_qrels: Sequence[str],
) -> tuple[dict[str, str], PromptTemplate, ExemplarPlan | None]:
    """The queries a generated corpus answers, its prompt template and its exemplar plan."""
    where = f"corpora.{spec.name}"
    if spec.template_path is None:
        raise SynthrankError(f"{where}: a {spec.paradigm} corpus needs a prompt template")
    queries = {qid: order[qid] for qid in select_queries(order, spec.queries, 0, where)}
    template = PromptTemplate.load(spec.template_path, spec.paradigm)
    return queries, template, _exemplar_plan(spec, pool, corpus_path, evaluation_qrels)


def _exemplar_plan(
    spec: CorpusSpec, pool: Sequence[Mapping[str, str]], corpus_path: str, evaluation_qrels: Sequence[str]
) -> ExemplarPlan | None:
    cfg = dict(spec.exemplars or {})
    if spec.paradigm == "zero-shot":
        return None
    k, sampling, seed = int(cfg.get("k", 3)), str(cfg.get("sampling", "per-query")), int(cfg.get("seed", 0))
    if spec.paradigm == "few-shot-supervised":
        if not pool:
            raise SynthrankError(f"corpora.{spec.name}: few-shot-supervised needs training.exemplar_pool (size > 0)")
        size = int(cfg.get("pool", len(pool)))
        return ExemplarPlan(list(pool)[:size], k, sampling, seed)
    # unsupervised: raw passages, never one judged for an evaluation query
    judged = {docid for path in evaluation_qrels for docs in read_qrels(path).values() for docid in docs}
    sample = sample_passages(corpus_path, int(cfg.get("pool", 100)), seed, exclude=judged)
    return ExemplarPlan(sample, k, sampling, seed)
