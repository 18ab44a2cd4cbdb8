"""The request cache (synthrank.llm.cache): nothing paid for is lost to kill -9, shared by jobs,
exported and imported for offline rebuilds, one-line errors."""

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
from synthrank.generate import generate_corpus
from synthrank.io import write_jsonl
from synthrank.llm.base import request_key
from synthrank.llm.cache import RequestCache
from synthrank.prompts import PromptTemplate

from .conftest import QUERIES, REPO, TEMPLATE, openai_generator
from .fake_openai import FakeOpenAI

pytestmark = pytest.mark.usefixtures("fast_retries")


KILL_SCRIPT = textwrap.dedent(
    """
    import sys
    from synthrank.generate import generate_corpus
    from synthrank.generator import Generator
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
    from synthrank.llm.cache import export_answers
    from synthrank.llm.cli import main as cache_cli

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


OPEN_SCRIPT = """
import sys, time
from synthrank.llm.cache import RequestCache
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
