"""What a passage corpus looks like, measured: the statistics behind the corpus table and figures.

Every statistic is one function (or one small accumulator, where the corpus is streamed) with a unit
test on hand-computed values (``tests/test_corpus_stats.py``):

- length (:func:`length_summary`): tokens per passage; mean, median, 5th and 95th percentile;
- query overlap (:func:`query_overlap`): the share of the query's distinct terms that occur in its
  passage (averaged over passages);
- diversity (:class:`DistinctN`): distinct-n, the number of distinct word n-grams of the corpus over
  the number of n-grams in it (Li et al., 2016), for n = 1 and 2;
- near-duplicates (:class:`NearDuplicates`): the share of passages whose word-shingle set has a
  Jaccard similarity (:func:`jaccard`) of at least a threshold with another passage of the corpus;
- novelty (:func:`novelty`): the share of a passage's distinct word n-grams that no human passage of
  the same query has (averaged over the passages whose query has a human passage);
- the judge (:func:`judge_ranks`, :func:`answer_rate`): an untuned bi-encoder, which needs no API,
  ranks each sampled passage among the sample's passages of other queries for its query; a passage
  "answers its query" when it ranks first.

Tokenisation, for every statistic: :func:`tokens`, i.e. :func:`synthrank.collection.normalise_text`
(lower case, every character that is neither a letter, a digit nor ``_`` replaced by a space) split
on whitespace. "it's 5°C!" -> ``it s 5 c``.

Streaming (:func:`corpus_statistics`): the corpus file is read one passage at a time (its query
ids first, then every statistic in one pass). What is
kept per passage is its length and its n-grams as 64-bit hashes (numpy arrays: 8 bytes per n-gram),
never its text; near-duplicates are found with datasketch's MinHash signatures and banded
locality-sensitive hashing (Broder, 1997), each candidate pair then checked with the exact Jaccard
similarity of the hashed shingle sets. The human passages of the corpus's queries are read first, as n-gram hashes.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from synthrank.collection import normalise_text
from synthrank.errors import SynthrankError
from synthrank.io import iter_jsonl_lines, quoted, read_texts

log = logging.getLogger(__name__)

TOKENISATION = (
    "lower case, every character but letters, digits and _ replaced by a space, split on whitespace "
    "(synthrank.collection.normalise_text)"
)
#: near-duplicate search: MinHash signature length = bands x rows (16 x 4: a pair with Jaccard 0.8 is
#: a candidate with probability 1 - (1 - 0.8**4)**16 > 0.9997; every candidate is then checked exactly)
BANDS, ROWS = 16, 4
_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # odd: combines token hashes into n-gram hashes (mod 2**64)


def _low32(key: int) -> int:
    return key & 0xFFFFFFFF


def tokens(text: str) -> list[str]:
    """The tokens every statistic counts (see the module docstring)."""
    return normalise_text(text).split()


def token_hash(token: str) -> int:
    """A stable 64-bit hash of a token (BLAKE2b; the same in every process, unlike ``hash``)."""
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "little")


class Hasher:
    """Token hashes, cached per token (a corpus has far fewer distinct tokens than tokens)."""

    def __init__(self) -> None:
        self._cache: dict[str, int] = {}

    def __call__(self, words: Sequence[str]) -> np.ndarray:
        cache = self._cache
        out = np.empty(len(words), dtype=np.uint64)
        for i, word in enumerate(words):
            value = cache.get(word)
            if value is None:
                value = cache[word] = token_hash(word)
            out[i] = value
        return out


def ngram_keys(hashes: np.ndarray, n: int) -> np.ndarray:
    """One 64-bit key per word n-gram of a passage (its token hashes ``hashes``, in order):
    ``h[i] * M**(n-1) + ... + h[i+n-1]`` modulo 2**64. Empty when the passage is shorter than n."""
    count = len(hashes) - n + 1
    if count <= 0:
        return np.empty(0, dtype=np.uint64)
    keys = hashes[:count].copy()
    with np.errstate(over="ignore"):
        for offset in range(1, n):
            keys = keys * _MULTIPLIER + hashes[offset : offset + count]
    return keys


# ---------------------------------------------------------------- the statistics


def length_summary(lengths: Sequence[int] | np.ndarray) -> dict[str, float]:
    """Mean, median, 5th and 95th percentile of the passage lengths (numpy's linear percentiles)."""
    values = np.asarray(lengths, dtype=float)
    if values.size == 0:
        raise SynthrankError("length_summary: no passage")
    p5, median, p95 = np.percentile(values, [5, 50, 95])
    return {"mean": float(values.mean()), "median": float(median), "p5": float(p5), "p95": float(p95)}


def query_overlap(query_tokens: Iterable[str], passage_tokens: Iterable[str]) -> float | None:
    """The share of the query's distinct tokens that occur in the passage (None: a query without
    tokens)."""
    query = set(query_tokens)
    if not query:
        return None
    return len(query & set(passage_tokens)) / len(query)


def jaccard(a: Iterable[Any], b: Iterable[Any]) -> float:
    """|A ∩ B| / |A ∪ B| of two sets (1.0 for two empty sets: nothing tells them apart)."""
    first, second = set(a), set(b)
    union = first | second
    return len(first & second) / len(union) if union else 1.0


def novelty(passage: np.ndarray, reference: np.ndarray) -> float | None:
    """The share of a passage's distinct n-gram keys that are not among ``reference``'s (the keys
    of the human passages of the same query); None for a passage without an n-gram."""
    mine = np.unique(passage)
    if mine.size == 0:
        return None
    return float(np.count_nonzero(~np.isin(mine, reference)) / mine.size)


class DistinctN:
    """distinct-n of a corpus, streamed: add each passage's n-gram keys, then :meth:`value`."""

    def __init__(self) -> None:
        self._parts: list[np.ndarray] = []
        self._total = 0

    def add(self, keys: np.ndarray) -> None:
        self._total += len(keys)
        if len(keys):
            self._parts.append(np.unique(keys))

    def value(self) -> float | None:
        """Distinct n-grams over all n-grams (None: the corpus has no n-gram)."""
        if not self._total:
            return None
        return float(np.unique(np.concatenate(self._parts)).size / self._total)


class NearDuplicates:
    """The near-duplicate rate of a corpus, streamed: add each passage's shingle keys (its word
    n-gram keys, :func:`ngram_keys`), then :meth:`rate`.

    Two passages are near-duplicates when the Jaccard similarity of their shingle sets is at least
    ``threshold``; the rate is the share of passages that have a near-duplicate in the corpus.
    Candidates come from datasketch's MinHash and banded LSH (``MinHashLSH`` with ``BANDS`` x
    ``ROWS``, seeded permutations): each passage is looked up among the passages added before it,
    and each candidate pair is checked with the exact Jaccard similarity, so the rate has no false
    positive and misses a pair at the threshold 0.8 with probability below 3e-4. Kept per passage:
    its distinct shingle keys and its LSH entry.
    """

    def __init__(self, threshold: float, seed: int = 0) -> None:
        from datasketch import MinHash, MinHashLSH

        if not 0 < threshold <= 1:
            raise SynthrankError(f"near-duplicate threshold {threshold}: give a value in (0, 1]")
        self.threshold = threshold
        template = MinHash(BANDS * ROWS, seed=seed)  # its permutations, drawn once
        permutations, scheme = template.permutations, template.scheme
        # the shingle keys are 64-bit hashes already: MinHash hashes their low 32 bits as they are
        self._signature = lambda: MinHash(
            BANDS * ROWS, seed=seed, hashfunc=_low32, permutations=permutations, scheme=scheme
        )
        self._lsh = MinHashLSH(num_perm=BANDS * ROWS, params=(BANDS, ROWS))
        self._sets: list[np.ndarray] = []
        self._duplicate: list[bool] = []

    def add(self, keys: np.ndarray) -> None:
        shingles = np.unique(keys)
        signature = self._signature()
        signature.update_batch(shingles.tolist())  # none: every empty passage has the same signature
        passage = len(self._sets)
        self._sets.append(shingles)
        self._duplicate.append(False)
        for other in self._lsh.query(signature):
            if (
                not (self._duplicate[other] and self._duplicate[passage])
                and self._jaccard(other, passage) >= self.threshold
            ):
                self._duplicate[other] = self._duplicate[passage] = True
        self._lsh.insert(passage, signature)

    def rate(self) -> float | None:
        """The share of passages with a near-duplicate (None: no passage)."""
        return float(np.mean(self._duplicate)) if self._duplicate else None

    def _jaccard(self, first: int, second: int) -> float:
        a, b = self._sets[first], self._sets[second]
        union = np.union1d(a, b).size
        return float(np.intersect1d(a, b, assume_unique=True).size / union) if union else 1.0


def judge_ranks(query_emb: np.ndarray, passage_emb: np.ndarray, query_ids: Sequence[str]) -> np.ndarray:
    """For passage i (row i of ``passage_emb``, written for query ``query_ids[i]``, whose embedding
    is row i of ``query_emb``): its rank by inner product with its query among itself and the
    passages of other queries (passages of the same query are no competitors). 1 = first; a tie
    counts against the passage (rank = 1 + the competitors scoring at least as high)."""
    scores = query_emb @ passage_emb.T
    own = np.diag(scores)
    ids = np.asarray(query_ids)
    others = ids[:, None] != ids[None, :]
    return 1 + np.count_nonzero((scores >= own[:, None]) & others, axis=1)


def answer_rate(ranks: Sequence[int] | np.ndarray) -> dict[str, float | None]:
    """``answered``: the share of passages ranked first by the judge; ``mrr``: their mean reciprocal
    rank (None for no passage)."""
    values = np.asarray(ranks, dtype=float)
    if values.size == 0:
        return {"answered": None, "mrr": None}
    return {"answered": float(np.mean(values == 1)), "mrr": float(np.mean(1.0 / values))}


# ---------------------------------------------------------------- one corpus, streamed


def _passages(path: str) -> Iterable[tuple[int, dict[str, Any]]]:
    for lineno, record in iter_jsonl_lines(path, ("query_id", "passage_id", "text")):
        if not isinstance(record["text"], str):
            raise SynthrankError(f"{path}:{lineno}: text is {quoted(record['text'])}, not a string")
        yield lineno, record


def human_ngrams(human_path: str, n: int, query_ids: set[str] | None = None) -> dict[str, np.ndarray]:
    """Query id -> the distinct n-gram keys of its human passages (streamed; only ``query_ids`` if
    given)."""
    hasher = Hasher()
    parts: dict[str, list[np.ndarray]] = defaultdict(list)
    for _, record in _passages(human_path):
        qid = str(record["query_id"])
        if query_ids is None or qid in query_ids:
            parts[qid].append(ngram_keys(hasher(tokens(record["text"])), n))
    return {qid: np.unique(np.concatenate(keys)) for qid, keys in parts.items()}


def _query_ids(path: str) -> set[str]:
    return {str(record["query_id"]) for _, record in iter_jsonl_lines(path, ("query_id",))}


def corpus_statistics(
    passages_path: str,
    queries_path: str,
    human_path: str | None,
    *,
    novelty_ngram: int = 3,
    shingle: int = 5,
    threshold: float = 0.8,
    seed: int = 0,
) -> dict[str, Any]:
    """Every text statistic of one corpus file (streamed: one pass for every statistic, and one
    before it for the query ids whose human passages novelty needs; see the module docstring).

    ``queries_path``: the training queries (BEIR JSONL); ``human_path``: the human corpus whose
    passages novelty is measured against (None: the corpus is that one, or the config has none)."""
    queries = read_texts(queries_path)
    reference = None
    if human_path is not None and human_path != passages_path:
        reference = human_ngrams(human_path, novelty_ngram, _query_ids(passages_path))
    hasher = Hasher()
    lengths: Counter[int] = Counter()
    overlaps: list[float] = []
    novelties: list[float] = []
    distinct = {1: DistinctN(), 2: DistinctN()}
    near = NearDuplicates(threshold, seed)
    flags: Counter[str] = Counter()
    query_seen: set[str] = set()
    passages = 0
    for lineno, record in _passages(passages_path):
        qid = str(record["query_id"])
        if qid not in queries:
            raise SynthrankError(f"{passages_path}:{lineno}: query {quoted(qid)} is not in {queries_path}")
        words = tokens(record["text"])
        hashes = hasher(words)
        passages += 1
        query_seen.add(qid)
        lengths[len(words)] += 1
        overlap = query_overlap(tokens(queries[qid]), words)
        if overlap is not None:
            overlaps.append(overlap)
        for n, counter in distinct.items():
            counter.add(ngram_keys(hashes, n))
        near.add(ngram_keys(hashes, min(shingle, len(hashes))) if len(hashes) else hashes)
        if reference is not None and qid in reference:
            value = novelty(ngram_keys(hashes, novelty_ngram), reference[qid])
            if value is not None:
                novelties.append(value)
        flags.update(record.get("flags") or [])
    if not passages:
        raise SynthrankError(f"{passages_path}: no passage")
    log.info("%s: %d passages, %d queries", passages_path, passages, len(query_seen))
    counts = np.array(sorted(lengths.items()), dtype=np.int64)
    return {
        "passages": passages,
        "queries": len(query_seen),
        "length": length_summary(np.repeat(counts[:, 0], counts[:, 1])),
        "length_counts": {str(length): int(count) for length, count in sorted(lengths.items())},
        "query_overlap": _mean(overlaps),
        "distinct_1": distinct[1].value(),
        "distinct_2": distinct[2].value(),
        "near_duplicates": near.rate(),
        "novelty": _mean(novelties) if reference is not None else None,
        "novelty_passages": len(novelties),
        "flags": dict(sorted(flags.items())),
        "settings": {
            "tokenisation": TOKENISATION,
            "novelty_ngram": novelty_ngram,
            "near_duplicate_shingle": shingle,
            "near_duplicate_threshold": threshold,
            "seed": seed,
        },
    }


def _mean(values: Sequence[float]) -> float | None:
    return float(math.fsum(values) / len(values)) if values else None


# ---------------------------------------------------------------- the judge and the map's sample


def sample_key(passage_id: str, seed: int) -> int:
    """A passage's place in the seeded sample: the passages with the smallest keys are sampled. It
    depends on the passage id only, so a mixture samples the passages its components sample."""
    return int.from_bytes(hashlib.blake2b(f"{seed}:{passage_id}".encode(), digest_size=8).digest(), "big")


def sample_passages(passages_path: str, size: int, seed: int) -> list[dict[str, Any]]:
    """The seeded sample of ``size`` passages of a corpus (all if fewer), streamed, in key order."""
    import heapq

    heap: list[tuple[int, int, dict[str, Any]]] = []
    for lineno, record in _passages(passages_path):
        item = (-sample_key(str(record["passage_id"]), seed), lineno, record)
        if len(heap) < size:
            heapq.heappush(heap, item)
        elif item[0] > heap[0][0]:
            heapq.heapreplace(heap, item)
    if not heap:
        raise SynthrankError(f"{passages_path}: no passage")
    return [
        {"query_id": str(r["query_id"]), "passage_id": str(r["passage_id"]), "text": r["text"]}
        for _, _, r in sorted(heap, key=lambda item: (-item[0], item[1]))
    ]


def embed_sample(
    passages_path: str,
    queries_path: str,
    out_npz: str,
    out_json: str,
    *,
    model: str,
    size: int,
    seed: int,
    max_length: int,
    query_prefix: str = "",
    passage_prefix: str = "",
    batch_size: int = 64,
    precision: str = "fp32",
) -> dict[str, Any]:
    """Embed a corpus's seeded sample and its queries with the untuned bi-encoder (in its
    architecture's inference ``precision``); write the passage
    embeddings (``out_npz``: passage ids, query ids, float32 unit vectors) and the judge's verdict
    (``out_json``)."""
    from synthrank.dense import half_precision, unit_embeddings
    from synthrank.io import atomic_write, write_json
    from synthrank.models import load_bi_encoder

    sample = sample_passages(passages_path, size, seed)
    wanted = {r["query_id"] for r in sample}
    texts = read_texts(queries_path)
    missing = sorted(wanted - texts.keys())
    if missing:
        raise SynthrankError(f"{passages_path}: query {quoted(missing[0])} is not in {queries_path}")
    encoder = load_bi_encoder(model, max_length, query_prefix, passage_prefix, precision=precision)
    half = half_precision(encoder)
    passages = unit_embeddings(encoder.encode_document, [r["text"] for r in sample], batch_size, half)
    queries = unit_embeddings(encoder.encode_query, [texts[r["query_id"]] for r in sample], batch_size, half)
    query_ids = [r["query_id"] for r in sample]
    ranks = judge_ranks(queries, passages, query_ids)
    # how many passages (those of other queries) each passage is ranked against, on average
    _, inverse, counts = np.unique(query_ids, return_inverse=True, return_counts=True)
    competitors = float(np.mean(len(query_ids) - counts[inverse]))
    arrays = {
        "passage_ids": np.array([r["passage_id"] for r in sample]),
        "query_ids": np.array(query_ids),
        "embeddings": passages,
    }
    with atomic_write(out_npz, "wb") as handle:
        write_npz(handle, arrays)
    verdict = {
        "sample": len(sample),
        "competitors": competitors,
        **answer_rate(ranks),
        "judge": {"model": model, "max_length": max_length, "seed": seed},
    }
    write_json(out_json, verdict)
    return verdict


def write_npz(handle: Any, arrays: Mapping[str, np.ndarray]) -> None:
    """``np.savez`` without the time of writing: each member's zip timestamp is fixed, so the same
    arrays give the same bytes (``np.load`` reads it as any ``.npz``)."""
    import zipfile

    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, array in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            with archive.open(info, "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)


def pca_2d(matrix: np.ndarray) -> np.ndarray:
    """The rows of ``matrix`` projected on its first two principal components (centred SVD); each
    component's sign is fixed (its largest loading positive) so the same data gives the same map."""
    centred = matrix - matrix.mean(axis=0, keepdims=True)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    components = vt[:2]
    signs = np.sign(components[np.arange(len(components)), np.abs(components).argmax(axis=1)])
    components = components * np.where(signs == 0, 1.0, signs)[:, None]
    projected = centred @ components.T
    if projected.shape[1] < 2:  # a single point or a single dimension: the second axis is 0
        projected = np.pad(projected, ((0, 0), (0, 2 - projected.shape[1])))
    return projected


def corpus_map(samples: Mapping[str, str]) -> dict[str, np.ndarray]:
    """Corpus -> its sample's 2-D coordinates, all corpora in one projection (:func:`pca_2d` over
    their stacked embeddings). ``samples``: corpus -> the ``.npz`` file of :func:`embed_sample`."""
    names, parts = [], []
    for name, path in samples.items():
        with np.load(path) as data:
            parts.append(np.asarray(data["embeddings"], dtype=np.float32))
        names.append(name)
    if not parts:
        return {}
    coords = pca_2d(np.concatenate(parts).astype(np.float64))
    out, start = {}, 0
    for name, part in zip(names, parts, strict=True):
        out[name] = coords[start : start + len(part)]
        start += len(part)
    return out
