"""Generating a corpus (synthrank.generate) against a real llama.cpp server (SmolLM2-135M-Instruct)
and a fake OpenAI server: the paradigms, the cache, quality flags and their actions."""

from pathlib import Path

import pytest

from synthrank.corpora import CorpusSpec, build_corpus
from synthrank.exemplars import build_exemplar_pool
from synthrank.generate import generate_corpus
from synthrank.io import iter_jsonl
from synthrank.prompts import PromptTemplate
from synthrank.quality import Quality

from .conftest import PROMPTS, QUERIES, TEMPLATE, openai_generator
from .fake_openai import FakeOpenAI

pytestmark = pytest.mark.usefixtures("fast_retries")


def test_zero_shot_against_local_server_then_cache(llm_server: str, tmp_path: Path) -> None:
    cache = tmp_path / "cache.sqlite"
    gen = openai_generator(llm_server, concurrency=2, samples_per_query=2)
    records, ledger, stats = generate_corpus(gen, PromptTemplate.load(TEMPLATE), QUERIES, str(cache), "zero-shot")
    assert stats["requests"] == 4 and stats["api_calls"] == 4 and stats["cache_hits"] == 0
    assert [(r["query_id"], r["sample"]) for r in records] == [("q1", 0), ("q1", 1), ("q2", 0), ("q2", 1)]
    first = records[0]
    assert first["text"] and first["model"] == "SmolLM2-135M-Instruct"
    assert first["template_sha256"] == PromptTemplate.load(TEMPLATE).sha256 and first["exemplar_ids"] == []
    assert first["sampling"]["seed"] == 3 and records[1]["sampling"]["seed"] == 4
    assert first["completion_tokens"] > 0 and first["prompt_tokens"] > 0
    assert len({r["passage_id"] for r in records}) == 4
    assert {e["request_sha256"] for e in ledger} >= {r["request_sha256"] for r in records}
    assert all(e["timestamp"] and e["status"] in ("kept", "dropped", "regenerated") for e in ledger)
    # everything paid for is in the cache: a rerun sends nothing and returns the same passages
    again, _, stats2 = generate_corpus(gen, PromptTemplate.load(TEMPLATE), QUERIES, str(cache), "zero-shot")
    assert stats2["api_calls"] == 0 and stats2["cache_hits"] == stats["requests"]
    assert again == records


@pytest.mark.heavy
def test_few_shot_paradigms_against_local_server(llm_server: str, demo_files: dict[str, str], tmp_path: Path) -> None:
    """Both few-shot paradigms end to end on the demo collection with the real LLM."""
    q, r, c = demo_files["cooking-queries"], demo_files["cooking-train"], demo_files["cooking-corpus"]
    pool = tmp_path / "pool.jsonl"
    build_exemplar_pool(str(pool), c, q, r, [(q, demo_files["cooking-test"])], 6, 0)
    gen_cfg = {"name": "smol", "backend": "openai", "model": "SmolLM2-135M-Instruct", "base_url": llm_server}
    gen_cfg |= {"concurrency": 2, "sampling": {"temperature": 0.7, "top_p": 0.9, "max_tokens": 40, "seed": 1}}
    for paradigm, template in (
        ("few-shot-supervised", "few-shot-supervised.txt"),
        ("few-shot-unsupervised", "few-shot-unsupervised.txt"),
    ):
        spec = CorpusSpec.from_config(
            {
                "name": paradigm,
                "paradigm": paradigm,
                "generator": gen_cfg,
                "template": str(PROMPTS / template),
                "queries": 3,
                "exemplars": {"k": 2, "pool": 5, "sampling": "per-query", "seed": 0},
            }
        )
        out = tmp_path / paradigm
        stats = build_corpus(
            spec, f"{out}.jsonl", f"{out}.stats.json", c, q, r, ledger_path=f"{out}.ledger.jsonl",
            cache_path=str(tmp_path / "cache.sqlite"), pool_path=str(pool), evaluation_qrels=[demo_files["cooking-test"]],
        )  # fmt: skip
        records = list(iter_jsonl(f"{out}.jsonl"))
        assert stats["exemplars"] == {"k": 2, "pool": 5, "sampling": "per-query", "seed": 0}
        assert all(len(rec["exemplar_ids"]) == 2 for rec in records) and records
        pool_ids = {p["query_id"] for p in iter_jsonl(pool)}
        if paradigm == "few-shot-supervised":
            assert {e for rec in records for e in rec["exemplar_ids"]} <= pool_ids
        else:  # raw passages, never one judged for an evaluation query
            test_judged = {line.split("\t")[1] for line in Path(demo_files["cooking-test"]).read_text().splitlines()}
            assert not {e for rec in records for e in rec["exemplar_ids"]} & test_judged
        assert not {rec["query_id"] for rec in records} & pool_ids  # pool queries are in no corpus


def test_quality_flags_regenerate_and_drop(tmp_path: Path) -> None:
    fake = FakeOpenAI()
    queries = {"a": "how long to boil an egg", "b": "what is umami", "c": "why salt pasta water", "d": "is msg safe"}
    fake.script = [
        ("text", "", "stop"),  # a: empty -> regenerate
        ("text", "I'm sorry, I cannot help with that.", "stop"),  # b: refused -> regenerate
        ("text", "Salt raises the boiling point a little and seasons the pasta.", "length"),  # c: truncated, kept
        ("text", "Is MSG safe?", "stop"),  # d: copies the query -> regenerate
        ("text", "Boil an egg for nine minutes for a firm yolk.", "stop"),  # a, attempt 1
        ("text", "Salt raises the boiling point a little and seasons the pasta.", "stop"),  # b: duplicate of c -> drop
        ("text", "MSG is considered safe by food regulators.", "stop"),  # d, attempt 1
    ]
    with fake.serve() as url:
        gen = openai_generator(url, concurrency=1)
        quality = Quality.from_config({"max_regenerations": 1})
        records, ledger, stats = generate_corpus(
            gen, PromptTemplate.load(TEMPLATE), queries, str(tmp_path / "c.sqlite"), "zero-shot", quality=quality
        )
    assert [r["query_id"] for r in records] == ["a", "c", "d"]
    assert stats["flags"] == {"empty": 1, "refused": 1, "truncated": 1, "duplicate": 1, "query_copy": 1}
    assert stats["requests"] == len(ledger) == 7 and stats["regenerated"] == 3 and stats["dropped"] == 1
    assert next(r for r in records if r["query_id"] == "c")["flags"] == ["truncated"]
    a_requests = [e for e in ledger if e["query_id"] == "a"]
    assert a_requests[0]["sampling"]["seed"] != a_requests[1]["sampling"]["seed"]  # a regeneration is a new request
    assert [e["status"] for e in ledger if e["query_id"] == "b"] == [
        "regenerated",
        "dropped",
    ]  # now a duplicate: dropped
