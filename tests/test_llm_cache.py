"""The request cache (synthrank.llm.cache): nothing paid for is lost to kill -9, shared by jobs on
one host or several (no lock, no -wal/-shm), the old SQLite file migrated, exported and imported
for offline rebuilds, one-line errors."""

import hashlib
import json
import logging
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from synthrank.errors import SynthrankError
from synthrank.generate import generate_corpus
from synthrank.io import write_jsonl
from synthrank.llm import cache as cache_module
from synthrank.llm.base import request_key
from synthrank.llm.cache import MIGRATED, RequestCache, cache_paths
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
        # a request the job sent just before it died reaches the server's log a moment later
        settled = -1
        while settled != len(fake.seen):
            settled = len(fake.seen)
            time.sleep(0.3)
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


FSIZE_SCRIPT = """
import resource, signal, sys
from synthrank.errors import SynthrankError
from synthrank.llm.cache import RequestCache
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # past the limit, write() fails with EFBIG instead
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
cache = RequestCache(sys.argv[1])
cache.put("small", {"r": 1}, {"text": "x"})
try:
    cache.put("big", {"r": 2}, {"text": "x" * 10_000})
except SynthrankError as exc:
    print(exc)
cache.put("after", {"r": 3}, {"text": "y"})  # into a new shard: the torn one is written no more
"""


def test_cache_write_failure_is_one_line(tmp_path: Path) -> None:
    """A write that fails half way (a file-size limit here; disk full or a quota alike): one line
    naming the shard, the answer not stored, the torn record skipped by every reader."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cache_dir = tmp_path / "cache"
    done = subprocess.run(
        [sys.executable, "-c", FSIZE_SCRIPT, str(cache_dir)], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    (message,) = done.stdout.splitlines()
    assert re.fullmatch(r"\S+\.records: cannot write the request cache \(\[Errno 27\] File too large\)", message)
    shards = sorted(cache_dir.glob("*.records"), key=lambda p: p.stat().st_size)
    assert len(shards) == 2 and shards[-1].stat().st_size == 4096  # the torn one, cut at the limit
    cache = RequestCache(cache_dir)
    assert cache.get("big") is None and cache.get("small") == {"text": "x"} and cache.get("after") == {"text": "y"}


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
    """Jobs that open one new cache in the same instant (each creating the folder and its own
    shard) all get in."""
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


# -- several writers on one file system, some killed (SIGKILL) at random moments

WRITER_SCRIPT = """
import hashlib, random, sys
from synthrank.llm.base import request_key
from synthrank.llm.cache import RequestCache
folder, writer, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(writer)
cache = RequestCache(folder)
keys = []
for i in range(count):
    # odd requests are every writer's (as a 1k corpus's are its 10k corpus's), even ones its own
    keys.append(request_key({"model": "m", "n": i if i % 2 else 1000 * (writer + 1) + i}))
