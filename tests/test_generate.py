"""Generation against a real llama.cpp server (SmolLM2-135M-Instruct), plus its error paths."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from synthrank.errors import SynthrankError
from synthrank.generate import Generator, PromptTemplate, build_corpus, generate_corpus
from synthrank.io import iter_jsonl
from synthrank.llm import ChatClient, RequestCache, request_key

from .conftest import DEMO, REPO

TEMPLATE = REPO / "config" / "prompts" / "zero-shot.txt"
QUERIES = {"q1": "why does bread dough need to rest", "q2": "how do you keep guacamole from turning brown"}


def openai_generator(base_url: str, **kw) -> Generator:
    spec = {"backend": "openai", "model": "SmolLM2-135M-Instruct", "base_url": base_url, **kw}
    spec.setdefault("sampling", {"temperature": 0.7, "top_p": 0.9, "max_tokens": 48, "seed": 3})
    return Generator.from_config("smol", spec)


def test_template_checks(tmp_path: Path) -> None:
    template = PromptTemplate.load(TEMPLATE)
    assert len(template.sha256) == 64
    assert QUERIES["q1"] in template.render(QUERIES["q1"])[0]["content"]
    (tmp_path / "bad.txt").write_text("Answer {query} in {language}")
    with pytest.raises(SynthrankError, match=r"bad.txt: unknown placeholder \{language\}"):
        PromptTemplate.load(tmp_path / "bad.txt")
    (tmp_path / "none.txt").write_text("Write a passage.")
    with pytest.raises(SynthrankError, match="never uses"):
        PromptTemplate.load(tmp_path / "none.txt")


def test_zero_shot_against_local_server_then_cache(llm_server: str, tmp_path: Path) -> None:
    cache = tmp_path / "cache.sqlite"
    gen = openai_generator(llm_server, concurrency=2, samples_per_query=2)
    records, stats = generate_corpus(gen, PromptTemplate.load(TEMPLATE), QUERIES, str(cache), "zero-shot")
    assert stats["requests"] == 4 and stats["api_calls"] == 4 and stats["cache_hits"] == 0
    assert [(r["query_id"], r["sample"]) for r in records] == [("q1", 0), ("q1", 1), ("q2", 0), ("q2", 1)]
    first = records[0]
    assert first["text"] and first["model"] == "SmolLM2-135M-Instruct"
    assert first["template_sha256"] == PromptTemplate.load(TEMPLATE).sha256
    assert first["sampling"]["seed"] == 3 and records[1]["sampling"]["seed"] == 4
    assert first["completion_tokens"] > 0 and first["prompt_tokens"] > 0
    assert len({r["passage_id"] for r in records}) == 4
    # everything paid for is in the cache: a rerun sends nothing and returns the same passages
    again, stats2 = generate_corpus(gen, PromptTemplate.load(TEMPLATE), QUERIES, str(cache), "zero-shot")
    assert stats2["api_calls"] == 0 and stats2["cache_hits"] == 4
    assert again == records


def test_local_backend_starts_and_stops_its_server(gguf: Path, tmp_path: Path) -> None:
    spec = {
        "backend": "local",
        "model": "SmolLM2-135M-Instruct",
        "sampling": {"temperature": 0.0, "max_tokens": 32, "seed": 1},
    }
    gen = Generator.from_config("smollm2", spec, gguf=str(gguf))
    records, stats = generate_corpus(
        gen, PromptTemplate.load(TEMPLATE), {"q1": QUERIES["q1"]}, str(tmp_path / "c.sqlite"), "zero-shot"
    )
    assert stats["api_calls"] == 1 and records[0]["text"]


def test_missing_api_key_fails_before_any_request(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SYNTHRANK_TEST_KEY", raising=False)
    gen = openai_generator("http://127.0.0.1:9/v1", api_key_env="SYNTHRANK_TEST_KEY")
    with pytest.raises(SynthrankError, match="environment variable SYNTHRANK_TEST_KEY is not set"):
        generate_corpus(gen, PromptTemplate.load(TEMPLATE), QUERIES, str(tmp_path / "c.sqlite"), "zero-shot")


class FlakyHandler(BaseHTTPRequestHandler):
    """An OpenAI-compatible endpoint that answers 429 and 500 before it answers properly."""

    failures: ClassVar[list[int]] = [429, 500]
    seen: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.seen.append(body["messages"][0]["content"])
        if self.failures:
            code = self.failures.pop(0)
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps({"error": {"message": f"status {code}"}}).encode())
            return
        reply = {
            "id": "x",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "system_fingerprint": "fp_test",
            "choices": [
                {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "A passage."}}
            ],
            "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
        }
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def flaky_server():
    FlakyHandler.failures = [429, 500]
    FlakyHandler.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FlakyHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def test_retries_on_429_and_500_then_caches(flaky_server: str, tmp_path: Path) -> None:
    cache = RequestCache(tmp_path / "c.sqlite")
    client = ChatClient(model="m", cache=cache, base_url=flaky_server, timeout=5)
    request = {"backend": "openai", "model": "m", "messages": [{"role": "user", "content": "hi"}], "seed": 1}
    key, response = client.complete(request)
    assert len(FlakyHandler.seen) == 3  # 429, 500, then 200
    assert response["system_fingerprint"] == "fp_test"
    assert key == request_key(request) and cache.get(key) == response
    client.complete(request)
    assert len(FlakyHandler.seen) == 3 and client.cache_hits == 1


def test_permanent_error_is_one_line(flaky_server: str, tmp_path: Path) -> None:
    FlakyHandler.failures = [400]
    client = ChatClient(model="m", cache=RequestCache(tmp_path / "c.sqlite"), base_url=flaky_server, timeout=5)
    with pytest.raises(SynthrankError, match="request failed with HTTP 400"):
        client.complete({"backend": "openai", "model": "m", "messages": [{"role": "user", "content": "x"}]})
    assert len(FlakyHandler.seen) == 1  # a 400 is not retried


def test_human_corpus_from_demo(tmp_path: Path) -> None:
    from synthrank.data import ingest_collection, ingest_qrels

    src = str(DEMO / "cooking")
    ingest_collection(src, tmp_path / "c.jsonl", tmp_path / "q.jsonl")
    ingest_qrels(src, "train", tmp_path / "c.jsonl", tmp_path / "q.jsonl", tmp_path / "train.tsv")
    stats = build_corpus(
        "human",
        str(tmp_path / "h.jsonl"),
        str(tmp_path / "h.json"),
        str(tmp_path / "c.jsonl"),
        str(tmp_path / "q.jsonl"),
        str(tmp_path / "train.tsv"),
        max_queries=20,
        sample_seed=1,
    )
    records = list(iter_jsonl(tmp_path / "h.jsonl"))
    assert stats["queries"] == 20 and stats["passages"] == len(records) >= 20
    assert all(r["paradigm"] == "human" and r["text"] for r in records)
