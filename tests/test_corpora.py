"""Corpus building (synthrank.corpora): human corpora and mixtures."""

from pathlib import Path

import pytest

from synthrank.corpora import CorpusSpec, build_corpus, mixture_corpus
from synthrank.errors import SynthrankError
from synthrank.io import iter_jsonl, write_jsonl


def test_mixture_takes_slices_without_regenerating(tmp_path: Path) -> None:
    order = {f"q{i}": f"query {i}" for i in range(6)}
    human = [{"query_id": f"q{i}", "passage_id": f"d{i}", "text": f"human {i}"} for i in range(6)]
    gen = [{"query_id": f"q{i}", "passage_id": f"q{i}.g.0", "text": f"gen {i}"} for i in range(6)]
    write_jsonl(tmp_path / "h.jsonl", human)
    write_jsonl(tmp_path / "g.jsonl", gen)
    records, stats = mixture_corpus(
        [
            {"corpus": "human", "path": str(tmp_path / "h.jsonl"), "queries": 2},
            {"corpus": "gen", "path": str(tmp_path / "g.jsonl"), "queries": 3, "offset": 2},
        ],
        order,
    )
    assert [r["passage_id"] for r in records] == ["d0", "d1", "q2.g.0", "q3.g.0", "q4.g.0"]
    assert [p["queries"] for p in stats["components"]] == [2, 3]
    with pytest.raises(SynthrankError, match="only 6 training queries"):
        mixture_corpus([{"corpus": "gen", "path": str(tmp_path / "g.jsonl"), "queries": 5, "offset": 4}], order)


def test_human_corpus_from_demo(demo_files: dict[str, str], tmp_path: Path) -> None:
    stats = build_corpus(
        CorpusSpec("human", queries=20),
        str(tmp_path / "h.jsonl"),
        str(tmp_path / "h.json"),
        demo_files["cooking-corpus"],
        demo_files["cooking-queries"],
        demo_files["cooking-train"],
        sample_seed=1,
    )
    records = list(iter_jsonl(tmp_path / "h.jsonl"))
    assert stats["queries"] == 20 and stats["passages"] == len(records) >= 20
    assert all(r["paradigm"] == "human" and r["text"] for r in records)