cache.record_batch(f"batch-{writer}", "openai", "m", keys)
print("batch", flush=True)
for i, key in enumerate(keys):
    if key in cache:
        continue
    # a few answers of 100-300 kB, so that a kill often lands inside a write
    size = rng.randrange(100_000, 300_000) if rng.random() < 0.1 else rng.randrange(100, 4000)
    text = rng.randbytes(size // 2).hex() + "\\t\\n\\u00e9\\u4e2d"
    request = {"model": "m", "n": i if i % 2 else 1000 * (writer + 1) + i}
    cache.put(key, request, {"text": text, "sha256": hashlib.sha256(text.encode()).hexdigest()})
    print(key, flush=True)  # put returned: from here on the answer must survive anything
cache.update_batch(f"batch-{writer}", "done")
print("done", flush=True)
"""

READER_SCRIPT = """
import hashlib, os, sys
from synthrank.llm.base import request_key
from synthrank.llm.cache import RequestCache
folder, stop = sys.argv[1], sys.argv[2]
passes = answers = 0
while not os.path.exists(stop):
    with RequestCache(folder) as cache:
        for key, stored in cache.items():
            response = stored["response"]
            assert request_key(stored["request"]) == key, key
            assert hashlib.sha256(response["text"].encode()).hexdigest() == response["sha256"], key
            answers += 1
    passes += 1
print(passes, answers)
"""

SHARED_DIR = os.environ.get("SYNTHRANK_TEST_SHARED_DIR")


def test_writers_killed_at_random_lose_no_stored_answer(tmp_path: Path) -> None:
    """Six writers at once (the thesis grid's gpt, gemini and vLLM jobs), three of them killed
    with SIGKILL at random moments, a reader reading all along: every answer a writer was told
    was stored is there and intact, so is every other answer the cache holds, the killed
    writers' batch jobs are still open (a restart resumes them), and the cache's folder has no
    -wal or -shm file. SYNTHRANK_TEST_SHARED_DIR (a folder on NFS, Lustre or GPFS) runs it there
    instead of in a local temporary folder (never a skip: CI counts a skip as a failure)."""
    base = Path(SHARED_DIR) / f"synthrank-test-{os.getpid()}-{time.time_ns()}" if SHARED_DIR else tmp_path
    folder = base / "llm-requests"
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    stop = base / "stop"
    base.mkdir(parents=True, exist_ok=True)
    reader = subprocess.Popen(
        [sys.executable, "-c", READER_SCRIPT, str(folder), str(stop)], env=env, stdout=subprocess.PIPE, text=True
    )
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER_SCRIPT, str(folder), str(n), "1000"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for n in range(6)
    ]
    killed = rng.sample(range(6), 3)

    def kill_at_random(n: int, after: int, delay: float) -> None:
        """SIGKILL writer n a random moment after its ``after``-th stored answer."""
        stream = writers[n].stdout
        assert stream is not None
        lines = []
        for line in stream:
            lines.append(line)
            if len(lines) == after + 1:  # its "batch" line, then ``after`` answers
                time.sleep(delay)
                writers[n].send_signal(signal.SIGKILL)
        lines += stream.readlines()
        outputs[n] = ("".join(lines), "")

    outputs: list[tuple[str, str]] = [("", "")] * 6
    killers = [
        threading.Thread(target=kill_at_random, args=(n, rng.randrange(1, 150), rng.uniform(0, 0.02))) for n in killed
    ]
    for thread in killers:
        thread.start()
    for n in set(range(6)) - set(killed):
        outputs[n] = writers[n].communicate(timeout=300)
    for thread in killers:
        thread.join(timeout=300)
    for n in killed:
        writers[n].wait(timeout=60)
    stop.touch()
    read_out, _ = reader.communicate(timeout=300)
    context = f"seed {seed}, killed {killed}"
    assert reader.returncode == 0 and int(read_out.split()[0]) >= 1, context
    for n in range(6):
        assert writers[n].returncode == (-signal.SIGKILL if n in killed else 0), context
    acked = [out.split()[1:] if out.startswith("batch") else out.split() for out, _ in outputs]
    stored = {key for lines in acked for key in lines if key != "done"}
    cache = RequestCache(folder)
    seen = 0
    for key, entry in cache.items():
        response = entry["response"]
        assert request_key(entry["request"]) == key
        assert hashlib.sha256(response["text"].encode()).hexdigest() == response["sha256"], (context, key)
        seen += 1
    assert stored <= set(cache._answers), (context, len(stored - set(cache._answers)))
    assert seen == len(cache) >= len(stored)
    finished = {n for n in range(6) if outputs[n][0].rstrip().endswith("done")}
    acked_batches = {n for n in range(6) if outputs[n][0].startswith("batch")}
    open_batches = {int(batch.split("-")[1]) for batch, _ in cache.open_batches("openai", "m")}
    assert acked_batches - finished <= open_batches <= set(range(6)) - finished, context
    assert finished == set(range(6)) - set(killed)
    assert not [p for p in base.rglob("*") if p.name.endswith(("-wal", "-shm", "-journal"))]
    if SHARED_DIR:
        shutil.rmtree(base)


def test_torn_and_damaged_records_are_skipped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A killed writer's half-written last record is skipped silently; a damaged record followed
    by a good one is skipped with a warning naming the shard; neither is an error."""
    cache = RequestCache(tmp_path / "c")
    for i in range(3):
        cache.put(f"k{i}", {"i": i}, {"text": str(i)})
    cache.close()
    (shard,) = (tmp_path / "c").glob("*.records")
    header, first, second, third, _ = shard.read_bytes().split(b"\n")
    damaged = second.replace(b'"1"', b'"X"')
    shard.write_bytes(b"\n".join([header, first, damaged, third, b'a\tk9\t1.5\t{"batch_id": nu']))
    with caplog.at_level(logging.WARNING, logger="synthrank.llm.cache"):
        again = RequestCache(tmp_path / "c")
    assert again.get("k0") == {"text": "0"} and again.get("k1") is None and again.get("k2") == {"text": "2"}
    assert again.get("k9") is None and len(again) == 2
    assert caplog.messages == [f"{shard}: skipped a damaged record at byte {len(header) + len(first) + 2}"]


def test_a_record_seen_before_it_is_whole_is_taken_once_it_is(tmp_path: Path) -> None:
    """A reader on another host can see a record's end before its start (a network file system
    writes pages out of order): such a last record is left for the next scan, not skipped."""
    writer = RequestCache(tmp_path / "c")
    writer.put("k0", {"i": 0}, {"text": "0"})
    writer.put("k1", {"i": 1}, {"text": "1" * 5000})
    (shard,) = (tmp_path / "c").glob("*.records")
    whole = shard.read_bytes()
    last = whole.rindex(b"\n", 0, len(whole) - 1) + 1
    shard.write_bytes(whole[:last] + b"\0" * 4096 + whole[last + 4096 :])
    reader = RequestCache(tmp_path / "c")
    assert reader.get("k0") == {"text": "0"} and "k1" not in reader._answers
    shard.write_bytes(whole)
    reader.rescan()
    assert reader.get("k1") == {"text": "1" * 5000}


def test_jobs_see_each_others_answers_and_agree_on_a_request_answered_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache_module, "RESCAN_SECONDS", 0.0)
    a, b = RequestCache(tmp_path / "c"), RequestCache(tmp_path / "c")
    a.put("k", {"r": 1}, {"text": "from a"})
    assert "k" in b and b.get("k") == {"text": "from a"}  # b rescans on the miss
    b.put("k", {"r": 1}, {"text": "from b"})  # both jobs asked at the same moment: two answers
    assert a.get("k") == b.get("k") == RequestCache(tmp_path / "c").get("k") == {"text": "from a"}
    assert len(list((tmp_path / "c").glob("*.records"))) == 2


def test_a_shard_that_is_none_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "new.records").write_bytes(b"synthrank-requ")  # its writer just started: fine
    assert len(RequestCache(tmp_path / "c")) == 0
    (tmp_path / "c" / "x.records").write_bytes(b"something else entirely, at some length\n")
    with pytest.raises(SynthrankError, match=r"x\.records: not a request-cache shard"):
        RequestCache(tmp_path / "c")
    (tmp_path / "c" / "x.records").write_bytes(b"synthrank-request-cache 2\n")
    with pytest.raises(SynthrankError, match=r"x\.records: a newer format"):
        RequestCache(tmp_path / "c")


