"""Prompt templates (synthrank.prompts): placeholders checked per paradigm."""

from pathlib import Path

import pytest

from synthrank.errors import SynthrankError
from synthrank.prompts import PromptTemplate

from .conftest import PROMPTS, QUERIES, TEMPLATE


def test_template_checks(tmp_path: Path) -> None:
    template = PromptTemplate.load(TEMPLATE)
    assert len(template.sha256) == 64
    assert QUERIES["q1"] in template.render(QUERIES["q1"])[0]["content"]
    cases = {
        "Answer {query} in {language}": r"bad.txt: unknown placeholder \{language\}",
        "Write a passage.": "never uses",
        "Answer {query": "malformed placeholder",
    }
    for text, message in cases.items():
        (tmp_path / "bad.txt").write_text(text)
        with pytest.raises(SynthrankError, match=message):
            PromptTemplate.load(tmp_path / "bad.txt")
    with pytest.raises(SynthrankError, match="needs \\{examples\\}"):
        PromptTemplate.load(TEMPLATE, "few-shot-supervised")
    with pytest.raises(SynthrankError, match="no exemplars"):
        PromptTemplate.load(PROMPTS / "few-shot-supervised.txt", "zero-shot")
    few = PromptTemplate.load(PROMPTS / "few-shot-supervised.txt", "few-shot-supervised")
    text = few.render("q?", [{"query": "a?", "passage": "A."}, {"query": "b?", "passage": "B."}])[0]["content"]
    assert "Query: a?\nPassage: A.\n\nQuery: b?\nPassage: B." in text and text.endswith("Query: q?\nPassage:")
