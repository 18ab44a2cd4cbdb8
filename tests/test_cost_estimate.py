"""The cost estimate (synthrank.cost_estimate): every prompt rendered as generation renders it."""

import json
from pathlib import Path

import pytest

from synthrank.corpora import CorpusSpec, generation_inputs
from synthrank.cost_estimate import estimate, observed_completion_tokens
from synthrank.llm.cache import RequestCache
from synthrank.queries import training_order

from .conftest import PROMPTS

PRICE = {"input_per_mtok": 0.4, "output_per_mtok": 1.6}


def spec(name: str, paradigm: str, queries: int, batch: bool = False) -> CorpusSpec:
    generator = {"name": "gpt", "backend": "openai", "model": "gpt-x", "api_key_env": "KEY", "price": PRICE}
    generator["sampling"] = {"max_tokens": 100}
    if batch:
        generator["batch"] = {"poll_seconds": 60}
    cfg = {"name": name, "paradigm": paradigm, "generator": generator, "template": str(PROMPTS / f"{paradigm}.txt")}
    return CorpusSpec.from_config({**cfg, "queries": queries, "exemplars": {"k": 2, "pool": 5}})


def test_estimate_counts_the_prompts_generation_would_send(demo_files: dict[str, str], tmp_path: Path) -> None:
    files = (demo_files["cooking-corpus"], demo_files["cooking-queries"], demo_files["cooking-train"])
    specs = [spec("zs", "zero-shot", 10), spec("fsu", "few-shot-unsupervised", 6, batch=True)]
    out_json, out_md = tmp_path / "estimate.json", tmp_path / "estimate.md"
    rows = estimate(specs, str(out_json), str(out_md), *files, evaluation_qrels=[demo_files["cooking-test"]])

    pool, order = training_order(files[1], files[2], None, None, 0)
    for row, corpus in zip(rows, specs, strict=True):
        queries, template, plan = generation_inputs(corpus, order, pool, files[0], [demo_files["cooking-test"]])
        chars = sum(
            len(template.render(q, plan.for_query(qid) if plan else [])[0]["content"]) for qid, q in queries.items()
        )
        assert row["requests"] == len(queries)
        assert row["prompt_tokens"] == chars // 4
        assert row["completion_tokens_max"] == 100 * len(queries)
        assert row["completion_basis"] == "max_tokens"
        factor = 0.5 if row["batch"] else 1.0
        expected = (row["prompt_tokens"] * 0.4 + row["completion_tokens_max"] * 1.6) / 1e6 * factor
        assert row["usd_max"] == pytest.approx(expected, abs=1e-4)
    assert [r["batch"] for r in rows] == [False, True]
    summary = json.loads(out_json.read_text(encoding="utf-8"))
    assert summary["total_usd_max"] == pytest.approx(sum(r["usd_max"] for r in rows), abs=1e-4)
    table = out_md.read_text(encoding="utf-8").splitlines()
    assert table[-1].startswith("| **total** | | 16 |")
    assert any(line.startswith("| fsu | gpt (batch) | 6 |") for line in table)


def test_observed_completion_length_from_the_cache(tmp_path: Path) -> None:
    cache_path = tmp_path / "cache.sqlite"
    assert observed_completion_tokens(str(cache_path), "gpt-x") is None  # no cache yet
    cache = RequestCache(cache_path)
    for i, tokens in enumerate((10, 30)):
        answer = {"choices": [{"message": {"content": "x"}}], "usage": {"completion_tokens": tokens}}
        cache.put(f"k{i}", {"model": "gpt-x", "n": i}, answer)
    cache.put("other", {"model": "other"}, {"choices": [], "usage": {"completion_tokens": 999}})
    assert observed_completion_tokens(str(cache_path), "gpt-x") == 20
    assert observed_completion_tokens(str(cache_path), "missing") is None
