"""Dense retrieval at scale: corpus embeddings in shards, exact inner-product search with faiss.

Sharding: document ``j`` of a canonical corpus (0-based, in file order) belongs to shard
``j % shards``. Each shard is one job's target, a ``.npy`` matrix of L2-normalised float32
passage embeddings (so inner product = cosine), written by streaming: the job reads the corpus
once and encodes its documents a chunk at a time, so its memory is one chunk of texts plus its
own shard's rows. Striping rather than contiguous ranges lets every shard job work in one pass
without knowing where the others start; a failed shard reruns alone.

Search: one exact ``faiss.IndexFlatIP`` per shard (moved to the GPU when faiss has GPU support
and sees one), each shard's top-k merged into the global top-k with ``faiss.ResultHeap``. Only
one shard is in memory at a time, so searching 8.8M MS MARCO passages (768-d float32: 27 GB
in all) in 8 shards holds 3.4 GB of embeddings. Doc ids are looked up for the hits only, in one
pass over the corpus.

A corpus with ``shards == 1`` (small collections: the demo, most of BEIR) is encoded inside the
search job itself, the same way, without a file: process start-up dominates small jobs.

Batches: sentence-transformers' ``encode`` (and ``CrossEncoder.predict``, for reranking) already
sorts the texts of each call by length, longest first, before cutting them into batches, and
restores their order after, so a batch holds texts of about one length and pads little; each
``encode`` call here is one chunk of ``ENCODE_CHUNK`` passages, enough for that sort to be near
the corpus's own length distribution. Precision (``architectures.<a>.precision``): fp32, or the
model's weights in bf16/fp16 on a CUDA GPU (:func:`synthrank.models.inference_dtype`); a
half-precision model's embeddings are normalised here in float32 and stored as float32.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from typing import TYPE_CHECKING, Any

import numpy as np

from synthrank.collection import iter_corpus, judged_queries
from synthrank.errors import SynthrankError
from synthrank.io import Run, atomic_write, write_run

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]
# Passages handed to one ``encode`` call: bounds the texts held in memory at once.
ENCODE_CHUNK = 8192


def _doc_lines(path: PathLike) -> Iterator[str]:
    """The non-blank lines of a JSONL file: document ``j`` is the ``j``-th of them."""
    try:
        handle = open(path, encoding="utf-8")  # noqa: SIM115 - closed below, streamed lazily
    except OSError as exc:
        raise SynthrankError(f"{path}: cannot read ({exc.strerror})") from None
    with handle:
        yield from (line for line in handle if line.strip())


def count_docs(path: PathLike) -> int:
    return sum(1 for _ in _doc_lines(path))


def shard_positions(n_docs: int, shard: int, shards: int) -> range:
    """The corpus positions (0-based document numbers) that belong to one shard."""
    if shards < 1 or not 0 <= shard < shards:
        raise SynthrankError(f"shard {shard} of {shards}: needs 0 <= shard < shards")
    return range(shard, n_docs, shards)


def iter_shard(corpus: PathLike, shard: int, shards: int) -> Iterator[tuple[str, str]]:
    """Stream the ``(doc id, text)`` of one shard's documents."""
    shard_positions(0, shard, shards)  # validates
    for position, doc in enumerate(iter_corpus(corpus)):
        if position % shards == shard:
            yield doc


def half_precision(model: Any) -> bool:
    """Whether a model's weights are bf16 or fp16 (:func:`synthrank.models.load_bi_encoder`)."""
    return str(getattr(model, "dtype", "")) in ("torch.bfloat16", "torch.float16")


def unit_embeddings(encode: Callable[..., Any], texts: list[str], batch_size: int, half: bool) -> np.ndarray:
    """``encode(texts)`` as L2-normalised float32 rows. A float32 model normalises them itself (as
    before precision was configurable); a half-precision one's are normalised here, in float32,
    rather than in bf16's 8-bit mantissa."""
    emb = encode(texts, batch_size=batch_size, normalize_embeddings=not half, convert_to_numpy=True)
    emb = np.ascontiguousarray(emb, dtype=np.float32)
    if half:
        emb /= np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
    return emb


