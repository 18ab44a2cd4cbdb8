import json
from collections import namedtuple
from pathlib import Path

import pytest

from synthrank import data
from synthrank.errors import SynthrankError
from synthrank.io import iter_jsonl, read_qrels

from .conftest import DEMO


def write_beir(root: Path, corpus: str, queries: str, qrels: str) -> Path:
    (root / "qrels").mkdir(parents=True)
    (root / "corpus.jsonl").write_text(corpus)
    (root / "queries.jsonl").write_text(queries)
    (root / "qrels" / "test.tsv").write_text(qrels)
    return root


def test_ingest_demo_collection(tmp_path: Path) -> None:
    source = DEMO / "cooking"
    counts = data.ingest_collection(str(source), tmp_path / "corpus.jsonl", tmp_path / "queries.jsonl")
    assert counts == {"docs": 180, "queries": 90}
    n_train = data.ingest_qrels(
        str(source), "train", tmp_path / "corpus.jsonl", tmp_path / "queries.jsonl", tmp_path / "train.tsv"
    )
    n_test = data.ingest_qrels(
        str(source), "test", tmp_path / "corpus.jsonl", tmp_path / "queries.jsonl", tmp_path / "test.tsv"
    )
    assert (n_train, n_test) == (63, 32)
    train, test = read_qrels(tmp_path / "train.tsv"), read_qrels(tmp_path / "test.tsv")
    assert len(train) == 60 and len(test) == 30
    assert not set(train) & set(test)
    doc = next(iter_jsonl(tmp_path / "corpus.jsonl"))
    assert set(doc) == {"_id", "title", "text"}


def test_malformed_corpus_line_is_named(tmp_path: Path) -> None:
    src = write_beir(tmp_path / "src", '{"_id": "d1", "text": "x"}\n{"_id": "d2", "text": "y"\n', "", "")
    with pytest.raises(SynthrankError, match=r"src/corpus.jsonl:2: not valid JSON"):
        data.ingest_collection(str(src), tmp_path / "c.jsonl", tmp_path / "q.jsonl")
    assert not (tmp_path / "c.jsonl").exists()


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    doc = '{"_id": "d1", "text": "x"}\n'
    src = write_beir(tmp_path / "src", doc + '{"_id": "d2", "text": "y"}\n\n' + doc, "", "")
    with pytest.raises(SynthrankError, match=r"^\S*src/corpus.jsonl:4: duplicate id 'd1' \(first at line 1\)$"):
        data.ingest_collection(str(src), tmp_path / "c.jsonl", tmp_path / "q.jsonl")
    assert not (tmp_path / "c.jsonl").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["src"]  # the on-disk id table is gone too


