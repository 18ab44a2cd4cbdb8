"""Gemini transports against a local server speaking the Gemini REST protocol (see fake_apis)."""

from __future__ import annotations

import json
import logging
import types

import pytest
import tenacity

from synthrank.errors import SynthrankError
from synthrank.llm import base, remote_batch
from synthrank.llm.base import TransientError, request_key
from synthrank.llm.cache import RequestCache
from synthrank.llm.fetch import Fetcher
from synthrank.llm.gemini_api import GeminiBatch, GeminiChat
from synthrank.llm.registry import make_transport
from tests.fake_apis import GeminiAPI, Killed, Reply, error, gemini_answer, killed_on_first_poll, serve

MODEL = "gemini-test"


def request(text: str = "write a passage", **extra) -> dict:
    messages = [
        {"role": "system", "content": "You write passages."},
        {"role": "user", "content": "an example?"},
        {"role": "assistant", "content": "An example."},
        {"role": "user", "content": text},
    ]
    base = {"backend": "gemini", "model": MODEL, "messages": messages, "seed": 7, "temperature": 0.5, "top_p": 0.9}
    return base | {"max_tokens": 64, "attempt": 0} | extra


@pytest.fixture
def api():
    return GeminiAPI()


@pytest.fixture
def no_wait(monkeypatch):
    """tenacity's backoff (the Fetcher's and the batch submitter's) without the waiting."""
    # the batch submitter's backoff is synthrank.llm.base.wait_for_retry's too
    monkeypatch.setattr(base, "wait_exponential_jitter", lambda **_: tenacity.wait_none())


def test_online_call_protocol_and_normalised_answer(api):
    """Protocol test: google-genai's generateContent call as the REST API documents it, answer normalised."""
    thinking = gemini_answer("A passage.", thoughts=5, version="gemini-test-002")
    api.script.append(Reply(200, thinking))
    with serve(api) as url:
        answer = GeminiChat(MODEL, url, "secret-key", 10).send(request(thinking_config={"thinking_budget": 16}))
    (seen,) = api.seen
    assert (seen.method, seen.path) == ("POST", f"/v1/models/{MODEL}:generateContent")
    assert seen.headers["x-goog-api-key"] == "secret-key"
    assert seen.body["systemInstruction"]["parts"] == [{"text": "You write passages."}]
    assert [c["role"] for c in seen.body["contents"]] == ["user", "model", "user"]
    assert seen.body["contents"][-1]["parts"] == [{"text": "write a passage"}]
    config = seen.body["generationConfig"]
    assert config == config | {"temperature": 0.5, "topP": 0.9, "maxOutputTokens": 64, "seed": 7, "candidateCount": 1}
    assert config["thinkingConfig"] in ({"thinkingBudget": 16}, {"thinking_budget": 16})
    assert "backend" not in json.dumps(seen.body) and "attempt" not in json.dumps(seen.body)
    choice = answer["choices"][0]
    assert choice["message"]["content"] == "A passage."  # the thought part is not the answer
    assert choice["finish_reason"] == "stop"
    assert answer["usage"]["prompt_tokens"] == 11
    assert answer["usage"]["completion_tokens"] == 7 + 5  # thinking is billed as output
    assert answer["usage"]["completion_tokens_details"] == {"reasoning_tokens": 5}
    assert answer["usage"]["usage_metadata"]["thoughts_token_count"] == 5
    assert answer["model_version"] == "gemini-test-002"
    assert base.normalised(answer, "test") == answer


@pytest.mark.parametrize(
    ("body", "finish", "content"),
    [
        (gemini_answer("cut", finish="MAX_TOKENS"), "length", "cut"),
        (gemini_answer(None, finish="SAFETY"), "content_filter", None),
        (gemini_answer("quoted", finish="RECITATION"), "content_filter", "quoted"),
        (gemini_answer(None, finish="PROHIBITED_CONTENT"), "content_filter", None),
        ({"promptFeedback": {"blockReason": "BLOCKLIST"}, "modelVersion": "v"}, "content_filter", None),
        (gemini_answer("x", finish="OTHER"), "other", "x"),
    ],
)
def test_finish_reasons(api, body, finish, content):
    """Protocol test: Gemini's finish reasons (and a blocked prompt) in OpenAI's vocabulary."""
    api.script.append(Reply(200, body))
    with serve(api) as url:
        answer = GeminiChat(MODEL, url, "k", 10).send(request())
    assert answer["choices"][0]["finish_reason"] == finish
    assert answer["choices"][0]["message"]["content"] == content