def encode_chunks(model: SentenceTransformer, texts: Iterable[str], batch_size: int) -> Iterator[np.ndarray]:
    """Normalised float32 passage embeddings, ``ENCODE_CHUNK`` texts at a time."""
    stream = iter(texts)
    half = half_precision(model)
    while chunk := list(islice(stream, ENCODE_CHUNK)):
        yield unit_embeddings(model.encode_document, chunk, batch_size, half)


def write_embeddings(path: PathLike, chunks: Iterable[np.ndarray], rows: int, dim: int) -> None:
    """Stream chunks into a ``.npy`` file of shape ``(rows, dim)``, atomically.

    The header is written first (the shape is known from the corpus), then each chunk's bytes,
    so the matrix is never whole in memory; the result is an ordinary ``np.load``-able file.
    """
    written = 0
    with atomic_write(path, "wb") as handle:
        np.lib.format.write_array_header_1_0(handle, {"descr": "<f4", "fortran_order": False, "shape": (rows, dim)})
        for chunk in chunks:
            if chunk.ndim != 2 or chunk.shape[1] != dim:
                raise SynthrankError(f"{path}: encoder returned shape {chunk.shape}, expected (n, {dim})")
            handle.write(np.ascontiguousarray(chunk, dtype="<f4").tobytes())
            written += chunk.shape[0]
            log.info("%s: %d/%d passages encoded", path, written, rows)
        if written != rows:
            raise SynthrankError(f"{path}: encoded {written} passages, the corpus shard has {rows} (corpus changed?)")


def load_embeddings(path: PathLike) -> np.ndarray:
    try:
        emb = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise SynthrankError(f"{path}: not a readable embeddings file ({exc})") from None
    if emb.ndim != 2 or emb.dtype != np.float32:
        raise SynthrankError(f"{path}: expected a 2-d float32 matrix, got {emb.dtype} {emb.shape}")
    return emb


def encode_corpus_shard(
    model_ref: str,
    corpus: PathLike,
    out: PathLike,
    shard: int,
    shards: int,
    passage_prefix: str,
    max_length: int,
    batch_size: int,
    precision: str = "fp32",
) -> int:
    """Encode one shard of a corpus into ``out``; returns its number of passages."""
    from synthrank.models import load_bi_encoder

    n_docs = count_docs(corpus)
    if n_docs == 0:
        raise SynthrankError(f"{corpus}: corpus is empty")
    rows = len(shard_positions(n_docs, shard, shards))
    model = load_bi_encoder(model_ref, max_length, passage_prefix=passage_prefix, precision=precision)
    dim = model.get_embedding_dimension()  # sentence-transformers >= 6.2
    if dim is None:
        raise SynthrankError(f"model {model_ref!r}: unknown embedding dimension")
    texts = (text for _, text in iter_shard(corpus, shard, shards))
    write_embeddings(out, encode_chunks(model, texts, batch_size), rows, int(dim))
    return rows


# ---------------------------------------------------------------- search


def faiss_gpu_available() -> bool:
    """True when the installed faiss has GPU support (faiss-gpu) and sees a device."""
    import faiss

    return hasattr(faiss, "StandardGpuResources") and faiss.get_num_gpus() > 0


