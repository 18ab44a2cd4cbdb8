"""Quality flags of a generated passage and what is done about each (``generation.quality``).

Flags: ``empty``, ``refused`` (matches a refusal pattern), ``truncated`` (the model hit
``max_tokens``), ``duplicate`` (same normalised text as a passage already kept), ``query_copy``
(the passage is the query, or little more). Each flag's action is keep, drop or regenerate (a new
request with its own seed); the defaults are the config schema's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from synthrank.collection import normalise_text
from synthrank.errors import SynthrankError
from synthrank.schema import defaults

FLAGS = ("empty", "refused", "truncated", "duplicate", "query_copy")
#: in order of severity: a passage with several flags gets the most severe action
ACTIONS = ("keep", "drop", "regenerate")


@dataclass
class Quality:
    """What to do with each flag: keep, drop or regenerate (``generation.quality`` in config)."""

    actions: Mapping[str, str]
    max_regenerations: int
    refusal: re.Pattern[str]

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any] | None) -> Quality:
        merged = defaults("quality") | dict(cfg or {})
        actions = {flag: merged[flag] for flag in FLAGS}
        for flag, action in actions.items():
            if action not in ACTIONS:
                raise SynthrankError(f"generation.quality.{flag}: {action!r} is not one of {', '.join(ACTIONS)}")
        pattern = re.compile("|".join(f"(?:{p})" for p in merged["refusal_patterns"]), re.IGNORECASE)
        return cls(actions, int(merged["max_regenerations"]), pattern)

    def flags(self, text: str, query: str, finish_reason: str | None, seen: set[str]) -> list[str]:
        norm = normalise_text(text)
        flags = []
        if not norm:
            flags.append("empty")
        elif self.refusal.search(text):
            flags.append("refused")
        if finish_reason in ("length", "max_tokens"):
            flags.append("truncated")
        if norm and norm in seen:
            flags.append("duplicate")
        query_norm = normalise_text(query)
        if norm and query_norm and (norm == query_norm or (query_norm in norm and len(norm) < 2 * len(query_norm))):
            flags.append("query_copy")
        return flags

    def action(self, flags: Sequence[str]) -> str:
        chosen = "keep"
        for flag in flags:
            action = self.actions[flag]
            if ACTIONS.index(action) > ACTIONS.index(chosen):
                chosen = action
        return chosen
