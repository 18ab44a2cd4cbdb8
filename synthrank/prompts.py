"""Prompt templates: versioned text files with ``{query}`` and, for few-shot paradigms, ``{examples}``.

Kept apart from :mod:`synthrank.generate` (and free of heavy imports) so that the config check
can load every template before any job runs and refuse a bad placeholder in one line.
"""

from __future__ import annotations

import hashlib
import os
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from synthrank.errors import SynthrankError
from synthrank.paradigms import PARADIGMS


@dataclass(frozen=True)
class PromptTemplate:
    """A versioned prompt file: ``{query}`` is the training query, ``{examples}`` the exemplars.

    Exemplars are rendered as ``Passage: ...`` blocks (unsupervised) or ``Query: ...`` /
    ``Passage: ...`` blocks (supervised), separated by blank lines.
    """

    path: str
    text: str
    fields: frozenset[str]

    @classmethod
    def load(cls, path: str | os.PathLike[str], paradigm: str = "zero-shot") -> PromptTemplate:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise SynthrankError(f"{path}: cannot read prompt template ({exc.strerror})") from None
        try:
            fields = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        except ValueError as exc:
            raise SynthrankError(f"{path}: malformed placeholder ({exc}); write literal braces as {{{{ }}}}") from None
        unknown = fields - {"query", "examples"}
        if unknown:
            raise SynthrankError(
                f"{path}: unknown placeholder {{{sorted(unknown)[0]}}} (only {{query}} and {{examples}} are filled)"
            )
        if "query" not in fields:
            raise SynthrankError(f"{path}: the template never uses {{query}}")
        known = PARADIGMS.get(paradigm)
        few_shot = known is not None and known.exemplars is not None
        if few_shot and "examples" not in fields:
            raise SynthrankError(f"{path}: a {paradigm} template needs {{examples}}")
        if not few_shot and "examples" in fields:
            raise SynthrankError(f"{path}: a {paradigm} template has no exemplars to fill {{examples}}")
        return cls(str(path), text, frozenset(fields))

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def render(self, query: str, examples: Sequence[Mapping[str, str]] = ()) -> list[dict[str, str]]:
        blocks = [(f"Query: {ex['query']}\n" if "query" in ex else "") + f"Passage: {ex['passage']}" for ex in examples]
        values = {"query": query, "examples": "\n\n".join(blocks)}
        return [{"role": "user", "content": self.text.format(**values).strip()}]
