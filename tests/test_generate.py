"""Generation: the four paradigms against a real llama.cpp server (SmolLM2-135M-Instruct), the
cache, quality flags, mixtures, and the faults a paid-for generation run must survive."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from synthrank.errors import SynthrankError
from synthrank.generate import (
    CorpusSpec,
    ExemplarPlan,
    Generator,
    Quality,
    build_corpus,
    build_exemplar_pool,
    generate_corpus,
    mixture_corpus,
    query_order,
)
from synthrank.io import iter_jsonl, write_jsonl
from synthrank.llm import Fetcher, OpenAIChat, RateLimiter, RequestCache, request_key
from synthrank.prompts import PromptTemplate

from .conftest import DEMO, REPO
from .fake_openai import FakeOpenAI

PROMPTS = REPO / "config" / "prompts"
TEMPLATE = PROMPTS / "zero-shot.txt"
QUERIES = {"q1": "why does bread dough need to rest", "q2": "how do you keep guacamole from turning brown"}


def openai_generator(base_url: str, **kw) -> Generator:
    spec = {"backend": "openai", "model": "SmolLM2-135M-Instruct", "base_url": base_url, **kw}
    spec.setdefault("sampling", {"temperature": 0.7, "top_p": 0.9, "max_tokens": 48, "seed": 3})
    return Generator.from_config("smol", spec)


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Exponential backoff as configured, but in milliseconds: the fault tests stay fast."""
    import synthrank.llm as llm

    real = llm.wait_exponential_jitter
    monkeypatch.setattr(llm, "wait_exponential_jitter", lambda **kw: real(initial=0.01, max=0.05))


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    from synthrank.data import ingest_collection, ingest_qrels

    out = tmp_path_factory.mktemp("demo")
    files = {}
    for name in ("cooking", "astronomy"):
        src = str(DEMO / name)
        corpus, queries = out / f"{name}-corpus.jsonl", out / f"{name}-queries.jsonl"
        ingest_collection(src, corpus, queries)
        files[f"{name}-corpus"], files[f"{name}-queries"] = str(corpus), str(queries)
        for split in ("train", "test") if name == "cooking" else ("test",):
            ingest_qrels(src, split, corpus, queries, out / f"{name}-{split}.tsv")
            files[f"{name}-{split}"] = str(out / f"{name}-{split}.tsv")
    return files


# ---------------------------------------------------------------- templates and exemplars


def test_template_checks(tmp_path: Path) -> None:
    template = PromptTemplate.load(TEMPLATE)
    assert len(template.sha256) == 64
    assert QUERIES["q1"] in template.render(QUERIES["q1"])[0]["content"]
    cases = {
        "Answer {query} in {language}": r"bad.txt: unknown placeholder \{language\}",
        "Write a passage.": "never uses",
        "Answer {query": "malformed placeholder",
    }
    for text, message in cases.items():
        (tmp_path / "bad.txt").write_text(text)
        with pytest.raises(SynthrankError, match=message):
            PromptTemplate.load(tmp_path / "bad.txt")
    with pytest.raises(SynthrankError, match="needs \\{examples\\}"):
        PromptTemplate.load(TEMPLATE, "few-shot-supervised")
    with pytest.raises(SynthrankError, match="no exemplars"):
        PromptTemplate.load(PROMPTS / "few-shot-supervised.txt", "zero-shot")
    few = PromptTemplate.load(PROMPTS / "few-shot-supervised.txt", "few-shot-supervised")
    text = few.render("q?", [{"query": "a?", "passage": "A."}, {"query": "b?", "passage": "B."}])[0]["content"]
    assert "Query: a?\nPassage: A.\n\nQuery: b?\nPassage: B." in text and text.endswith("Query: q?\nPassage:")


def test_exemplar_sampling_fixed_and_per_query() -> None:
    pool = [{"passage_id": f"p{i}", "passage": f"text {i}"} for i in range(20)]
    fixed = ExemplarPlan(pool, 3, "fixed", seed=1)
    assert fixed.for_query("a") == fixed.for_query("b")
    per_query = ExemplarPlan(pool, 3, "per-query", seed=1)
    assert per_query.for_query("a") != per_query.for_query("b")
    assert per_query.for_query("a") == ExemplarPlan(pool, 3, "per-query", seed=1).for_query("a")
    with pytest.raises(SynthrankError, match="k=30"):
        ExemplarPlan(pool, 30).for_query("a")


