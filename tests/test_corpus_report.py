"""The corpus table, the examples page (synthrank.corpus_report) and the corpus figures."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synthrank.corpus_report import corpus_rows, example_queries, examples, write_corpus_table, write_examples
from synthrank.errors import SynthrankError
from synthrank.figures import corpus_map_figure, length_figure, overlap_figure


def write_jsonl(path: Path, records: list[dict]) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return str(path)


def statistics(passages: int, overlap: float, novelty: float | None, flags: dict) -> dict:
    return {
        "passages": passages,
        "queries": passages,
        "length": {"mean": 41.25, "median": 40.0, "p5": 12.0, "p95": 80.0},
        "query_overlap": overlap,
        "distinct_1": 0.5,
        "distinct_2": 0.9,
        "near_duplicates": 0.0,
        "novelty": novelty,
        "flags": flags,
    }


def test_corpus_table_rows_and_formats(tmp_path: Path) -> None:
    files = {}
    for name, stats, judge in (
        ("human", statistics(1200, 0.61, None, {}), {"answered": 0.8, "mrr": 0.87, "sample": 1000}),
        (
            "zs",
            statistics(1000, 0.9, 0.75, {"truncated": 3, "duplicate": 0}),
            {"answered": 0.95, "mrr": 0.97, "sample": 1000},
        ),
    ):
        (tmp_path / f"{name}.json").write_text(json.dumps(stats))
        (tmp_path / f"{name}-judge.json").write_text(json.dumps(judge))
        files[name] = (str(tmp_path / f"{name}.json"), str(tmp_path / f"{name}-judge.json"))
    facets = {"human": {"paradigm": "human", "generator": ""}, "zs": {"paradigm": "zero-shot", "generator": "gpt"}}
    rows = corpus_rows(facets, {c: f[0] for c, f in files.items()}, {c: f[1] for c, f in files.items()})
    assert list(rows.index) == ["human", "zs"]
    assert rows.loc["zs", "answered"] == 0.95 and rows.loc["zs", "flags"] == "truncated 3"
    assert rows.loc["human", "flags"] == "none" and pd.isna(rows.loc["human", "novelty"])
    out = {
        k: str(tmp_path / f"corpora.{e}")
        for k, e in (("csv", "csv"), ("markdown", "md"), ("latex", "tex"), ("html", "html"))
    }
    write_corpus_table(rows, out, "Corpora & their statistics")
    csv = pd.read_csv(out["csv"], index_col=0)
    assert csv.loc["zs", "query_overlap"] == 0.9 and csv.loc["human", "passages"] == 1200
    markdown = Path(out["markdown"]).read_text()
    assert "| zs " in markdown and "1,200" in markdown and "41.2" in markdown and "–" in markdown
    assert r"Corpora \& their statistics" in Path(out["latex"]).read_text()
    assert "answers its query" in Path(out["html"]).read_text()


@pytest.fixture
def page_files(tmp_path: Path) -> dict[str, str]:
    queries = [{"_id": f"q{i}", "text": f"question {i}"} for i in range(6)]
    files = {"queries": write_jsonl(tmp_path / "queries.jsonl", queries)}
    files["human"] = write_jsonl(
        tmp_path / "human.jsonl", [{"query_id": f"q{i}", "passage_id": f"d{i}", "text": f"human {i}"} for i in range(6)]
    )
    files["sup"] = write_jsonl(
        tmp_path / "sup.jsonl",
        [{"query_id": f"q{i}", "passage_id": f"s{i}", "text": f"sup {i}", "exemplar_ids": ["p1"]} for i in range(1, 6)],
    )
    files["unsup"] = write_jsonl(
        tmp_path / "unsup.jsonl",
        [
            {"query_id": f"q{i}", "passage_id": f"u{i}", "text": f"unsup {i}", "exemplar_ids": ["c7", "c8"]}
            for i in range(4)
        ],
    )
    files["pool"] = write_jsonl(
        tmp_path / "pool.jsonl",
        [{"query_id": "p1", "query": "pool query", "passage_id": "c9", "passage": "pool passage"}],
    )
    files["collection"] = write_jsonl(
        tmp_path / "corpus.jsonl", [{"_id": f"c{i}", "title": "", "text": f"collection {i}"} for i in range(10)]
    )
    return files


def test_examples_show_each_corpus_and_its_exemplars(page_files: dict[str, str], tmp_path: Path) -> None:
    corpora = {
        "human": {"path": page_files["human"], "paradigm": "human"},
        "sup": {"path": page_files["sup"], "paradigm": "few-shot-supervised"},
        "unsup": {"path": page_files["unsup"], "paradigm": "few-shot-unsupervised"},
    }
    # only q1..q3 are answered by every corpus; the sample is seeded
    picked = example_queries({n: c["path"] for n, c in corpora.items()}, 2, seed=0)
    assert len(picked) == 2 and set(picked) <= {"q1", "q2", "q3"}
    assert picked == example_queries({n: c["path"] for n, c in corpora.items()}, 2, seed=0)
    assert sorted(example_queries({n: c["path"] for n, c in corpora.items()}, 10, seed=0)) == ["q1", "q2", "q3"]
    found = examples(corpora, page_files["queries"], 2, 0, page_files["pool"], page_files["collection"])
    first = found[0]
    assert first["query"] == f"question {first['query_id'][1:]}"
    by_corpus = {e["corpus"]: e for e in first["corpora"]}
    assert by_corpus["human"]["exemplars"] == []
    assert by_corpus["sup"]["exemplars"] == [{"query": "pool query", "passage": "pool passage"}]
    assert by_corpus["unsup"]["exemplars"] == [
        {"query": None, "passage": "collection 7"},
        {"query": None, "passage": "collection 8"},
    ]
    write_examples(found, str(tmp_path / "ex.md"), str(tmp_path / "ex.html"), "Examples <caption>")
    markdown = (tmp_path / "ex.md").read_text()
    assert (
        "### sup (few-shot-supervised)" in markdown
        and "(query: pool query)" in markdown
        and "> collection 7" in markdown
    )
    assert "Examples &lt;caption&gt;" in (tmp_path / "ex.html").read_text()
    with pytest.raises(SynthrankError, match="exemplar 'p1' of query"):
        examples(corpora, page_files["queries"], 2, 0, None, page_files["collection"])


def test_corpus_figures_write_png_and_pdf(scores: pd.DataFrame, tmp_path: Path) -> None:
    def files(name: str) -> tuple[str, str]:
        return str(tmp_path / f"{name}.png"), str(tmp_path / f"{name}.pdf")

    paradigms = {"human": "human", "zero-shot": "zero-shot"}
    length_figure({"human": {"10": 3, "40": 2}, "zero-shot": {"60": 4}}, paradigms, *files("lengths"))
    coords = {"human": np.array([[0.0, 1.0], [1.0, 0.0]]), "zero-shot": np.array([[2.0, 2.0]])}
    corpus_map_figure(coords, paradigms, "human", *files("map"))
    overlap_figure(scores, {"human": 0.5, "zero-shot": 0.9}, paradigms, *files("overlap"), "nDCG@10")
    overlap_figure(scores, {"other": 0.5}, {"other": "human"}, *files("none"), "nDCG@10")
    for name in ("lengths", "map", "overlap", "none"):
        png, pdf = files(name)
        assert Path(png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and Path(pdf).read_bytes()[:4] == b"%PDF"
    again = str(tmp_path / "again.png"), str(tmp_path / "again.pdf")
    corpus_map_figure(coords, paradigms, "human", *again)
    assert Path(again[0]).read_bytes() == Path(files("map")[0]).read_bytes()


def test_a_paradigm_has_one_colour_in_every_figure() -> None:
    from synthrank.figures import BASELINE, paradigm_palette

    few = paradigm_palette(["zero-shot", "human"])
    many = paradigm_palette(["mixture", BASELINE, "few-shot-supervised", "zero-shot", "human", "trained"])
    assert list(few) == ["human", "zero-shot"]  # the paradigms' order, whatever order they came in
    assert list(many) == [BASELINE, "human", "zero-shot", "few-shot-supervised", "mixture", "trained"]
    assert few["zero-shot"] == many["zero-shot"] and few["human"] == many["human"]
    assert len(set(many.values())) == len(many)


def test_corpora_with_the_same_passage_share_an_example(page_files: dict[str, str]) -> None:
    corpora = {
        "human": {"path": page_files["human"], "paradigm": "human"},
        "human-again": {"path": page_files["human"], "paradigm": "human"},
        "sup": {"path": page_files["sup"], "paradigm": "few-shot-supervised"},
    }
    found = examples(corpora, page_files["queries"], 1, 0, page_files["pool"], None)
    assert [e["corpus"] for e in found[0]["corpora"]] == ["human, human-again", "sup"]
