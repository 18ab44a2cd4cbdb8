"""Passage corpora: human positives, LLM-written passages (three paradigms), mixtures, releases.

A corpus file is JSONL, one passage per line, each tied to the training query it answers::

    {"query_id", "passage_id", "text", "paradigm", ...provenance}

Paradigms (``corpora.<name>.paradigm`` in the config; the list is :mod:`synthrank.paradigms`):

- ``human``: the judged-relevant passages of the training queries (:func:`human_corpus`);
- ``zero-shot``, ``few-shot-unsupervised``, ``few-shot-supervised``: written by a generator
  (:mod:`synthrank.generate`), with the exemplars of :mod:`synthrank.exemplars`;
- ``mixture``: named components (other corpora), each restricted to a slice of the training
  query order, concatenated; nothing is generated twice (:func:`mixture_corpus`);
- ``release``: a released corpus (:mod:`synthrank.release`) read back instead of generated: the
  same records, byte for byte, and the released stats.

Training queries come in one seeded order (:mod:`synthrank.queries`). :func:`build_corpus` is
what the corpus rules run: one corpus file, its stats file and, for generated corpora, its ledger.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from synthrank.collection import passage_text
from synthrank.errors import SynthrankError
from synthrank.exemplars import ExemplarPlan, exemplar_plan
from synthrank.generate import generate_corpus
from synthrank.generator import Generator
from synthrank.io import iter_jsonl, read_qrels, write_json, write_jsonl
from synthrank.paradigms import GENERATED, HUMAN, MIXTURE, NAMES, RELEASE
from synthrank.prompts import PromptTemplate
from synthrank.quality import Quality
from synthrank.queries import select_queries, training_order

log = logging.getLogger(__name__)


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
                yield {"query_id": qid, "passage_id": docid, "text": texts[docid], "paradigm": HUMAN}


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
            release=spec.get("path") if spec["paradigm"] == RELEASE else None,
        )


def with_generator(spec: Mapping[str, Any], generators: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """A corpus spec whose generator carries its full settings from the config's ``generators``
    (a corpus job's params carry only :func:`synthrank.generator.corpus_settings`)."""
    out = dict(spec)
    if out.get("generator"):
        name = out["generator"]["name"]
        if name not in generators:
            raise SynthrankError(f"corpora.{spec.get('name', 'corpus')}.generator: {name!r} is not under generators")
        out["generator"] = {"name": name, **generators[name]}
    return out


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
    evaluation: Sequence[tuple[str, str]] = (),
    dev_queries: int = 0,
) -> dict[str, Any]:
    """Build one corpus file (and its stats file, and for generated corpora its ledger).

    ``evaluation``: (queries, qrels) files of every evaluation collection, whose query texts the
    training-query order leaves out; ``dev_queries``: the dev split it leaves out
    (:func:`synthrank.queries.training_order`)."""
    pool, order = training_order(queries_path, qrels_path, pool_path, max_queries, sample_seed, evaluation, dev_queries)
    where = f"corpora.{spec.name}"
    stats: dict[str, Any] = {"paradigm": spec.paradigm}
    ledger: list[dict[str, Any]] | None = None
    if spec.paradigm == MIXTURE:
        records, extra = mixture_corpus(spec.components, order, where)
        stats |= extra
    elif spec.paradigm == RELEASE:
        from synthrank.release import read_release

        if spec.release is None:
            raise SynthrankError(f"{where}: a release corpus needs 'path' (a release folder)")
        records, stats = read_release(spec.release, queries_path)
    elif spec.paradigm == HUMAN:
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
        raise SynthrankError(f"{where}.paradigm: {spec.paradigm!r} is not one of {', '.join(NAMES)}")
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
    plan = exemplar_plan(spec.paradigm, spec.exemplars, pool, corpus_path, evaluation_qrels, where)
    return queries, template, plan
