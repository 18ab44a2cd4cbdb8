"""A configured generator (synthrank.generator): keys, requests."""

from pathlib import Path

import pytest

from synthrank.errors import SynthrankError
from synthrank.generate import generate_corpus
from synthrank.prompts import PromptTemplate

from .conftest import QUERIES, TEMPLATE, openai_generator
from .fake_openai import FakeOpenAI

pytestmark = pytest.mark.usefixtures("fast_retries")


def test_missing_api_key_fails_before_any_request(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SYNTHRANK_TEST_KEY", raising=False)
    fake = FakeOpenAI()
    with fake.serve() as url:
        gen = openai_generator(url, api_key_env="SYNTHRANK_TEST_KEY")
        with pytest.raises(SynthrankError, match="environment variable SYNTHRANK_TEST_KEY is not set"):
            generate_corpus(gen, PromptTemplate.load(TEMPLATE), QUERIES, str(tmp_path / "c.sqlite"), "zero-shot")
    assert fake.seen == []


def test_chat_template_kwargs_and_sampling_keys_are_in_every_request() -> None:
    """Each sampling key and the chat template's arguments go into the request (so into its cache
    key: they change the text); a generator without chat_template_kwargs keeps its old keys."""
    from synthrank.generator import Generator
    from synthrank.llm.base import request_key

    sampling = {"temperature": 0.6, "top_p": 0.95, "max_tokens": 64, "seed": 10, "top_k": 20, "min_p": 0.05}
    cfg = {"backend": "vllm", "model": "Qwen/Qwen3-8B", "sampling": sampling, "options": {"tensor_parallel_size": 2}}
    messages = [{"role": "user", "content": "q"}]
    plain = Generator.from_config("qwen3", cfg).request(messages, sample=1)
    assert plain == {"backend": "vllm", "model": "Qwen/Qwen3-8B", "messages": messages, **sampling, "seed": 11}
    off = Generator.from_config("qwen3", {**cfg, "chat_template_kwargs": {"enable_thinking": False}})
    request = off.request(messages, sample=1)
    assert request == {**plain, "chat_template_kwargs": {"enable_thinking": False}}
    assert request_key(request) != request_key(plain)