class FlatSearcher:
    """Exact inner-product top-k over shards, merged with ``faiss.ResultHeap``."""

    def __init__(self, use_gpu: bool | None = None) -> None:
        import faiss

        self.faiss = faiss
        self.use_gpu = faiss_gpu_available() if use_gpu is None else use_gpu
        self.resources = faiss.StandardGpuResources() if self.use_gpu else None

    def _index(self, emb: np.ndarray) -> Any:
        index = self.faiss.IndexFlatIP(emb.shape[1])
        if self.resources is not None:
            index = self.faiss.index_cpu_to_gpu(self.resources, 0, index)
        index.add(emb)
        return index

    def search(
        self, queries: np.ndarray, shards: Iterable[tuple[np.ndarray, np.ndarray]], k: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k ``(scores, corpus positions)`` per query over ``(embeddings, positions)`` shards.

        ``positions[i]`` is the corpus position of row ``i`` of a shard. Rows of the result are
        sorted by descending score; a slot without a hit has position -1.
        """
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        heap = self.faiss.ResultHeap(queries.shape[0], k, keep_max=True)
        for emb, positions in shards:
            if emb.shape[0] == 0:
                continue
            if emb.shape[1] != queries.shape[1]:
                raise SynthrankError(f"embedding dimension {emb.shape[1]} != query dimension {queries.shape[1]}")
            scores, rows = self._index(np.ascontiguousarray(emb, dtype=np.float32)).search(
                queries, min(k, emb.shape[0])
            )
            heap.add_result(scores, np.where(rows >= 0, positions[np.maximum(rows, 0)], -1))
            del emb, positions  # release this shard before the next one is loaded
        heap.finalize()
        return heap.D, heap.I


def doc_ids_at(corpus: PathLike, positions: np.ndarray, expected_docs: int | None = None) -> dict[int, str]:
    """The doc ids at the given corpus positions, in one pass (JSON parsed for those lines only)."""
    wanted = np.unique(positions[positions >= 0])
    found: dict[int, str] = {}
    n_docs = 0
    cursor = 0
    for position, line in enumerate(_doc_lines(corpus)):
        n_docs = position + 1
        if cursor < len(wanted) and wanted[cursor] == position:
            found[position] = str(json.loads(line)["_id"])
            cursor += 1
    if expected_docs is not None and n_docs != expected_docs:
        raise SynthrankError(
            f"{corpus}: has {n_docs} documents but its embeddings hold {expected_docs} (re-encode the corpus)"
        )
    return found


def to_run(qids: Sequence[str], scores: np.ndarray, positions: np.ndarray, ids: dict[int, str]) -> Run:
    return {
        qid: {ids[int(p)]: float(s) for s, p in zip(row_s, row_p, strict=True) if p >= 0}
        for qid, row_s, row_p in zip(qids, scores, positions, strict=True)
    }


def encode_queries(model: SentenceTransformer, queries: dict[str, str], batch_size: int) -> np.ndarray:
    return unit_embeddings(model.encode_query, list(queries.values()), batch_size, half_precision(model))


def search_corpus(
    searcher: FlatSearcher,
    query_emb: np.ndarray,
    qids: Sequence[str],
    corpus: PathLike,
    shards: Sequence[tuple[np.ndarray, np.ndarray]] | Iterable[tuple[np.ndarray, np.ndarray]],
    n_docs: int,
    k: int,
) -> Run:
    if n_docs == 0:
        raise SynthrankError(f"{corpus}: corpus is empty")
    scores, positions = searcher.search(query_emb, shards, min(k, n_docs))
    return to_run(qids, scores, positions, doc_ids_at(corpus, positions, expected_docs=n_docs))


def shard_files(paths: Sequence[PathLike]) -> tuple[list[tuple[PathLike, range]], int]:
    """Check a shard list ``shard0-of-n .. shard(n-1)-of-n`` and give each file its positions."""
    shapes = []
    for path in paths:
        try:
            shapes.append(np.load(path, mmap_mode="r", allow_pickle=False).shape)
        except (OSError, ValueError) as exc:
            raise SynthrankError(f"{path}: not a readable embeddings file ({exc})") from None
    n_docs = sum(shape[0] for shape in shapes)
    for shard, (path, shape) in enumerate(zip(paths, shapes, strict=True)):
        if shape[0] != len(shard_positions(n_docs, shard, len(paths))):
            raise SynthrankError(f"{path}: {shape[0]} rows do not fit shard {shard} of {len(paths)} ({n_docs} docs)")
    return [(path, shard_positions(n_docs, s, len(paths))) for s, path in enumerate(paths)], n_docs


def iter_shard_files(files: list[tuple[PathLike, range]]) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Load one shard at a time (the previous one is released before the next is read)."""
    for path, positions in files:
        yield load_embeddings(path), np.arange(positions.start, positions.stop, positions.step, dtype=np.int64)


# ---------------------------------------------------------------- dense retrieval runs


def dense_retrieve(
    model: SentenceTransformer, queries: dict[str, str], corpus_path: str, k: int, batch_size: int = 64
) -> Run:
    """Exact cosine top-k over the whole corpus with a bi-encoder (its prompts as prefixes).

    The corpus is encoded here, in memory (one shard); see :func:`encode_corpus_shard` for
    corpora encoded in shards by separate jobs.
    """
    return dense_retrieve_from(model, FlatSearcher(), queries, corpus_path, None, k, batch_size)


def dense_retrieve_from(
    model: SentenceTransformer,
    searcher: FlatSearcher,
    queries: dict[str, str],
    corpus_path: str,
    embedding_files: list[str] | None,
    k: int,
    batch_size: int,
    encoded: dict[str, Any] | None = None,
    remove_query: bool = False,
) -> Run:
    """Dense top-k from embedding shard files, or (``embedding_files`` None) encoding the corpus here.

    ``encoded`` caches the in-job embeddings of the last corpus, for datasets with several splits.
    ``remove_query``: a hit whose document id is the query's id is dropped and k others kept, as
    for BM25 (:func:`synthrank.retrieve.bm25_search`) and as BEIR's evaluation does for every model
    (ArguAna, Quora: a query is itself a corpus document).
    """
    if embedding_files:
        files, n_docs = shard_files(embedding_files)
        shards: Any = iter_shard_files(files)
    else:
        if encoded is None or encoded.get("corpus") != corpus_path:
            chunks = list(encode_chunks(model, (text for _, text in iter_corpus(corpus_path)), batch_size))
            emb = np.concatenate(chunks) if chunks else np.zeros((0, 1), dtype=np.float32)
            encoded = {} if encoded is None else encoded
            encoded.update(corpus=corpus_path, emb=emb)
        n_docs = encoded["emb"].shape[0]
        shards = [(encoded["emb"], np.arange(n_docs, dtype=np.int64))]
    qids = list(queries)
    query_emb = encode_queries(model, queries, batch_size)
    run = search_corpus(searcher, query_emb, qids, corpus_path, shards, n_docs, k + 1 if remove_query else k)
    if remove_query:
        run = {qid: dict(list((d, v) for d, v in docs.items() if d != qid)[:k]) for qid, docs in run.items()}
    return run


def dense_retrieve_collections(
    model_ref: str,
    jobs: list[tuple[str, str, str, str, list[str]]],
    k: int,
    query_prefix: str,
    passage_prefix: str,
    max_length: int,
    batch_size: int,
    tag: str,
    remove_query: bool = False,
    precision: str = "fp32",
) -> None:
    """Dense retrieval for each (corpus, queries, qrels, output run, embedding shard files) with one
    loaded model; a collection without shard files has its corpus encoded in this job."""
    from synthrank.models import load_bi_encoder

    model = load_bi_encoder(
        model_ref, max_length, query_prefix=query_prefix, passage_prefix=passage_prefix, precision=precision
    )
    searcher = FlatSearcher()
    log.info("faiss exact inner-product search on %s", "GPU" if searcher.use_gpu else "CPU")
    encoded: dict[str, Any] = {}
    for corpus, queries, qrels, out, embedding_files in jobs:
        where = f"{len(embedding_files)} shards" if embedding_files else "encoded here"
        log.info("dense retrieval over %s (%s)", corpus, where)
        run = dense_retrieve_from(
            model,
            searcher,
            judged_queries(queries, qrels),
            corpus,
            embedding_files,
            k,
            batch_size,
            encoded,
            remove_query,
        )
        write_run(out, run, tag)
