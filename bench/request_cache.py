"""The request cache at the thesis grid's size: opening it, looking answers up, storing them.

``.venv/bin/python bench/request_cache.py`` (options: ``--help``; about 2 min and 700 MB of
temporary disk at the defaults). Builds a cache of ``--answers`` answers (the thesis: about
90,000) spread over ``--shards`` shards (one per generation job that wrote; the grid runs some
30), each answer a request of ``--request-chars`` characters (a few-shot prompt: instructions, three
exemplar passages, the query) and a response of ``--response-chars`` (a 256-token passage and the
API's metadata), then measures:

1. opening it (:class:`~synthrank.llm.cache.RequestCache`: reading and checking every shard),
   with the shards in the page cache and without (each shard's pages dropped first with
   ``posix_fadvise(DONTNEED)``, which touches no other file: a first read, as from a network
   file system);
2. answer lookups (``entry``, which reads the answer from its shard);
3. storing answers (each synced before ``put`` returns), from one thread and from 32;
4. exporting every answer (``synthrank llm export``);
5. the one-time migration of an old SQLite cache of the same answers.

Prints a Markdown table (the numbers of BENCHMARKS.md come from it).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sqlite3
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from synthrank.llm.base import request_key  # noqa: E402
from synthrank.llm.cache import RequestCache  # noqa: E402


def request(i: int, chars: int) -> dict[str, object]:
    text = f"query {i}: " + "lorem ipsum dolor sit amet " * (chars // 27)
    return {
        "backend": "openai",
        "model": "gpt-4.1-mini",
        "messages": [{"role": "user", "content": text}],
        "temperature": 0.7,
        "top_p": 1.0,
        "max_tokens": 256,
        "seed": 1234,
    }


def response(i: int, chars: int) -> dict[str, object]:
    text = f"passage {i}: " + "consectetur adipiscing elit " * (chars // 28)
    return {
        "id": f"chatcmpl-{i}",
        "model": "gpt-4.1-mini-2025-04-14",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
        "usage": {"prompt_tokens": 600, "completion_tokens": 240, "total_tokens": 840},
    }


def drop_pages(folder: Path) -> None:
    for path in folder.iterdir():
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def timed_open(folder: Path) -> tuple[float, RequestCache]:
    start = time.perf_counter()
    cache = RequestCache(folder)
    return time.perf_counter() - start, cache


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=90_000)
    parser.add_argument("--shards", type=int, default=30)
    parser.add_argument("--request-chars", type=int, default=2000)
    parser.add_argument("--response-chars", type=int, default=1200)
    parser.add_argument("--dir", default=None, help="where to build the caches (default: a temporary folder)")
    args = parser.parse_args()
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        folder = Path(tmp) / "llm-requests"
        keys = []
        per_shard = -(-args.answers // args.shards)
        for shard in range(args.shards):  # one cache instance per shard: as one job per shard
            writer = RequestCache(folder)
            chunk = []
            for i in range(shard * per_shard, min(args.answers, (shard + 1) * per_shard)):
                req = request(i, args.request_chars)
                keys.append(request_key(req))
                answer = {"batch_id": None, "request": req, "response": response(i, args.response_chars)}
                chunk.append((keys[-1], time.time(), answer))
                if len(chunk) == 1000:
                    writer._append(b"a", chunk)
                    chunk = []
            if chunk:
                writer._append(b"a", chunk)
            writer.close()
        size = sum(p.stat().st_size for p in folder.iterdir())
        what = f"{args.answers:,} answers, {args.shards} shards, {size / 2**20:.0f} MiB"

        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        warm = []
        for _ in range(3):
            seconds, cache = timed_open(folder)
            warm.append(seconds)
            assert len(cache._answers) == args.answers
            cache.close()
        rows.append(
            (f"open, shards in the page cache ({what})", f"{min(warm):.2f} s (best of 3; {max(warm):.2f} s worst)")
        )
        cold = []
        for _ in range(2):
            drop_pages(folder)
            seconds, cache = timed_open(folder)
            cold.append(seconds)
        grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss) / 1024
        rows.append(("open, shards' pages dropped first (a first read)", f"{min(cold):.2f} s, {max(cold):.2f} s"))
        rows.append(("peak memory added by an open cache", f"{grown:.0f} MiB"))

        sample = random.Random(0).sample(keys, min(10_000, len(keys)))
        start = time.perf_counter()
        for key in sample:
            assert cache.entry(key) is not None
        lookup = (time.perf_counter() - start) / len(sample)
        rows.append(("lookup of a stored answer (`entry`, 10,000 at random)", f"{lookup * 1e6:.0f} µs"))
        start = time.perf_counter()
        for n in range(10_000):
            assert f"missing-{n}" not in cache
        rows.append(
            (
                "lookup of a missing key (rescans at most once a second)",
                f"{(time.perf_counter() - start) / 1e4 * 1e6:.1f} µs",
            )
        )

        writer = RequestCache(folder)
        start = time.perf_counter()
        for n in range(500):
            writer.put(f"one-{n}", request(n, args.request_chars), response(n, args.response_chars))
        one = 500 / (time.perf_counter() - start)
        rows.append(("`put`, one thread (one fsync each)", f"{one:.0f} answers/s"))
        with ThreadPoolExecutor(32) as pool:
            start = time.perf_counter()
            list(
                pool.map(lambda n: writer.put(f"many-{n}", request(n, args.request_chars), response(n, 0)), range(3200))
            )
            many = 3200 / (time.perf_counter() - start)
        rows.append(("`put`, 32 threads (they share each fsync)", f"{many:.0f} answers/s"))
        writer.close()

        start = time.perf_counter()
        exported = cache.export(Path(tmp) / "all.jsonl.gz")
        rows.append((f"export of every answer ({exported:,}, .jsonl.gz)", f"{time.perf_counter() - start:.1f} s"))
        cache.close()

        legacy = Path(tmp) / "old.sqlite"
        conn = sqlite3.connect(legacy)
        conn.execute(
            "CREATE TABLE responses (key TEXT PRIMARY KEY, request TEXT NOT NULL, response TEXT NOT NULL,"
            " created REAL NOT NULL, batch_id TEXT)"
        )
        conn.executemany(
            "INSERT INTO responses VALUES (?, ?, ?, ?, NULL)",
            (
                (key, json.dumps(request(i, args.request_chars)), json.dumps(response(i, args.response_chars)), 1.0)
                for i, key in enumerate(keys)
            ),
        )
        conn.commit()
        conn.close()
        start = time.perf_counter()
        migrated = RequestCache(legacy)
        rows.append(
            (
                f"first open of an old SQLite cache ({legacy.stat().st_size / 2**20:.0f} MiB): its migration",
                f"{time.perf_counter() - start:.1f} s",
            )
        )
        assert len(migrated) == args.answers
        migrated.close()
        seconds, again = timed_open(Path(tmp) / "old")
        rows.append(("the next open of the migrated cache", f"{seconds:.2f} s"))
        again.close()

    print(f"Request cache: {what}; requests of {args.request_chars} characters, responses of {args.response_chars}.\n")
    print("| measurement | result |")
    print("|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
