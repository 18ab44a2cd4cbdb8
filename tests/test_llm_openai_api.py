"""The OpenAI Batch API transport against a local server speaking its REST protocol (see fake_apis)."""

from __future__ import annotations

import json
import logging
import re
import types

import pytest
import tenacity

from synthrank.errors import SynthrankError
from synthrank.llm import remote_batch
from synthrank.llm.base import api_body, request_key
from synthrank.llm.cache import RequestCache
from synthrank.llm.fetch import Fetcher
from synthrank.llm.openai_api import OpenAIBatch, OpenAIChat
from synthrank.llm.registry import make_transport
from synthrank.llm.remote_batch import batch_settings, chunks
from tests.fake_apis import Killed, OpenAIAPI, error, killed_on_first_poll, serve
from tests.fake_openai import FakeOpenAI

MODEL = "gpt-test"


def request(text: str, **extra) -> dict:
    messages = [{"role": "system", "content": "You write passages."}, {"role": "user", "content": text}]
    return {
        "backend": "openai",
        "model": MODEL,
        "messages": messages,
        "seed": 3,
        "temperature": 0.7,
        "attempt": 0,
    } | extra


def transport(url: str, **settings) -> OpenAIBatch:
    batch = {"poll_seconds": 0.01} | settings
    made = make_transport("openai", MODEL, base_url=f"{url}/v1", api_key="sk-test", timeout=10, batch=batch)
    assert isinstance(made, OpenAIBatch)
    return made


@pytest.fixture
def api():
    return OpenAIAPI()


def test_batch_round_trip(api, tmp_path, caplog):
    """Protocol test: JSONL upload (purpose=batch), batch create, poll, output and error files; answers cached by batch."""
    cache = RequestCache(tmp_path / "cache.sqlite")
    requests = [request("query 0"), request("query 1"), request("query FAIL")]
    with serve(api) as url, caplog.at_level(logging.INFO):
        transport(url).run([(request_key(r), r) for r in requests], cache)
    uploads = api.calls("POST", "/v1/files")
    creates = api.calls("POST", "/v1/batches")
    assert len(uploads) == 2 and len(creates) == 2  # the request that failed inside the batch, once more
    assert uploads[0].headers["authorization"] == "Bearer sk-test"
    assert uploads[0].headers["content-type"].startswith("multipart/form-data")
    lines = [json.loads(line) for line in api.files["file-1"].decode().splitlines()]
    assert lines == [
        {"custom_id": request_key(r), "method": "POST", "url": "/v1/chat/completions", "body": api_body(r)}
        for r in requests
    ]
    assert "backend" not in lines[0]["body"] and "attempt" not in lines[0]["body"]
    assert creates[0].body == creates[0].body | {
        "input_file_id": "file-1",
        "endpoint": "/v1/chat/completions",
        "completion_window": "24h",
    }
    assert api.calls("GET", r"/v1/batches/batch_\d+") and api.calls("GET", r"/v1/files/file-\d+/content")
    for i in range(2):
        entry = cache.entry(request_key(requests[i]))
        assert entry.batch_id == "batch_2"
        assert entry.response["choices"][0]["message"]["content"] == f"batch answer to query {i}"
        assert entry.response["choices"][0]["finish_reason"] == "stop"
        assert entry.response["usage"] == {"prompt_tokens": 9, "completion_tokens": 5, "total_tokens": 14}
        assert entry.response["model_version"] == "fp_test"
    assert request_key(requests[2]) not in cache
    assert "1 request errors (first: HTTP 500: The server had an error)" in caplog.text
    assert "1 of 3 requests unanswered" in caplog.text
    assert cache.open_batches("openai", MODEL) == []
    # every poll logs the job's state and the request counts the API reports
    assert re.search(r"job batch_\d+ is completed \(completed 2, failed 1, total 3\)", caplog.text), caplog.text


def test_batch_resumes_after_a_crash_without_paying_twice(api, tmp_path, monkeypatch):
    """Protocol test: a job killed while the batch is in progress is collected by the next run; one upload, one create."""

    cache = RequestCache(tmp_path / "cache.sqlite")
    requests = [request(f"query {i}") for i in range(4)]
    api.hold = True
    with serve(api) as url:
        monkeypatch.setattr(remote_batch, "time", types.SimpleNamespace(sleep=killed_on_first_poll))
        with pytest.raises(Killed):
            Fetcher(transport(url), cache).fetch(requests)
        ((batch_id, keys),) = cache.open_batches("openai", MODEL)
        assert keys == [request_key(r) for r in requests] and len(cache) == 0
        monkeypatch.undo()
        api.hold = False
        restarted = transport(url)
        answers = Fetcher(restarted, cache).fetch(requests)
    assert len(api.calls("POST", "/v1/batches")) == 1 and len(api.calls("POST", "/v1/files")) == 1
    assert restarted.submitted == 0
    assert [a.response["choices"][0]["message"]["content"] for a in answers] == [
        f"batch answer to query {i}" for i in range(4)
    ]
    assert {a.batch_id for a in answers} == {batch_id}
    assert cache.open_batches("openai", MODEL) == []


