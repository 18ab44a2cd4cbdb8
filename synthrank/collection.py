"""A test or training collection as every stage reads it: passage text, corpus iteration, the
judged queries of a split, and the one text normalisation used to compare texts.

The bottom of the retrieval, training and generation modules: :mod:`synthrank.retrieve` (BM25,
reranking), :mod:`synthrank.dense`, :mod:`synthrank.train`, the corpus builders and
:mod:`synthrank.leakage` import it, and it imports only :mod:`synthrank.io`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

from synthrank.errors import SynthrankError
from synthrank.io import iter_jsonl, read_qrels, read_texts


def passage_text(doc: dict[str, Any]) -> str:
    """The text of a corpus document as every model and index sees it: title + " " + text."""
    return f"{doc.get('title') or ''} {doc['text']}".strip()


def iter_corpus(path: str | os.PathLike[str]) -> Iterator[tuple[str, str]]:
    for doc in iter_jsonl(path, required=("_id", "text")):
        yield str(doc["_id"]), passage_text(doc)


def judged_queries(queries_path: str | os.PathLike[str], qrels_path: str | os.PathLike[str]) -> dict[str, str]:
    """The queries of a split that have at least one relevance judgment, in qrels order."""
    queries = read_texts(queries_path)
    qrels = read_qrels(qrels_path)
    missing = [qid for qid in qrels if qid not in queries]
    if missing:
        raise SynthrankError(f"{qrels_path}: query id {missing[0]!r} is not in {queries_path}")
    return {qid: queries[qid] for qid in qrels}


def load_passages(corpus_path: str, wanted: set[str]) -> dict[str, str]:
    """Stream the corpus and keep only the texts of ``wanted`` documents."""
    texts = {docid: text for docid, text in iter_corpus(corpus_path) if docid in wanted}
    missing = wanted - texts.keys()
    if missing:
        raise SynthrankError(f"{corpus_path}: document {sorted(missing)[0]!r} named by the run is not in the corpus")
    return texts


def normalise_text(text: str) -> str:
    """Lower case, punctuation dropped, whitespace collapsed: for duplicate, copy and leakage checks."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())
