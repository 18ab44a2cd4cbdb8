"""The local backend's llama.cpp server (synthrank.llm.llamacpp)."""

import sys
from pathlib import Path

import pytest

from synthrank.errors import SynthrankError
from synthrank.generate import generate_corpus
from synthrank.generator import Generator
from synthrank.prompts import PromptTemplate

from .conftest import QUERIES, TEMPLATE

pytestmark = pytest.mark.usefixtures("fast_retries")


def test_local_backend_starts_and_stops_its_server(gguf: Path, tmp_path: Path) -> None:
    spec = {
        "backend": "local",
        "model": "SmolLM2-135M-Instruct",
        "sampling": {"temperature": 0.0, "max_tokens": 32, "seed": 1},
    }
    gen = Generator.from_config("smollm2", spec, gguf=str(gguf))
    records, _, stats = generate_corpus(
        gen, PromptTemplate.load(TEMPLATE), {"q1": QUERIES["q1"]}, str(tmp_path / "c.sqlite"), "zero-shot"
    )
    assert stats["api_calls"] >= 1 and records[0]["text"]


def test_local_backend_without_llama_cpp_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:

    from synthrank.llm.llamacpp import local_server

    (tmp_path / "m.gguf").write_bytes(b"GGUF")
    monkeypatch.setitem(sys.modules, "xllamacpp", None)  # as if the `local` extra were not installed
    with (
        pytest.raises(
            SynthrankError,
            match=r"make install, or in the repository pip install -c envs/constraints\.txt -e '\.\[local\]'",
        ),
        local_server(str(tmp_path / "m.gguf"), "m"),
    ):
        pass
