"""The fetcher (synthrank.llm.fetch): retries on 429/5xx/timeouts/malformed bodies, Retry-After,
one-line give-ups, the client-side rate limiter."""

import time
from pathlib import Path

import pytest

from synthrank.errors import SynthrankError
from synthrank.llm.base import request_key
from synthrank.llm.cache import RequestCache
from synthrank.llm.fetch import Fetcher, RateLimiter
from synthrank.llm.openai_api import OpenAIChat

from .fake_openai import FakeOpenAI

pytestmark = pytest.mark.usefixtures("fast_retries")


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
