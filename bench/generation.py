"""Generation throughput through the real client path, against a local fake OpenAI server.

``.venv/bin/python bench/generation.py`` (options: ``--help``). One run, the same queries for
every measurement; what it drives is exactly what a ``generated_corpus`` job runs:
:func:`synthrank.generate.generate_corpus` -> :class:`synthrank.llm.fetch.Fetcher` (thread pool,
request cache, rate limiter, retries) -> the ``openai`` client -> HTTP. The server
(``tests/fake_openai.py``) answers every request after a fixed latency, so the ideal rate at
concurrency ``c`` is ``c / latency``; what is lost below it is client-side overhead.

Measured:

1. requests/s at each concurrency (each with an empty request cache), and its ratio to the ideal;
2. a rerun with the cache full: requests counted at the server (must be 0) and wall time as a
   fraction of the first run;
3. the client-side rate limiter: with ``rate_limit.requests_per_minute`` set, the rate the
   server sees. The limiter is a token bucket holding one minute's budget, so the first
   ``requests_per_minute`` requests may go at once; after them the rate must not exceed the limit.

Prints a Markdown table (the numbers of BENCHMARKS.md come from it).
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import resource
import sys
import tempfile
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from synthrank.generate import generate_corpus  # noqa: E402
from synthrank.generator import Generator  # noqa: E402
from synthrank.prompts import PromptTemplate  # noqa: E402
from tests.fake_openai import FakeOpenAI  # noqa: E402

TEMPLATE = REPO / "config" / "prompts" / "zero-shot.txt"


class TimedFake(FakeOpenAI):
    """The fake server, also recording when each request arrived (monotonic seconds)."""

    def __init__(self, latency: float) -> None:
        super().__init__(latency=latency, answer=self.passage)
        self.arrivals: list[float] = []
        self._times = threading.Lock()

    @staticmethod
    def passage(body: dict[str, Any]) -> str:
        query = body["messages"][-1]["content"].rsplit("Query:", 1)[-1].strip()
        return f"This passage answers {query} with several sentences of plain filler text, seed {body.get('seed')}."

    def handle(self, handler: Any) -> None:
        with self._times:
            self.arrivals.append(time.monotonic())
        super().handle(handler)


def cpu_seconds() -> float:
    """User + system CPU seconds of this process, all threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _serve(latency: float, conn: Connection) -> None:
    """The server process: answers HTTP; over ``conn``, "stats" (and reset) or "stop"."""
    fake = TimedFake(latency)
    with fake.serve() as url:
        conn.send(url)
        while (command := conn.recv()) != "stop":
            assert command == "stats"
            with fake.lock:
                conn.send((len(fake.seen), list(fake.arrivals), cpu_seconds()))
                fake.seen.clear()
                fake.arrivals.clear()


class Server:
    """The fake server in its own process (as a real backend is): the client's overhead is then
    all that lowers the rate, not the server's share of this process's GIL."""

    def __init__(self, latency: float) -> None:
        self._conn, child = multiprocessing.Pipe()
        self._proc = multiprocessing.get_context("spawn").Process(target=_serve, args=(latency, child), daemon=True)
        self._proc.start()
        self.url: str = self._conn.recv()

    def stats(self) -> tuple[int, list[float], float]:
        """(requests served, their arrival times) since the last call, and the server's CPU seconds so far."""
        self._conn.send("stats")
        return self._conn.recv()

    def close(self) -> None:
        self._conn.send("stop")
        self._proc.join(10)


def generator(url: str, concurrency: int, rate_limit: dict[str, float] | None = None) -> Generator:
    cfg: dict[str, Any] = {
        "backend": "openai",
        "model": "bench-model",
        "base_url": url,
        "concurrency": concurrency,
        "sampling": {"temperature": 0.7, "top_p": 1.0, "max_tokens": 64, "seed": 1},
    }
    if rate_limit:
        cfg["rate_limit"] = rate_limit
    return Generator.from_config("bench", cfg)