def test_rate_limit_is_retried_by_the_fetcher(api, tmp_path, no_wait):
    """Protocol test: a 429 RESOURCE_EXHAUSTED is retried; the answer is cached, a second fetch makes no call."""
    api.script.append(error(429, "Resource has been exhausted", "RESOURCE_EXHAUSTED"))
    cache = RequestCache(tmp_path / "cache.sqlite")
    with serve(api) as url:
        fetcher = Fetcher(GeminiChat(MODEL, url, "k", 10), cache, max_attempts=3)
        (got,) = fetcher.fetch([request()])
        assert got.response["choices"][0]["message"]["content"] == "answer to write a passage"
        assert len(api.seen) == 2 and fetcher.calls == 1
        fetcher.fetch([request()])
    assert len(api.seen) == 2 and fetcher.cache_hits == 1
    assert cache.get(request_key(request())) == got.response


def test_malformed_body_is_transient(api, tmp_path, no_wait):
    """Protocol test: a 200 whose body is not JSON, or has no candidate, is retried, not cached."""
    api.script += [Reply(200, "<html>proxy error</html>"), Reply(200, {"candidates": []})]
    with serve(api) as url:
        transport = GeminiChat(MODEL, url, "k", 10)
        with pytest.raises(TransientError, match="malformed"):
            transport.send(request())
        with pytest.raises(TransientError, match="malformed"):
            transport.send(request())
        api.script += [Reply(200, "not json"), error(503, "overloaded", "UNAVAILABLE")]
        (got,) = Fetcher(transport, RequestCache(tmp_path / "c.sqlite"), max_attempts=3).fetch([request()])
    assert got.response["choices"][0]["finish_reason"] == "stop"
    assert len(api.seen) == 5


def test_permanent_errors_are_one_line_and_not_retried(api, tmp_path, no_wait):
    """Protocol test: a 400 INVALID_ARGUMENT stops at once with one line; a bad option is refused before any call."""
    api.script.append(error(400, "Invalid value at\n'generation_config'", "INVALID_ARGUMENT"))
    with serve(api) as url:
        fetcher = Fetcher(GeminiChat(MODEL, url, "k", 10), RequestCache(tmp_path / "c.sqlite"), max_attempts=3)
        with pytest.raises(SynthrankError, match="HTTP 400 INVALID_ARGUMENT") as info:
            fetcher.fetch([request()])
        assert "\n" not in str(info.value) and len(api.seen) == 1
        with pytest.raises(SynthrankError, match="request option top_kk"):
            fetcher.fetch([request(top_kk=3)])
        with pytest.raises(SynthrankError, match="role 'tool'"):
            fetcher.fetch([request() | {"messages": [{"role": "tool", "content": "x"}]}])
    assert len(api.seen) == 1


def test_unreachable_server_is_transient():
    """Protocol test: a refused connection is worth retrying."""
    with serve(GeminiAPI()) as url:
        pass  # the port is closed again
    with pytest.raises(TransientError):
        GeminiChat(MODEL, url, "k", 2).send(request())


def test_batch_round_trip(api, tmp_path, caplog):
    """Protocol test: batchGenerateContent with inlined requests, polled via batches.get, answers cached by job."""
    cache = RequestCache(tmp_path / "cache.sqlite")
    requests = [request(f"query {i}") for i in range(3)] + [request("query FAIL")]
    with serve(api) as url:
        transport = make_transport(
            "gemini", MODEL, base_url=url, api_key="k", batch={"poll_seconds": 0.01, "max_requests": 2}
        )
        assert isinstance(transport, GeminiBatch)
        with caplog.at_level(logging.INFO):
            transport.run([(request_key(r), r) for r in requests], cache)
    creates = api.calls("POST", rf"/v1/models/{MODEL}:batchGenerateContent")
    assert len(creates) == 3  # two chunks of two, and the failed request once more
    first = creates[0].body["batch"]["inputConfig"]["requests"]["requests"]
    assert [item["request"]["contents"][-1]["parts"][0]["text"] for item in first] == ["query 0", "query 1"]
    assert first[0]["request"]["systemInstruction"]["parts"] == [{"text": "You write passages."}]
    assert first[0]["request"]["generationConfig"]["seed"] == 7
    assert creates[0].body["batch"]["displayName"].startswith("synthrank-")
    assert api.calls("GET", r"/v1/batches/job\d+")
    for i in range(3):
        entry = cache.entry(request_key(requests[i]))
        assert entry.response["choices"][0]["message"]["content"] == f"batch answer to query {i}"
        assert entry.batch_id == ("batches/job1" if i < 2 else "batches/job2")
    assert request_key(requests[3]) not in cache  # failed twice: left for the Fetcher to report
    assert "1 of 4 requests unanswered" in caplog.text
    assert cache.open_batches("gemini", MODEL) == []


