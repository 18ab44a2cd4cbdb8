"""The one price formula: what a number of tokens costs at a generator's configured price.

Imports nothing: both the estimate (:mod:`synthrank.cost_estimate`), the generator's ledger
(:mod:`synthrank.generator`) and the measured cost table (:mod:`synthrank.cost_measured`)
price tokens with :func:`usd`, so they cannot disagree on, e.g., the Batch-API discount.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: the Batch-API discount when a price does not state one (OpenAI and Gemini both halve the price)
DEFAULT_BATCH_DISCOUNT = 0.5


def usd(price: Mapping[str, Any] | None, prompt_tokens: float, completion_tokens: float, batch: bool) -> float:
    """Dollars for the tokens at ``price`` (``input_per_mtok``, ``output_per_mtok`` and an optional
    ``batch_discount``: the factor applied to requests answered by a Batch API). No price: 0."""
    if not price:
        return 0.0
    dollars = (prompt_tokens * price["input_per_mtok"] + completion_tokens * price["output_per_mtok"]) / 1e6
    return dollars * (price.get("batch_discount", DEFAULT_BATCH_DISCOUNT) if batch else 1.0)
