"""Quality flags and their actions (synthrank.quality); the loop that applies them: test_generate.py."""

import pytest

from synthrank.errors import SynthrankError
from synthrank.quality import Quality


def test_flags() -> None:
    quality = Quality.from_config(None)
    seen = {"a passage already kept"}
    assert quality.flags("", "q", "stop", seen) == ["empty"]
    assert quality.flags("I'm sorry, I cannot help with that.", "q", "stop", seen) == ["refused"]
    assert quality.flags("Some text that stops", "q", "length", seen) == ["truncated"]
    assert quality.flags("A passage, already kept!", "q", "stop", seen) == ["duplicate"]
    assert quality.flags("How do I boil an egg?", "how do i boil an egg", "stop", seen) == ["query_copy"]
    assert quality.flags("Boil it for nine minutes, then cool it in water.", "how do i boil an egg", "stop", seen) == []


def test_actions_default_from_the_schema_and_most_severe_wins() -> None:
    quality = Quality.from_config(None)
    assert quality.max_regenerations == 2
    assert quality.action([]) == "keep"
    assert quality.action(["truncated"]) == "keep"
    assert quality.action(["duplicate"]) == "drop"
    assert quality.action(["truncated", "duplicate", "empty"]) == "regenerate"
    custom = Quality.from_config({"truncated": "drop", "refusal_patterns": ["^nope"]})
    assert custom.action(["truncated"]) == "drop"
    assert custom.flags("Nope.", "q", "stop", set()) == ["refused"]
    assert custom.flags("I'm sorry", "q", "stop", set()) == []


def test_unknown_action_is_a_one_line_error() -> None:
    with pytest.raises(
        SynthrankError, match=r"generation\.quality\.empty: 'ignore' is not one of keep, drop, regenerate"
    ):
        Quality.from_config({"empty": "ignore"})
