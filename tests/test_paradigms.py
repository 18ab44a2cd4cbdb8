"""The one list of paradigms (synthrank.paradigms) is the one the config, grid and release use."""

import pytest

from synthrank import config, grid, paradigms, release, schema
from synthrank.errors import SynthrankError


def test_schema_enum_is_the_paradigm_list() -> None:
    loaded = schema.load_schema()
    enum = loaded["properties"]["corpora"]["additionalProperties"]["properties"]["paradigm"]["enum"]
    assert enum == list(paradigms.NAMES)
    assert paradigms.GENERATED == ("zero-shot", "few-shot-unsupervised", "few-shot-supervised")


def test_every_user_of_paradigms_reads_the_list() -> None:
    assert grid.PARADIGM_ORDER == paradigms.NAMES
    assert set(release.PARADIGM_TEXT) == set(paradigms.NAMES)
    for name, p in paradigms.PARADIGMS.items():
        assert p.name == name and p.description
        assert p.generated == ("generator" in p.keys) == ("template" in p.keys)
        assert (p.exemplars is not None) == ("exemplars" in p.keys)


def test_unknown_paradigm_names_the_allowed_ones(demo_config: dict) -> None:
    import copy

    cfg = copy.deepcopy(demo_config)
    first = next(iter(cfg["corpora"]))
    cfg["corpora"][first]["paradigm"] = "two-shot"
    with pytest.raises(SynthrankError, match=rf"corpora\.{first}\.paradigm: 'two-shot' is not one of .*zero-shot"):
        config.validate(cfg)


def test_schema_defaults_reach_python() -> None:
    """Defaults live in the schema only; code that builds from a partial section reads them there."""
    assert schema.defaults("quality")["max_regenerations"] == 2
    assert schema.defaults("exemplars") == {"k": 3, "sampling": "per-query", "seed": 0}
    assert schema.defaults("generator")["concurrency"] == 1
