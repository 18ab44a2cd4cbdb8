"""Collections as every stage reads them (synthrank.collection)."""

from pathlib import Path

import pytest

from synthrank.collection import iter_corpus, judged_queries, load_passages, normalise_text, passage_text
from synthrank.errors import SynthrankError
from synthrank.io import write_jsonl, write_qrels


def test_passage_text_and_corpus_iteration(tmp_path: Path) -> None:
    assert passage_text({"title": "Eggs", "text": "Boil them."}) == "Eggs Boil them."
    assert passage_text({"title": None, "text": " Boil them. "}) == "Boil them."
    write_jsonl(tmp_path / "c.jsonl", [{"_id": 1, "title": "", "text": "one"}, {"_id": "d2", "text": "two"}])
    assert list(iter_corpus(tmp_path / "c.jsonl")) == [("1", "one"), ("d2", "two")]
    assert load_passages(str(tmp_path / "c.jsonl"), {"d2"}) == {"d2": "two"}
    with pytest.raises(SynthrankError, match="document 'd9' named by the run is not in the corpus"):
        load_passages(str(tmp_path / "c.jsonl"), {"d9"})


def test_judged_queries_in_qrels_order(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "q.jsonl", [{"_id": q, "text": f"query {q}"} for q in ("a", "b", "c")])
    write_qrels(tmp_path / "qrels.tsv", {"c": {"d": 1}, "a": {"d": 0}})
    assert judged_queries(tmp_path / "q.jsonl", tmp_path / "qrels.tsv") == {"c": "query c", "a": "query a"}
    write_qrels(tmp_path / "bad.tsv", {"z": {"d": 1}})
    with pytest.raises(SynthrankError, match="query id 'z' is not in"):
        judged_queries(tmp_path / "q.jsonl", tmp_path / "bad.tsv")


def test_normalise_text() -> None:
    assert normalise_text("  Hello,   World!\nIt's ME. ") == "hello world it s me"
    assert normalise_text("...") == ""