def test_cache_paths_old_and_new_names(tmp_path: Path) -> None:
    assert cache_paths(tmp_path / "r.sqlite") == cache_paths(tmp_path / "r") == (tmp_path / "r", tmp_path / "r.sqlite")
    (tmp_path / "old.db").write_bytes(b"")
    with pytest.raises(SynthrankError, match=r"old\.db: a file, not a request-cache folder .* old\.db\.sqlite"):
        RequestCache(tmp_path / "old.db")


LEGACY_SCRIPT = """
import json, os, signal, sqlite3, sys, time
from synthrank.llm.base import request_key
path, kill = sys.argv[1], sys.argv[2] == "kill"
conn = sqlite3.connect(path, isolation_level=None)
conn.execute("PRAGMA journal_mode=WAL")
conn.execute("CREATE TABLE responses (key TEXT PRIMARY KEY, request TEXT NOT NULL, response TEXT NOT NULL,"
             " created REAL NOT NULL, batch_id TEXT)")
conn.execute("CREATE TABLE batches (id TEXT PRIMARY KEY, backend TEXT NOT NULL, model TEXT NOT NULL,"
             " keys TEXT NOT NULL, status TEXT NOT NULL, created REAL NOT NULL, updated REAL NOT NULL)")
keys = []
for i in range(50):
    request = {"model": "m", "n": i}
    keys.append(request_key(request))
    conn.execute("INSERT INTO responses VALUES (?, ?, ?, ?, ?)", (keys[-1], json.dumps(request, sort_keys=True),
                 json.dumps({"text": f"answer {i}"}), 1000.0 + i, "b-done" if i < 5 else None))
conn.execute("INSERT INTO batches VALUES ('b-open', 'openai', 'm', ?, 'submitted', 2000.0, 2000.0)",
             (json.dumps(keys[40:]),))
conn.execute("INSERT INTO batches VALUES ('b-done', 'openai', 'm', ?, 'done', 1000.0, 1100.0)",
             (json.dumps(keys[:5]),))
if kill:  # an earlier version's job killed: its answers are in the WAL only
    os.kill(os.getpid(), signal.SIGKILL)
conn.close()
"""


