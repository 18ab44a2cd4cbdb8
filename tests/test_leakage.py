"""Leakage checks: an exemplar that is an evaluation query fails the target (the report stays in the
log), and n-gram overlap with judged evaluation passages is counted."""

import json
import logging
from pathlib import Path

import pytest

from synthrank.errors import SynthrankError
from synthrank.leakage import leakage_report


def write_jsonl(path: Path, rows: list[dict]) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


@pytest.fixture
def collection(tmp_path: Path) -> dict:
    corpus = write_jsonl(
        tmp_path / "corpus.jsonl",
        [
            {"_id": "d1", "text": "the moon orbits the earth once every twenty seven days and a bit more"},
            {"_id": "d2", "text": "bread rises because yeast makes gas"},
        ],
    )
    queries = write_jsonl(tmp_path / "queries.jsonl", [{"_id": "q1", "text": "How long is a lunar orbit?"}])
    qrels = tmp_path / "test.tsv"
    qrels.write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\n")
    return {"name": "eval/test", "dataset": "eval", "corpus": corpus, "queries": queries, "qrels": str(qrels)}


def test_overlap_is_counted(tmp_path: Path, collection: dict) -> None:
    passages = write_jsonl(
        tmp_path / "zs.jsonl",
        [
            {"query_id": "t1", "passage_id": "p1", "text": "The Moon orbits the Earth once every twenty seven days."},
            {"query_id": "t2", "passage_id": "p2", "text": "Something else entirely."},
        ],
    )
    out = tmp_path / "report.json"
    report = leakage_report(passages, str(out), [collection], train_dataset="train", paradigm="zero-shot", n=5)
    entry = report["collections"]["eval/test"]
    assert (entry["passages"], entry["overlapping"]) == (2, 1)
    assert entry["examples"][0] == {"passage_id": "p1", "doc_id": "d1", "ngram": "the moon orbits the earth"}
    assert json.loads(out.read_text())["problems"] == []


def test_evaluation_query_as_exemplar_fails_and_logs_the_report(
    tmp_path: Path, collection: dict, caplog: pytest.LogCaptureFixture
) -> None:
    pool = write_jsonl(tmp_path / "pool.jsonl", [{"query_id": "x9", "query": "how long is a lunar orbit"}])
    passages = write_jsonl(
        tmp_path / "fss.jsonl",
        [{"query_id": "t1", "passage_id": "p1", "text": "Bread.", "exemplar_ids": ["x9"]}],
    )
    with caplog.at_level(logging.ERROR), pytest.raises(SynthrankError) as error:
        leakage_report(
            passages, str(tmp_path / "r.json"), [collection], "train", "few-shot-supervised", pool_path=pool, n=5
        )
    assert "exemplar query 'x9' is in eval/test" in str(error.value)
    assert "exemplar_queries_in_evaluation" in caplog.text  # the report outlives the deleted output
