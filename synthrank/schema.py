"""The config schema (``synthrank/schemas/config.schema.yaml``): reading it, and its defaults.

Separate from :mod:`synthrank.config` (which validates a whole config with jsonschema) so that
code building objects from one config section (a generator, the quality rules, exemplars) reads
the schema's defaults, the one place defaults live, with PyYAML only: the stage environments that
run generation do not carry jsonschema.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from synthrank import paradigms

SCHEMA_PATH = Path(str(resources.files("synthrank") / "schemas" / "config.schema.yaml"))


@functools.cache
def _schema_text() -> str:
    return SCHEMA_PATH.read_text(encoding="utf-8")


def load_schema() -> dict[str, Any]:
    """The config schema, with the paradigm names filled in from :mod:`synthrank.paradigms`."""
    schema = dict(yaml.safe_load(_schema_text()))
    corpus = schema["properties"]["corpora"]["additionalProperties"]
    corpus["properties"]["paradigm"]["enum"] = list(paradigms.NAMES)
    # the hard-negative sources, in training.hard_negatives and in a corpus's own negatives
    training = schema["properties"]["training"]["properties"]
    for section in (training["hard_negatives"], corpus["properties"]["negatives"]):
        section["properties"]["source"]["enum"] = list(paradigms.NEGATIVE_SOURCES)
    return schema


#: where a section's schema sits (the sections whose defaults code outside the workflow needs)
SECTIONS = {
    "generator": ("properties", "generators", "additionalProperties"),
    "quality": ("properties", "generation", "properties", "quality"),
    "exemplars": ("properties", "corpora", "additionalProperties", "properties", "exemplars"),
}


def defaults(section: str) -> dict[str, Any]:
    """The schema's defaults of one config section (one level deep), e.g. ``defaults("quality")``:
    the one place defaults live, for code that builds objects from a partial section (tests, tools)."""
    node: Any = load_schema()
    for part in SECTIONS[section]:
        node = node[part]
    return {name: sub["default"] for name, sub in node.get("properties", {}).items() if "default" in sub}