@pytest.mark.parametrize("state", ["closed", "killed"])
def test_the_old_sqlite_cache_is_migrated_once_and_left_as_it_was(
    state: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    legacy = tmp_path / "llm-requests.sqlite"
    run = subprocess.run(
        [sys.executable, "-c", LEGACY_SCRIPT, str(legacy), "kill" if state == "killed" else "close"],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=60,
    )
    assert run.returncode == (-signal.SIGKILL if state == "killed" else 0)
    wal = tmp_path / "llm-requests.sqlite-wal"
    assert (wal.is_file() and wal.stat().st_size > 0) == (state == "killed")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with caplog.at_level(logging.WARNING, logger="synthrank.llm.cache"):
        cache = RequestCache(tmp_path / "llm-requests")  # the new default names the same cache
    assert caplog.messages == [
        f"{legacy}: migrated 50 answers and 2 batch jobs into {tmp_path / 'llm-requests' / MIGRATED};"
        " the old file is no longer read (keep it as a backup)"
    ]
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before
    assert [p.name for p in (tmp_path / "llm-requests").iterdir()] == [MIGRATED]
    assert len(cache) == 50
    entry = cache.entry(request_key({"model": "m", "n": 3}))
    assert entry is not None and entry.response == {"text": "answer 3"}
    assert (entry.created, entry.batch_id) == (1003.0, "b-done")
    ((batch, keys),) = cache.open_batches("openai", "m")
    assert batch == "b-open" and keys == [request_key({"model": "m", "n": i}) for i in range(40, 50)]
    caplog.clear()
    again = RequestCache(legacy)  # the old name, as earlier configs have it
    assert len(again) == 50 and not caplog.messages  # migrated once
    again.put("new", {"r": 1}, {"text": "x"})
    assert (
        len(RequestCache(legacy)) == 51
        and {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before
    )


def test_a_cache_from_before_batch_support_is_migrated(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "c.sqlite")
    conn.execute("CREATE TABLE responses (key TEXT PRIMARY KEY, request TEXT, response TEXT, created REAL)")
    conn.execute("INSERT INTO responses VALUES ('k', '{\"r\": 1}', '{\"text\": \"old\"}', 5.0)")
    conn.commit()
    conn.close()
    cache = RequestCache(tmp_path / "c")
    assert cache.entry("k") == cache_module.Cached("k", {"text": "old"}, 5.0, None)
    assert cache.open_batches("openai", "m") == []


def test_a_broken_old_cache_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "c.sqlite").write_bytes(b"not a database at all" * 100)
    with pytest.raises(SynthrankError, match=r"c\.sqlite: cannot read the old SQLite request cache \(file is not a"):
        RequestCache(tmp_path / "c")


def test_a_forked_child_writes_a_shard_of_its_own(tmp_path: Path) -> None:
    cache = RequestCache(tmp_path / "c")
    cache.put("parent", {"r": 1}, {"text": "p"})
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            cache.put("child", {"r": 2}, {"text": "c"})
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    cache.put("parent again", {"r": 3}, {"text": "q"})
    assert len(list((tmp_path / "c").glob("*.records"))) == 2
    assert len(RequestCache(tmp_path / "c")) == 3


def test_after_a_failed_fsync_the_shard_takes_nothing_more(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failed fsync (an NFS server out of space reports it there): one line, and the shard is
    left: Linux reports the next fsync of that file as a success though the pages may be gone."""
    cache = RequestCache(tmp_path / "c")
    cache.put("before", {"r": 1}, {"text": "a"})
    writer = cache._writer
    assert writer is not None

    def failing(fd: int) -> None:
        raise OSError(5, "Input/output error")

    with monkeypatch.context() as patch:
        patch.setattr(cache_module.os, "fsync", failing)
        with pytest.raises(SynthrankError, match=r"\.records: cannot write the request cache \(\[Errno 5\] Input/out"):
            cache.put("failed", {"r": 2}, {"text": "b"})
    with pytest.raises(OSError, match="an earlier write failed: Input/output error"):
        writer.append(b"x")
    cache.put("after", {"r": 3}, {"text": "c"})
    assert cache._writer is not writer and len(list((tmp_path / "c").glob("*.records"))) == 2
    assert RequestCache(tmp_path / "c").get("after") == {"text": "c"}