def run(
    url: str, cache: Path, queries: dict[str, str], concurrency: int, rate_limit: dict[str, float] | None = None
) -> tuple[float, dict[str, Any]]:
    """Generate one corpus; (wall seconds, generate_corpus's stats)."""
    template = PromptTemplate.load(str(TEMPLATE), "zero-shot")
    start, cpu = time.perf_counter(), cpu_seconds()
    gen = generator(url, concurrency, rate_limit)
    records, _, stats = generate_corpus(gen, template, queries, str(cache), "zero-shot")
    wall = time.perf_counter() - start
    stats["client_cpu_s"] = cpu_seconds() - cpu
    if len(records) != len(queries):
        raise SystemExit(f"bench: {len(records)} passages for {len(queries)} queries")
    return wall, stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=0.2, help="seconds the server takes per request")
    parser.add_argument("--requests", type=int, default=640, help="queries (one request each) per measurement")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--c1-requests", type=int, default=50, help="queries at concurrency 1 (it is slow)")
    parser.add_argument("--rpm", type=float, default=600, help="requests_per_minute for the limiter check")
    parser.add_argument("--rpm-extra", type=int, default=150, help="requests after the limiter's one-minute burst")
    parser.add_argument(
        "--no-fsync", action="store_true", help="skip the cache's fsync of each answer (to measure what it costs)"
    )
    args = parser.parse_args()
    logging.disable(logging.INFO)
    if args.no_fsync:
        os.fsync = lambda fd: None  # this process only: the client's, whose cache writes the answers

    queries = {f"q{i:05d}": f"how do you cook dish number {i} at home" for i in range(args.requests)}
    server = Server(args.latency)
    url = server.url
    rows: list[tuple[str, str, str, str, str]] = []
    try:
        with tempfile.TemporaryDirectory(dir=REPO, prefix=".bench-") as tmp:
            # warm-up (imports, first connection), not measured
            run(url, Path(tmp) / "warm.sqlite", {"w": "warm up"}, 1)
            *_, server_cpu = server.stats()
            top = max(args.concurrency)
            first_wall = 0.0
            for c in args.concurrency:
                subset = dict(list(queries.items())[: args.c1_requests]) if c == 1 else queries
                wall, stats = run(url, Path(tmp) / f"cache-c{c}.sqlite", subset, c)
                served, _, now = server.stats()
                server_ms, server_cpu = (now - server_cpu) / max(served, 1) * 1000, now
                client_ms = stats["client_cpu_s"] / max(served, 1) * 1000
                if stats["api_calls"] != served:
                    raise SystemExit(f"bench: client counted {stats['api_calls']} calls, server {served}")
                rate, ideal = served / wall, c / args.latency
                rows.append(
                    (
                        f"concurrency {c}, empty cache",
                        f"{served} in {wall:.2f} s",
                        f"{rate:.1f} req/s (ideal {ideal:.0f})",
                        f"{rate / ideal:.2f}",
                        f"{client_ms:.1f} / {server_ms:.1f}",
                    )
                )
                if c == top:
                    first_wall = wall
            wall, stats = run(url, Path(tmp) / f"cache-c{top}.sqlite", queries, top)
            served, _, server_cpu = server.stats()
            rows.append(
                (
                    f"rerun of concurrency {top}, full cache",
                    f"{served} at the server ({stats['cache_hits']} cache hits)",
                    f"{wall:.3f} s",
                    f"{wall / first_wall:.3f} of the first run's wall time",
                    f"{stats['client_cpu_s'] * 1000:.0f} ms in all / -",
                )
            )
            # the limiter: one minute's budget may go at once; after it, the limit holds
            burst = int(args.rpm)
            limited = {f"r{i:05d}": f"how do you bake loaf number {i}" for i in range(burst + args.rpm_extra)}
            wall, _ = run(url, Path(tmp) / "cache-rpm.sqlite", limited, top, {"requests_per_minute": args.rpm})
            served, arrivals, _ = server.stats()
            arrivals.sort()
            # the bucket admits its budget plus what it refills: the rate beyond the budget, over the whole run
            steady = (len(arrivals) - burst) / (arrivals[-1] - arrivals[0]) * 60
            # a token bucket of one minute's budget: no window of w seconds holds more than rpm + rpm * w / 60
            bound = all(
                j - i + 1 <= args.rpm + args.rpm * (arrivals[j] - arrivals[i]) / 60 + 1
                for i in range(len(arrivals))
                for j in range(i, len(arrivals), max(1, len(arrivals) // 200))
            )
            rows.append(
                (
                    f"rate limit {args.rpm:.0f} RPM, concurrency {top}",
                    f"{served} in {wall:.1f} s (the first {burst}: one minute's budget)",
                    f"{steady:.0f} RPM beyond the budget",
                    f"bucket bound {'held' if bound else 'VIOLATED'}",
                    "",
                )
            )
    finally:
        server.close()

    sync = "; the cache's fsync skipped" if args.no_fsync else ""
    print(f"Fake OpenAI server (own process), {args.latency * 1000:.0f} ms per request; zero-shot prompts{sync}.\n")
    print("| measurement | requests | rate / time | ratio to ideal | CPU ms per request, client / server |")
    print("|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