def test_duplicate_found_across_id_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ids are checked against the on-disk table a batch at a time: a duplicate in a later
    batch, or twice in one batch, is still named by its line."""
    monkeypatch.setattr(data._IdRegistry, "BATCH", 3)
    docs = [f'{{"_id": "d{i}", "text": "x"}}\n' for i in range(10)]
    src = write_beir(tmp_path / "a", "".join([*docs, docs[2]]), "", "")
    with pytest.raises(SynthrankError, match=r"corpus.jsonl:11: duplicate id 'd2' \(first at line 3\)"):
        data.ingest_collection(str(src), tmp_path / "c.jsonl", tmp_path / "q.jsonl")
    src = write_beir(tmp_path / "b", "".join([*docs[:7], docs[6], *docs[7:]]), "", "")
    with pytest.raises(SynthrankError, match=r"corpus.jsonl:8: duplicate id 'd6' \(first at line 7\)"):
        data.ingest_collection(str(src), tmp_path / "c.jsonl", tmp_path / "q.jsonl")
    src = write_beir(tmp_path / "c", "".join(docs), '{"_id": "q1", "text": "x"}\n', "")
    assert data.ingest_collection(str(src), tmp_path / "c.jsonl", tmp_path / "q.jsonl") == {"docs": 10, "queries": 1}


def test_qrels_naming_unknown_ids(tmp_path: Path) -> None:
    src = write_beir(
        tmp_path / "src",
        '{"_id": "d1", "text": "x"}\n',
        '{"_id": "q1", "text": "what"}\n',
        "query-id\tcorpus-id\tscore\nq1\td9\t1\n",
    )
    data.ingest_collection(str(src), tmp_path / "c.jsonl", tmp_path / "q.jsonl")
    with pytest.raises(SynthrankError, match=r"corpus id 'd9' \(query 'q1'\) is not in the corpus"):
        data.ingest_qrels(str(src), "test", tmp_path / "c.jsonl", tmp_path / "q.jsonl", tmp_path / "t.tsv")
    with pytest.raises(SynthrankError, match="split 'dev' has no qrels file"):
        data.ingest_qrels(str(src), "dev", tmp_path / "c.jsonl", tmp_path / "q.jsonl", tmp_path / "t.tsv")


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(SynthrankError, match="does not exist"):
        data.ingest_collection(str(tmp_path / "nope"), tmp_path / "c.jsonl", tmp_path / "q.jsonl")


Doc = namedtuple("Doc", "doc_id title text")
Query = namedtuple("Query", "query_id text")
Qrel = namedtuple("Qrel", "query_id doc_id relevance iteration")


class FakeIrds:
    """Stands in for an ir_datasets dataset object (same iterator protocol), as the real ones
    download their data from the web, which this machine cannot reach."""

    def __init__(self, queries: list[Query], qrels: list[Qrel]) -> None:
        self._queries, self._qrels = queries, qrels

    def has_docs(self) -> bool:
        return True

    def docs_iter(self):
        return iter([Doc("d1", "T1", "first"), Doc("d2", "", "second"), Doc("d3", "T3", "third")])

    def queries_iter(self):
        return iter(self._queries)

    def qrels_iter(self):
        return iter(self._qrels)


def test_ingest_irds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ir_datasets

    fakes = {
        "toy/train": FakeIrds(
            [Query("q1", "one"), Query("q2", "two")], [Qrel("q1", "d1", 1, "0"), Qrel("q2", "d2", 0, "0")]
        ),
        "toy/dev": FakeIrds([Query("q2", "two"), Query("q3", "three")], [Qrel("q3", "d3", 2, "0")]),
    }

    def load(ds_id: str):
        if ds_id not in fakes:
            raise KeyError(ds_id)
        return fakes[ds_id]

    monkeypatch.setattr(ir_datasets, "load", load)
    source = {"train": "toy/train", "dev": "toy/dev"}
    counts = data.ingest_collection(source, tmp_path / "c.jsonl", tmp_path / "q.jsonl")
    assert counts == {"docs": 3, "queries": 3}
    assert json.loads((tmp_path / "c.jsonl").read_text().splitlines()[0]) == {
        "_id": "d1",
        "title": "T1",
        "text": "first",
    }
    assert data.ingest_qrels(source, "train", tmp_path / "c.jsonl", tmp_path / "q.jsonl", tmp_path / "train.tsv") == 2
    # every judgment is kept, grade 0 (judged, not relevant) included, as from a local BEIR folder
    assert read_qrels(tmp_path / "train.tsv") == {"q1": {"d1": 1}, "q2": {"d2": 0}}
    with pytest.raises(SynthrankError, match="unknown ir_datasets id 'toy/nope'"):
        data.ingest_collection({"test": "toy/nope"}, tmp_path / "c.jsonl", tmp_path / "q.jsonl")


def test_both_sources_keep_grade_0_and_count_negative_grades_as_0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One rule for ir_datasets and local BEIR folders (trec_eval's): judged-not-relevant stays."""
    import ir_datasets

    qrels = [Qrel("q1", "d1", 2, "0"), Qrel("q1", "d2", -1, "0"), Qrel("q2", "d2", 0, "0")]
    fake = FakeIrds([Query("q1", "one"), Query("q2", "two")], qrels)
    monkeypatch.setattr(ir_datasets, "load", lambda ds_id: fake)
    irds = {"test": "toy/test"}
    data.ingest_collection(irds, tmp_path / "c.jsonl", tmp_path / "q.jsonl")
    data.ingest_qrels(irds, "test", tmp_path / "c.jsonl", tmp_path / "q.jsonl", tmp_path / "irds.tsv")
    folder = tmp_path / "beir"
    (folder / "qrels").mkdir(parents=True)
    for name in ("c.jsonl", "q.jsonl"):
        (folder / ("corpus.jsonl" if name == "c.jsonl" else "queries.jsonl")).write_text((tmp_path / name).read_text())
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t2\nq1\td2\t-1\nq2\td2\t0\n")
    data.ingest_qrels(str(folder), "test", tmp_path / "c.jsonl", tmp_path / "q.jsonl", tmp_path / "local.tsv")
    expected = {"q1": {"d1": 2, "d2": 0}, "q2": {"d2": 0}}
    assert read_qrels(tmp_path / "irds.tsv") == read_qrels(tmp_path / "local.tsv") == expected
