"""Few-shot exemplars (synthrank.exemplars): fixed and per-query sampling."""

import pytest

from synthrank.errors import SynthrankError
from synthrank.exemplars import ExemplarPlan


def test_exemplar_sampling_fixed_and_per_query() -> None:
    pool = [{"passage_id": f"p{i}", "passage": f"text {i}"} for i in range(20)]
    fixed = ExemplarPlan(pool, 3, "fixed", seed=1)
    assert fixed.for_query("a") == fixed.for_query("b")
    per_query = ExemplarPlan(pool, 3, "per-query", seed=1)
    assert per_query.for_query("a") != per_query.for_query("b")
    assert per_query.for_query("a") == ExemplarPlan(pool, 3, "per-query", seed=1).for_query("a")
    with pytest.raises(SynthrankError, match="k=30"):
        ExemplarPlan(pool, 30).for_query("a")