def test_batch_resumes_after_a_crash_without_paying_twice(api, tmp_path, monkeypatch):
    """Protocol test: a job killed while waiting is collected by the next run; the API saw one create call."""

    cache = RequestCache(tmp_path / "cache.sqlite")
    requests = [request(f"query {i}") for i in range(3)]
    settings = {"poll_seconds": 0.01, "max_requests": 10}
    api.hold = True
    with serve(api) as url:
        monkeypatch.setattr(remote_batch, "time", types.SimpleNamespace(sleep=killed_on_first_poll))
        with pytest.raises(Killed):
            Fetcher(GeminiBatch(MODEL, url, "k", 10, **settings), cache).fetch(requests)
        ((job, keys),) = cache.open_batches("gemini", MODEL)
        assert keys == [request_key(r) for r in requests] and len(cache) == 0
        monkeypatch.undo()
        api.hold = False
        restarted = GeminiBatch(MODEL, url, "k", 10, **settings)
        answers = Fetcher(restarted, cache).fetch(requests)
    assert len(api.calls("POST", rf"/v1/models/{MODEL}:batchGenerateContent")) == 1 and restarted.submitted == 0
    assert [a.response["choices"][0]["message"]["content"] for a in answers] == [
        f"batch answer to query {i}" for i in range(3)
    ]
    assert {a.batch_id for a in answers} == {job}
    assert cache.open_batches("gemini", MODEL) == []


def test_failed_job_is_reported_not_resubmitted(api, tmp_path, caplog):
    """Protocol test: a job that ends BATCH_STATE_EXPIRED is logged in one line and marked, its requests left uncached."""
    api.final_state = "BATCH_STATE_EXPIRED"
    cache = RequestCache(tmp_path / "cache.sqlite")
    requests = [request("query 0")]
    with serve(api) as url, caplog.at_level(logging.WARNING):
        GeminiBatch(MODEL, url, "k", 10, poll_seconds=0.01).run([(request_key(r), r) for r in requests], cache)
        with pytest.raises(SynthrankError, match="no answer for request"):
            Fetcher(GeminiBatch(MODEL, url, "k", 10, poll_seconds=0.01), cache, offline=False).fetch(requests)
    assert "ended EXPIRED" in caplog.text
    assert len(api.calls("POST", rf"/v1/models/{MODEL}:batchGenerateContent")) == 2  # the rerun resubmits it
    assert cache.open_batches("gemini", MODEL) == []


def test_batch_settings_are_checked():
    """An unknown batch setting is refused in one line."""
    with pytest.raises(SynthrankError, match="unknown setting 'poll_secs'"):
        GeminiBatch(MODEL, "http://127.0.0.1:9", "k", 10, poll_secs=5)
    with pytest.raises(SynthrankError, match="max_requests"):
        make_transport("gemini", MODEL, base_url="http://127.0.0.1:9", batch={"max_requests": 0})


def test_missing_api_key_is_one_line(monkeypatch):
    """Without a key (argument or GEMINI_API_KEY/GOOGLE_API_KEY) the real API cannot be used: one line."""
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SynthrankError, match="gemini: cannot create the client") as info:
        GeminiChat(MODEL, None, "", 10)
    assert "\n" not in str(info.value)


def test_lost_create_answer_adopts_the_job(api, tmp_path, no_wait):
    """Protocol test: the job is created but the answer is lost (503); the retry finds it by display name, no second job."""
    api.lose_next_create = True
    cache = RequestCache(tmp_path / "cache.sqlite")
    requests = [request("query 0"), request("query 1")]
    with serve(api) as url:
        answers = Fetcher(GeminiBatch(MODEL, url, "k", 10, poll_seconds=0.01), cache).fetch(requests)
    assert list(api.jobs) == ["batches/job1"]
    assert len(api.calls("POST", rf"/v1/models/{MODEL}:batchGenerateContent")) == 1
    assert [s.path for s in api.seen if "?" in s.path] == ["/v1/batches?pageSize=100"]
    assert {a.batch_id for a in answers} == {"batches/job1"}
