"""The one price formula (synthrank.pricing), as the ledger, the estimate and the cost table use it."""

import math

import pytest

from synthrank.cost_measured import api_dollars
from synthrank.generator import Generator
from synthrank.pricing import usd

PRICE = {"input_per_mtok": 0.4, "output_per_mtok": 1.6}


def test_usd_online_batch_and_no_price() -> None:
    assert usd(PRICE, 1_000_000, 500_000, batch=False) == pytest.approx(0.4 + 0.8)
    assert usd(PRICE, 1_000_000, 500_000, batch=True) == pytest.approx((0.4 + 0.8) * 0.5)
    assert usd({**PRICE, "batch_discount": 0.25}, 1_000_000, 0, batch=True) == pytest.approx(0.1)
    assert usd(None, 10**9, 10**9, batch=False) == 0.0


def test_ledger_and_cost_table_price_alike() -> None:
    """A generator's ledger cost and the cost table's fallback (no cost_usd in the stats) agree,
    batch discount included (the table used to ignore it)."""
    cfg = {"backend": "openai", "model": "m", "api_key_env": "K", "price": PRICE, "batch": {"poll_seconds": 60}}
    generator = Generator.from_config("g", cfg)
    stats = {"prompt_tokens": 2_000_000, "completion_tokens": 300_000}
    ledger = generator.cost(stats["prompt_tokens"], stats["completion_tokens"], batch=True)
    assert api_dollars(stats, {**cfg, "name": "g"}) == pytest.approx(ledger)
    online = {k: v for k, v in cfg.items() if k != "batch"}
    assert api_dollars(stats, online) == pytest.approx(generator.cost(2_000_000, 300_000, batch=False))
    assert math.isnan(api_dollars(stats, {"backend": "openai"}))
