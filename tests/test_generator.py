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