def test_query_order_prefixes_and_exemplar_pool(demo_files: dict[str, str], tmp_path: Path) -> None:
    q, r = demo_files["cooking-queries"], demo_files["cooking-train"]
    full = query_order(q, r, seed=3)
    assert list(query_order(q, r, max_queries=10, seed=3)) == list(full)[:10]  # nested small corpora
    # the pool skips any query whose text is an evaluation query
    eval_queries = tmp_path / "eval.jsonl"
    first = list(full)  # the pool's own order uses its seed
    pool_order = query_order(q, r, seed=5)
    clash = next(iter(pool_order))
    write_jsonl(eval_queries, [{"_id": "e1", "text": pool_order[clash].upper() + "?"}, {"_id": "e2", "text": "x"}])
    (tmp_path / "eval.tsv").write_text("e1\td1\t1\n")
    evaluation = [(str(eval_queries), str(tmp_path / "eval.tsv"))]
    build_exemplar_pool(str(tmp_path / "pool.jsonl"), demo_files["cooking-corpus"], q, r, evaluation, 5, 5)
    pool = list(iter_jsonl(tmp_path / "pool.jsonl"))
    assert len(pool) == 5 and clash not in {p["query_id"] for p in pool}
    assert all(p["passage"] for p in pool)
    rest = query_order(q, r, seed=3, exclude={p["query_id"] for p in pool})
    assert not set(rest) & {p["query_id"] for p in pool} and len(rest) == len(first) - 5


# ---------------------------------------------------------------- the real local LLM


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


def test_local_backend_starts_and_stops_its_server(gguf: Path, tmp_path: Path) -> None:
    spec = {
        "backend": "local",
        "model": "SmolLM2-135M-Instruct",
        "sampling": {"temperature": 0.0, "max_tokens": 32, "seed": 1},
    }
    gen = Generator.from_config("smollm2", spec, gguf=str(gguf))
    records, _, stats = generate_corpus(
        gen, PromptTemplate.load(TEMPLATE), {"q1": QUERIES["q1"]}, str(tmp_path / "c.sqlite"), "zero-shot"
    )
    assert stats["api_calls"] >= 1 and records[0]["text"]


# ---------------------------------------------------------------- faults


