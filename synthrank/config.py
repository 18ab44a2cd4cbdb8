"""Validate a workflow config against the JSON schema and check its cross-references.

Errors are one line naming the offending key, e.g.
``config: architectures.bi-encoder.train.epochs: 'two' is not of type 'number'``.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError, best_match

from synthrank.errors import SynthrankError

SCHEMA_PATH = Path(str(resources.files("synthrank") / "schemas" / "config.schema.yaml"))


def _with_defaults(cls: type[Draft202012Validator]) -> type[Draft202012Validator]:
    """A validator that also fills in the schema's defaults (as ``snakemake.utils.validate`` does)."""
    validate_properties = cls.VALIDATORS["properties"]

    def set_defaults(validator: Any, properties: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
        if isinstance(instance, MutableMapping):
            for name, subschema in properties.items():
                if "default" in subschema and name not in instance:
                    default = subschema["default"]
                    instance[name] = dict(default) if isinstance(default, dict) else default
        yield from validate_properties(validator, properties, instance, schema)

    return validators.extend(cls, {"properties": set_defaults})


_Validator = _with_defaults(Draft202012Validator)


def _key(error: ValidationError) -> str:
    return ".".join(str(part) for part in error.absolute_path) or "(top level)"


def _message(error: ValidationError) -> str:
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - allowed) if allowed else []
        if unknown:
            prefix = _key(error)
            where = f"{prefix}.{unknown[0]}" if error.absolute_path else unknown[0]
            return f"{where}: unknown key (allowed: {', '.join(sorted(allowed))})"
    if error.validator == "oneOf" and error.absolute_path and error.absolute_path[0] == "datasets":
        return f"{_key(error)}: give exactly one of 'path' (a BEIR folder) or 'irds' (ir_datasets ids per split)"
    return f"{_key(error)}: {error.message}"


def load_schema() -> dict[str, Any]:
    return dict(yaml.safe_load(SCHEMA_PATH.read_text(encoding="utf-8")))


def validate(config: MutableMapping[str, Any], source: str = "config") -> MutableMapping[str, Any]:
    """Fill defaults, validate against the schema, then check cross-references; returns config."""
    error = best_match(_Validator(load_schema()).iter_errors(config))
    if error is not None:
        raise SynthrankError(f"{source}: {_message(error)}")
    _check_references(config, source)
    return config


def _check_references(config: MutableMapping[str, Any], source: str) -> None:
    datasets = config["datasets"]

    def check_collection(where: str, dataset: str, split: str) -> None:
        if dataset not in datasets:
            raise SynthrankError(f"{source}: {where}.dataset: {dataset!r} is not defined under datasets")
        if split not in datasets[dataset]["splits"]:
            raise SynthrankError(f"{source}: {where}.split: dataset {dataset!r} has no split {split!r}")

    for name, spec in datasets.items():
        if "irds" in spec:
            missing = [s for s in spec["splits"] if s not in spec["irds"]]
            if missing:
                raise SynthrankError(f"{source}: datasets.{name}.irds: no ir_datasets id for split {missing[0]!r}")
    training = config["training"]
    check_collection("training", training["dataset"], training["split"])
    for domain in ("in_domain", "out_of_domain"):
        for i, coll in enumerate(config["evaluation"][domain]):
            check_collection(f"evaluation.{domain}.{i}", coll["dataset"], coll["split"])
    for name, corpus in config["corpora"].items():
        where = f"corpora.{name}"
        if corpus["paradigm"] == "human":
            extra = [key for key in ("generator", "template") if key in corpus]
            if extra:
                raise SynthrankError(f"{source}: {where}.{extra[0]}: a human corpus has no {extra[0]}")
            continue
        for key in ("generator", "template"):
            if key not in corpus:
                raise SynthrankError(f"{source}: {where}: a {corpus['paradigm']} corpus needs '{key}'")
        if corpus["generator"] not in config["generators"]:
            raise SynthrankError(
                f"{source}: {where}.generator: {corpus['generator']!r} is not defined under generators"
            )
        if not Path(corpus["template"]).is_file():
            raise SynthrankError(f"{source}: {where}.template: file {corpus['template']} does not exist")
    collections = {
        f"{c['dataset']}/{c['split']}" for d in ("in_domain", "out_of_domain") for c in config["evaluation"][d]
    }
    for i, setting in enumerate(config.get("expected", {}).get("bm25", [])):
        for collection, values in setting["scores"].items():
            where = f"{source}: expected.bm25.{i}.scores.{collection}"
            if collection not in collections:
                raise SynthrankError(f"{where}: not an evaluation collection (in_domain/out_of_domain)")
            unknown = [m for m in values if m not in config["evaluation"]["metrics"]]
            if unknown:
                raise SynthrankError(f"{where}.{unknown[0]}: not in evaluation.metrics")
    for name, gen in config["generators"].items():
        if gen["backend"] == "local" and "gguf" not in gen:
            raise SynthrankError(f"{source}: generators.{name}: the local backend needs 'gguf'")
    for name, arch in config["architectures"].items():
        if arch["kind"] == "cross-encoder" and (arch["query_prefix"] or arch["passage_prefix"]):
            raise SynthrankError(f"{source}: architectures.{name}: prefixes are for bi-encoders only")


def load(path: str | Path) -> MutableMapping[str, Any]:
    """Read and validate a config file."""
    try:
        config = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise SynthrankError(f"{path}: cannot read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise SynthrankError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(config, dict):
        raise SynthrankError(f"{path}: expected a mapping at the top level")
    return validate(config, str(path))