def test_chunks_and_retried_create(api, tmp_path, monkeypatch):
    """Protocol test: five requests with max_requests=2 make three batches; a 429 on the first upload is retried."""
    monkeypatch.setattr("synthrank.llm.base.wait_exponential_jitter", lambda **_: tenacity.wait_none())
    cache = RequestCache(tmp_path / "cache.sqlite")
    requests = [request(f"query {i}") for i in range(5)]
    api.script.append(error(429, "Rate limit reached for batch creation"))
    with serve(api) as url:
        answers = Fetcher(transport(url, max_requests=2), cache).fetch(requests)
    assert [len(api.files[b["input_file_id"]].decode().splitlines()) for b in api.batches.values()] == [2, 2, 1]
    assert len(api.calls("POST", "/v1/files")) == 4  # one 429 and three uploads
    assert len(api.calls("POST", "/v1/batches")) == 3
    assert len({a.batch_id for a in answers}) == 3


def test_failed_batch_is_reported_not_resubmitted(api, tmp_path, caplog):
    """Protocol test: a batch that ends ``failed`` is logged and marked; its requests stay uncached for a rerun."""
    api.final_status = "failed"
    cache = RequestCache(tmp_path / "cache.sqlite")
    requests = [request("query 0")]
    with (
        serve(api) as url,
        caplog.at_level(logging.WARNING),
        pytest.raises(SynthrankError, match="no answer for request"),
    ):
        Fetcher(transport(url), cache).fetch(requests)
    assert "the input file is not valid" in caplog.text and "ended failed" in caplog.text
    assert len(api.calls("POST", "/v1/batches")) == 1
    assert cache.open_batches("openai", MODEL) == []


def test_permanent_error_is_one_line(api, tmp_path):
    """Protocol test: a 401 on the upload stops at once with one line."""
    api.script.append(error(401, "Incorrect API key provided:\nsk-test"))
    with serve(api) as url, pytest.raises(SynthrankError, match="file upload failed with HTTP 401") as info:
        transport(url).run([(request_key(request("q")), request("q"))], RequestCache(tmp_path / "c.sqlite"))
    assert "\n" not in str(info.value) and len(api.seen) == 1


def test_batch_settings_and_chunks():
    assert batch_settings({}, "g") == (60.0, 1000)
    assert batch_settings({"poll_seconds": 5, "max_requests": 10}, "g") == (5.0, 10)
    with pytest.raises(SynthrankError, match=r"generators\.g\.batch: unknown setting 'window'"):
        batch_settings({"window": "24h"}, "generators.g")
    with pytest.raises(SynthrankError, match="must be numbers"):
        batch_settings({"poll_seconds": "soon"}, "g")
    items = [(str(i), {"text": "x" * 100}) for i in range(5)]
    assert [len(c) for c in chunks(items, 2, 10**6)] == [2, 2, 1]
    assert [len(c) for c in chunks(items, 10, 800)] == [2, 2, 1]  # ~370 bytes an item
    assert [len(c) for c in chunks(items, 10, 10)] == [1] * 5  # an item larger than the limit still goes alone
    with pytest.raises(SynthrankError, match="unknown setting"):
        make_transport("openai", MODEL, batch={"poll": 1})


def test_vanished_batch_does_not_block_later_runs(api, tmp_path, caplog):
    """Protocol test: a recorded batch the API no longer knows (404) is marked and its requests submitted on the rerun."""
    cache = RequestCache(tmp_path / "cache.sqlite")
    requests = [request("query 0")]
    cache.record_batch("batch_gone", "openai", MODEL, [request_key(requests[0])])
    with serve(api) as url, caplog.at_level(logging.WARNING):
        with pytest.raises(SynthrankError, match="no answer for request"):
            Fetcher(transport(url), cache).fetch(requests)
        assert "job batch_gone ended not_found" in caplog.text
        assert cache.open_batches("openai", MODEL) == [] and not api.calls("POST", "/v1/batches")
        (answer,) = Fetcher(transport(url), cache).fetch(requests)
    assert answer.response["choices"][0]["message"]["content"] == "batch answer to query 0"


def test_lost_create_answer_adopts_the_job(api, tmp_path, monkeypatch):
    """Protocol test: the batch is created but the answer is lost (503); the retry finds it by its tag, no second batch."""
    monkeypatch.setattr("synthrank.llm.base.wait_exponential_jitter", lambda **_: tenacity.wait_none())
    api.lose_next_create = True
    cache = RequestCache(tmp_path / "cache.sqlite")
    requests = [request("query 0"), request("query 1")]
    with serve(api) as url:
        answers = Fetcher(transport(url), cache).fetch(requests)
    assert len(api.batches) == 1 and len(api.calls("POST", "/v1/batches")) == 1
    assert [s.path for s in api.seen if "?" in s.path] == ["/v1/batches?limit=100"]
    (batch,) = api.batches.values()
    assert batch["metadata"]["synthrank_tag"] and {a.batch_id for a in answers} == {batch["id"]}


def test_server_keys_the_client_does_not_know_reach_the_server() -> None:
    """`vllm serve` and llama.cpp take sampling keys and chat-template arguments the OpenAI API
    has not: they go into the JSON body beside the standard ones, as they are (the client alone
    would refuse them with a TypeError)."""
    fake = FakeOpenAI()
    request = {
        "backend": "openai",
        "model": "m",
        "messages": [{"role": "user", "content": "hi"}],
        "seed": 3,
        "temperature": 0.7,
        "top_k": 20,
        "min_p": 0.05,
        "repetition_penalty": 1.1,
        "chat_template_kwargs": {"enable_thinking": False},
        "attempt": 1,
    }
    with fake.serve() as url:
        OpenAIChat(url, "", 5).send(request)
    assert fake.seen == [{key: value for key, value in request.items() if key not in ("backend", "attempt")}]