def test_missing_api_key_fails_before_any_request(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SYNTHRANK_TEST_KEY", raising=False)
    fake = FakeOpenAI()
    with fake.serve() as url:
        gen = openai_generator(url, api_key_env="SYNTHRANK_TEST_KEY")
        with pytest.raises(SynthrankError, match="environment variable SYNTHRANK_TEST_KEY is not set"):
            generate_corpus(gen, PromptTemplate.load(TEMPLATE), QUERIES, str(tmp_path / "c.sqlite"), "zero-shot")
    assert fake.seen == []


def fetcher_for(url: str, tmp_path: Path, timeout: float = 5, attempts: int = 6) -> Fetcher:
    return Fetcher(OpenAIChat(url, "", timeout), RequestCache(tmp_path / "c.sqlite"), max_attempts=attempts)


def test_retries_429_500_timeouts_and_malformed_bodies(tmp_path: Path) -> None:
    fake = FakeOpenAI()
    fake.script = [429, 500, "malformed", "not-json", "stall", 503]
    request = {"backend": "openai", "model": "m", "messages": [{"role": "user", "content": "hi"}], "seed": 1}
    with fake.serve() as url:
        fetcher = fetcher_for(url, tmp_path, timeout=1, attempts=8)
        answer = fetcher.one(request)
        assert len(fake.seen) == 7  # six failures, then 200
        assert answer.response["model_version"] == "fp_fake"
        assert answer.key == request_key(request) and fetcher.cache.get(answer.key) == answer.response
        fetcher.one(request)
        assert len(fake.seen) == 7 and fetcher.cache_hits == 1


def test_retry_after_is_honoured(tmp_path: Path) -> None:
    """A 429 with Retry-After: 3 is retried no sooner than 3 s later (this module's backoff
    alone waits at most 0.05 s: see fast_retries)."""
    fake = FakeOpenAI()
    fake.script = [("retry-after", 429, "3")]
    request = {"backend": "openai", "model": "m", "messages": [{"role": "user", "content": "hi"}], "seed": 1}
    with fake.serve() as url:
        fetcher_for(url, tmp_path).one(request)
    assert len(fake.seen) == 2 and fake.seen_at[1] - fake.seen_at[0] >= 3.0


def test_retry_after_values() -> None:
    from types import SimpleNamespace

    from synthrank.llm import MAX_RETRY_AFTER, TransientError, _WaitRetryAfter, retry_after_seconds

    assert retry_after_seconds({"Retry-After": "7"}) == 7.0
    assert retry_after_seconds({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert retry_after_seconds({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0  # a date in the past
    assert retry_after_seconds({"Retry-After": "soon"}) is None and retry_after_seconds(None) is None
    wait = _WaitRetryAfter(lambda retry_state: 0.5)  # 0.5: the backoff's wait

    def state(exc: Exception) -> SimpleNamespace:
        return SimpleNamespace(outcome=SimpleNamespace(exception=lambda: exc), attempt_number=1)

    assert wait(state(TransientError("x", retry_after=7))) == 7.0
    assert wait(state(TransientError("x", retry_after=10_000))) == MAX_RETRY_AFTER
    assert wait(state(TransientError("x"))) == 0.5


def test_give_up_and_permanent_errors_are_one_line(tmp_path: Path) -> None:
    fake = FakeOpenAI()
    request = {"backend": "openai", "model": "m", "messages": [{"role": "user", "content": "x"}]}
    with fake.serve() as url:
        fake.script = [400]
        with pytest.raises(SynthrankError, match="request failed with HTTP 400"):
            fetcher_for(url, tmp_path).one(request)
        assert len(fake.seen) == 1  # a 400 is not retried
        fake.script = [500, 500, 500]
        with pytest.raises(SynthrankError, match="gave up after 3 attempts: HTTP 500") as err:
            fetcher_for(url, tmp_path, attempts=3).one(request)
        assert "\n" not in str(err.value)


def test_rate_limiter_spaces_requests() -> None:
    limiter = RateLimiter(requests_per_minute=1200, tokens_per_minute=6000)
    start = time.monotonic()
    limiter.acquire(6000)  # a full minute's token budget: immediate
    limiter.acquire(100)  # then 100 tokens at 100 tokens/s
    assert time.monotonic() - start >= 0.9


def test_rate_limiter_with_one_limit_only() -> None:
    limiter = RateLimiter(requests_per_minute=120)  # no tokens_per_minute: tokens are not counted
    start = time.monotonic()
    for _ in range(121):  # a minute's budget at once, then one request at 2 per second
        limiter.acquire(10**6)
    assert 0.4 <= time.monotonic() - start < 2


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


KILL_SCRIPT = textwrap.dedent(
    """
    import sys
    from synthrank.generate import Generator, generate_corpus
    from synthrank.prompts import PromptTemplate
    url, cache, template = sys.argv[1:4]
    gen = Generator.from_config("g", {"backend": "openai", "model": "m", "base_url": url, "concurrency": 2,
                                     "sampling": {"max_tokens": 8, "seed": 0}})
    queries = {f"q{i}": f"query number {i}" for i in range(40)}
    records, _, stats = generate_corpus(gen, PromptTemplate.load(template), queries, cache, "zero-shot")
    print(stats["api_calls"], stats["cache_hits"])
    """
)


def test_kill_9_mid_corpus_then_resume_resends_nothing_completed(tmp_path: Path) -> None:
    fake = FakeOpenAI(latency=0.05)
    cache = tmp_path / "cache.sqlite"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with fake.serve() as url:
        cmd = [sys.executable, "-c", KILL_SCRIPT, url, str(cache), str(TEMPLATE)]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while len(fake.seen) < 15 and time.monotonic() < deadline:
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        first_run = [request_key({"backend": "openai", **body}) for body in fake.seen]
        done = {key for key in first_run if key in RequestCache(cache)}
        assert 10 <= len(done) < 40
        fake.seen.clear()
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True, timeout=120).stdout
    resent = [request_key({"backend": "openai", **body}) for body in fake.seen]
    assert not set(resent) & done  # nothing completed was paid for twice
    assert len(resent) == 40 - len(done) and out.split() == [str(40 - len(done)), str(len(done))]


SHARE_SCRIPT = KILL_SCRIPT.replace("range(40)", "range(int(sys.argv[4]), int(sys.argv[4]) + 30)")


def test_two_jobs_share_one_cache(tmp_path: Path) -> None:
    fake = FakeOpenAI(latency=0.01)
    cache = tmp_path / "cache.sqlite"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with fake.serve() as url:
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", SHARE_SCRIPT, url, str(cache), str(TEMPLATE), start],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for start in ("0", "15")
        ]
        results = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), results
    assert len(RequestCache(cache)) == 45  # q0..q44, the 15 shared ones stored once
    assert len(fake.seen) <= 60


def test_offline_mode_rebuilds_from_an_export_without_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from synthrank.llm import export_answers
    from synthrank.llm import main as cache_cli

    fake = FakeOpenAI()
    with fake.serve() as url:
        gen = openai_generator(url)
        records, ledger, _ = generate_corpus(
            gen, PromptTemplate.load(TEMPLATE), QUERIES, str(tmp_path / "a.sqlite"), "zero-shot"
        )
    write_jsonl(tmp_path / "ledger.jsonl", ledger)
    assert (
        export_answers(str(tmp_path / "a.sqlite"), [str(tmp_path / "ledger.jsonl")], str(tmp_path / "x.jsonl.gz")) == 2
    )
    export = (tmp_path / "x.jsonl.gz").read_bytes()
    export_answers(str(tmp_path / "a.sqlite"), [str(tmp_path / "ledger.jsonl")], str(tmp_path / "y.jsonl.gz"))
    assert (tmp_path / "y.jsonl.gz").read_bytes() == export  # deterministic bytes
    cache_cli(["import", str(tmp_path / "x.jsonl.gz"), "--cache", str(tmp_path / "b.sqlite")])
    monkeypatch.setenv("SYNTHRANK_OFFLINE", "1")
    keyed = openai_generator("http://127.0.0.1:9/v1", api_key_env="SYNTHRANK_UNSET_KEY")
    again, _, stats = generate_corpus(
        keyed, PromptTemplate.load(TEMPLATE), QUERIES, str(tmp_path / "b.sqlite"), "zero-shot"
    )
    assert [r["text"] for r in again] == [r["text"] for r in records] and stats["api_calls"] == 0
    with pytest.raises(SynthrankError, match="not in the cache \\(offline mode"):
        generate_corpus(keyed, PromptTemplate.load(TEMPLATE), {"q9": "new"}, str(tmp_path / "b.sqlite"), "zero-shot")
    lines = [json.loads(x) for x in __import__("gzip").open(tmp_path / "x.jsonl.gz", "rt")]
    lines[0]["request"]["seed"] = 99
    write_jsonl(tmp_path / "tampered.jsonl", lines)
    with pytest.raises(SystemExit, match="does not match the hash"):
        cache_cli(["import", str(tmp_path / "tampered.jsonl"), "--cache", str(tmp_path / "c.sqlite")])


def test_cache_write_failure_is_one_line(tmp_path: Path) -> None:
    """Disk full (simulated with SQLite's page limit): a clear error, nothing half-written taken as done."""
    cache = RequestCache(tmp_path / "c.sqlite")
    conn = cache._connect()
    conn.execute(f"PRAGMA max_page_count = {conn.execute('PRAGMA page_count').fetchone()[0]}")
    with pytest.raises(SynthrankError, match=r"cannot write the request cache .*full"):
        cache.put("k", {"r": 1}, {"choices": [{"message": {"content": "x" * 100_000}}]})
    assert cache.get("k") is None


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


def test_local_backend_without_llama_cpp_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from synthrank.llm import local_server

    (tmp_path / "m.gguf").write_bytes(b"GGUF")
    monkeypatch.setitem(sys.modules, "xllamacpp", None)  # as if the `local` extra were not installed
    with (
        pytest.raises(SynthrankError, match=r"pip install 'synthrank\[local\]'"),
        local_server(str(tmp_path / "m.gguf"), "m"),
    ):
        pass


OPEN_SCRIPT = """
import sys, time
from synthrank.llm import RequestCache
start = float(sys.argv[2])
while time.time() < start:
    pass
cache = RequestCache(sys.argv[1])
cache.put(sys.argv[3], {"q": sys.argv[3]}, {"choices": []})
del cache
"""


def test_many_jobs_open_a_new_cache_at_once(tmp_path: Path) -> None:
    """Jobs that open one new cache in the same instant (switching it to WAL, checkpointing as they
    close) all get in: SQLite's immediate "database is locked" on those steps is retried."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for round_ in range(4):
        cache = tmp_path / f"c{round_}.sqlite"
        start = str(time.time() + 1.5)
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", OPEN_SCRIPT, str(cache), start, f"k{i}"],
                env=env,
                stderr=subprocess.PIPE,
                text=True,
            )
            for i in range(6)
        ]
        errors = [p.communicate(timeout=120)[1] for p in procs]
        assert all(p.returncode == 0 for p in procs), errors
        assert len(RequestCache(cache)) == 6
