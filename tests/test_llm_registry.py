"""The backend registry (synthrank.llm.registry): one transport per backend, opened lazily."""

from pathlib import Path

import pytest

from synthrank.errors import SynthrankError
from synthrank.llm.gemini_api import GeminiBatch, GeminiChat
from synthrank.llm.openai_api import OpenAIBatch, OpenAIChat
from synthrank.llm.registry import BACKENDS, make_transport, open_transport
from synthrank.llm.vllm_offline import VllmOffline


def test_each_backend_has_its_transport() -> None:
    url = "http://127.0.0.1:9/v1"
    assert isinstance(make_transport("openai", "m", base_url=url), OpenAIChat)
    assert isinstance(make_transport("local", "m", base_url=url), OpenAIChat)
    assert isinstance(make_transport("openai", "m", base_url=url, batch={"poll_seconds": 1}), OpenAIBatch)
    assert isinstance(make_transport("gemini", "m", base_url=url, api_key="k"), GeminiChat)
    assert isinstance(make_transport("gemini", "m", base_url=url, api_key="k", batch={"poll_seconds": 1}), GeminiBatch)
    assert isinstance(make_transport("vllm", "m"), VllmOffline)  # vLLM itself loads at the first request
    assert BACKENDS == ("local", "openai", "gemini", "vllm")


def test_unknown_backend_and_local_without_model_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(SynthrankError, match=r"backend 'ollama' has no transport \(local, openai, gemini, vllm\)"):
        make_transport("ollama", "m")
    needs_gguf = pytest.raises(SynthrankError, match="generator g: the local backend needs a GGUF model file")
    with needs_gguf, open_transport("local", "m", where="generator g"):
        pass
    with pytest.raises(SynthrankError, match="does not exist"), open_transport("local", "m", gguf=str(tmp_path / "x")):
        pass
