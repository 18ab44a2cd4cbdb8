"""The request format and retry rule (synthrank.llm.base)."""


def test_retry_after_values() -> None:
    from types import SimpleNamespace

    from synthrank.llm.base import MAX_RETRY_AFTER, TransientError, _WaitRetryAfter, retry_after_seconds

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
