"""Validate a workflow config against the JSON schema and check its cross-references.

Errors are one line naming the offending key, e.g.
``config: architectures.bi-encoder.train.epochs: 'two' is not of type 'number'``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError, best_match

from synthrank import groups, paradigms
from synthrank.errors import SynthrankError
from synthrank.schema import defaults, load_schema


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
#: names a corpus cannot have: its release folder would be one of these (synthrank.bundle)
RESERVED_CORPUS_NAMES = {"results": "results bundle", "checkpoints": "checkpoint bundles"}


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
    for i, name in enumerate(training.get("held_out", [])):
        if name not in datasets:
            raise SynthrankError(f"{source}: training.held_out.{i}: {name!r} is not defined under datasets")
    for domain in ("in_domain", "out_of_domain"):
        for i, coll in enumerate(config["evaluation"][domain]):
            check_collection(f"evaluation.{domain}.{i}", coll["dataset"], coll["split"])
    for arch, spec in config["architectures"].items():
        for i, name in enumerate(spec.get("trained_on") or []):
            if name not in datasets:  # a typo would silently leave the "OOD avg unseen" column out
                raise SynthrankError(
                    f"{source}: architectures.{arch}.trained_on.{i}: {name!r} is not defined under datasets"
                )
    _check_generators(config, source)
    for name in config["corpora"]:
        if name in RESERVED_CORPUS_NAMES:
            raise SynthrankError(
                f"{source}: corpora.{name}: the name is taken by results/release/<dataset>/{name}/ (the "
                f"{RESERVED_CORPUS_NAMES[name]}); give the corpus another"
            )
    _check_corpora(config, source)
    _check_negatives(config, source)
    _check_analysis(config, source)
    groups.check_groups(config, source)
    # expected scores may name a collection or a group of them (its column, <group>/<split>)
    collections = {
        f"{c['dataset']}/{c['split']}" for d in ("in_domain", "out_of_domain") for c in config["evaluation"][d]
    } | set(groups.group_members(config["evaluation"]))
    for kind in ("bm25", "dense"):
        for i, setting in enumerate(config.get("expected", {}).get(kind, [])):
            for collection, values in setting["scores"].items():
                where = f"{source}: expected.{kind}.{i}.scores.{collection}"
                if collection not in collections:
                    raise SynthrankError(f"{where}: not an evaluation collection (in_domain/out_of_domain) or group")
                unknown = [m for m in values if m not in config["evaluation"]["metrics"]]
                if unknown:
                    raise SynthrankError(f"{where}.{unknown[0]}: not in evaluation.metrics")
    for name, arch in config["architectures"].items():
        arch.setdefault("max_length", arch["train"]["max_length"])  # inference: as trained unless set
        if arch["kind"] == "cross-encoder" and (arch["query_prefix"] or arch["passage_prefix"]):
            raise SynthrankError(f"{source}: architectures.{name}: prefixes are for bi-encoders only")
        if arch["kind"] == "cross-encoder":
            _check_rerank_depth(config, source, name, arch["depth"])
        elif "loss" in arch["train"] or "in_batch_negatives" in arch["train"]:
            key = "loss" if "loss" in arch["train"] else "in_batch_negatives"
            raise SynthrankError(
                f"{source}: architectures.{name}.train.{key}: a bi-encoder always trains with "
                "MultipleNegativesRankingLoss over every passage of the batch; loss chooses a cross-encoder's"
            )
        elif arch["random_baseline"]:
            raise SynthrankError(
                f"{source}: architectures.{name}.random_baseline: a random order of BM25's candidates is a "
                "cross-encoder's floor; a bi-encoder retrieves its own"
            )
        _check_train_length(source, name, arch["train"])
        loss = arch["train"].get("loss", "bce") if arch["kind"] == "cross-encoder" else "mnrl"
        if "pos_weight" in arch["train"] and loss != "bce":
            raise SynthrankError(
                f"{source}: architectures.{name}.train.pos_weight: only binary cross-entropy weighs its "
                f"positives (train.loss is {loss}{'' if arch['kind'] == 'cross-encoder' else ', a bi-encoder'})"
            )
        if "scale" in arch["train"] and loss != "mnrl":
            raise SynthrankError(
                f"{source}: architectures.{name}.train.scale: only the mnrl loss has a similarity scale "
                f"(train.loss is {loss})"
            )
        if "in_batch_negatives" in arch["train"] and arch["train"].get("loss", "bce") != "mnrl":
            raise SynthrankError(
                f"{source}: architectures.{name}.train.in_batch_negatives: only the mnrl loss samples "
                f"in-batch negatives (train.loss is {arch['train'].get('loss', 'bce')})"
            )
        unknown = [c for c in arch.get("corpora", []) if c not in config["corpora"]]
        if unknown:
            raise SynthrankError(f"{source}: architectures.{name}.corpora: {unknown[0]!r} is not defined under corpora")


def _check_train_length(source: str, name: str, train: Mapping[str, Any]) -> None:
    """Training length is epochs or steps (optimiser steps), exactly one of them."""
    given = [key for key in ("epochs", "steps") if key in train]
    if len(given) != 1:
        what = "both" if given else "neither"
        raise SynthrankError(
            f"{source}: architectures.{name}.train: give epochs or steps (optimiser steps), not {what}"
        )


def _check_rerank_depth(config: MutableMapping[str, Any], source: str, name: str, depth: int) -> None:
    """A table's measure must be one a rerank of the top ``depth`` can be scored on
    (:func:`synthrank.evaluate.beyond_depth`)."""
    from synthrank.evaluate import beyond_depth

    for domain in ("in_domain", "out_of_domain"):
        for i, coll in enumerate(config["evaluation"][domain]):
            if beyond_depth(coll["metric"], depth):
                raise SynthrankError(
                    f"{source}: architectures.{name}.depth: {depth} is shallower than evaluation.{domain}.{i}.metric "
                    f"{coll['metric']!r}: a rerank of the top {depth} cannot be scored there "
                    "(raise the depth or pick a measure with a cutoff within it)"
                )


#: sampling keys a backend would not honour -> what to do instead ("openai": the OpenAI API itself;
#: an OpenAI-compatible server by base_url, e.g. `vllm serve`, takes them all)
REFUSED_SAMPLING: dict[str, dict[str, str]] = {
    "openai": {
        "top_k": "the OpenAI API has none (a server by base_url, e.g. vllm serve, takes it)",
        "min_p": "the OpenAI API has none (a server by base_url, e.g. vllm serve, takes it)",
        "repetition_penalty": "the OpenAI API has none (presence_penalty, frequency_penalty)",
    },
    "gemini": {
        "min_p": "Gemini has none",
        "repetition_penalty": "Gemini has none (presence_penalty, frequency_penalty)",
        "stop": "Gemini calls it stop_sequences: options.stop_sequences",
    },
    "local": {"repetition_penalty": "llama.cpp calls it repeat_penalty: options.repeat_penalty"},
}


def _check_generators(config: MutableMapping[str, Any], source: str) -> None:
    for name, gen in config["generators"].items():
        where = f"{source}: generators.{name}"
        backend = gen["backend"]
        if backend == "local" and "gguf" not in gen:
            raise SynthrankError(f"{where}: the local backend needs 'gguf'")
        if backend != "local" and "gguf" in gen:
            raise SynthrankError(f"{where}.gguf: only the local backend runs a GGUF file")
        if "batch" in gen and backend not in ("openai", "gemini"):
            raise SynthrankError(f"{where}.batch: Batch APIs exist for the openai and gemini backends only")
        if backend in ("openai", "gemini") and "base_url" not in gen and "api_key_env" not in gen:
            raise SynthrankError(f"{where}: the {backend} API needs 'api_key_env' (the variable holding the key)")
        if backend == "vllm" and ("base_url" in gen or "api_key_env" in gen):
            raise SynthrankError(
                f"{where}: the vllm backend runs in-process; for a `vllm serve` server use backend openai + base_url"
            )
        api = backend == "gemini" or (backend == "openai" and "base_url" not in gen)
        refused = REFUSED_SAMPLING.get(backend, {}) if api or backend != "openai" else {}
        for key in gen["sampling"]:
            if key in refused:
                raise SynthrankError(f"{where}.sampling.{key}: {refused[key]}")
        if "chat_template_kwargs" in gen and api:
            raise SynthrankError(
                f"{where}.chat_template_kwargs: only a model's own chat template takes arguments "
                "(backend vllm, or an OpenAI-compatible server by base_url)"
            )
        if backend == "vllm":
            for key in ("tensor_parallel_size", "pipeline_parallel_size"):
                value = gen["options"].get(key, 1)
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise SynthrankError(f"{where}.options.{key}: {value!r} is not a GPU count (a whole number >= 1)")


def _check_corpora(config: MutableMapping[str, Any], source: str) -> None:
    from synthrank.prompts import PromptTemplate

    corpora = config["corpora"]
    training = config["training"]
    max_queries = training.get("max_queries")
    pool_size = training["exemplar_pool"]["size"]
    allowed = {name: p.keys for name, p in paradigms.PARADIGMS.items()}
    for name, corpus in corpora.items():
        where = f"{source}: corpora.{name}"
        paradigm = corpus["paradigm"]
        extra = sorted(set(corpus) - allowed[paradigm] - {"paradigm"})
        if extra:
            raise SynthrankError(f"{where}.{extra[0]}: a {paradigm} corpus has no {extra[0]}")
        if max_queries is not None and corpus.get("queries", 0) > max_queries:
            raise SynthrankError(f"{where}.queries: {corpus['queries']} > training.max_queries ({max_queries})")
        if paradigm == paradigms.MIXTURE:
            if "components" not in corpus:
                raise SynthrankError(f"{where}: a mixture needs 'components'")
            for i, comp in enumerate(corpus["components"]):
                comp_name = comp if isinstance(comp, str) else comp["corpus"]
                if comp_name not in corpora:
                    raise SynthrankError(f"{where}.components.{i}: {comp_name!r} is not defined under corpora")
                if corpora[comp_name]["paradigm"] == paradigms.MIXTURE:
                    raise SynthrankError(f"{where}.components.{i}: {comp_name!r} is itself a mixture")
                size = corpora[comp_name].get("queries", max_queries)
                if not isinstance(comp, str) and size is not None:
                    wanted = comp.get("offset", 0) + comp.get("queries", 0)
                    if wanted > size:
                        raise SynthrankError(
                            f"{where}.components.{i}: needs {wanted} queries of {comp_name!r}, which answers {size}"
                        )
            continue
        if paradigm == paradigms.RELEASE and "path" not in corpus:
            raise SynthrankError(f"{where}: a release corpus needs 'path' (a release folder)")
        if not paradigms.PARADIGMS[paradigm].generated:
            continue
        for key in ("generator", "template"):
            if key not in corpus:
                raise SynthrankError(f"{where}: a {paradigm} corpus needs '{key}'")
        if corpus["generator"] not in config["generators"]:
            raise SynthrankError(f"{where}.generator: {corpus['generator']!r} is not defined under generators")
        if not Path(corpus["template"]).is_file():
            raise SynthrankError(f"{where}.template: file {corpus['template']} does not exist")
        PromptTemplate.load(corpus["template"], paradigm)  # a bad placeholder fails now, not mid-grid
        if paradigms.PARADIGMS[paradigm].exemplars:
            corpus.setdefault("exemplars", defaults("exemplars"))
        if paradigm == paradigms.FEW_SHOT_SUPERVISED:
            k = corpus["exemplars"]["k"]
            used = corpus["exemplars"].get("pool", pool_size)
            if pool_size < max(k, used):
                raise SynthrankError(
                    f"{where}.exemplars: needs training.exemplar_pool.size >= {max(k, used)} (it is {pool_size})"
                )


def _check_analysis(config: MutableMapping[str, Any], source: str) -> None:
    """The corpus analysis embeds and judges passages with a bi-encoder's untuned base model:
    ``analysis.encoder`` names a bi-encoder architecture, or the config has one to default to."""
    archs = config["architectures"]
    encoder = config["analysis"]["encoder"]
    if encoder is None:
        if not any(a["kind"] == "bi-encoder" for a in archs.values()):
            raise SynthrankError(
                f"{source}: analysis.encoder: no bi-encoder architecture to embed and judge passages with "
                "(the corpus analysis uses one's untuned base model)"
            )
    elif encoder not in archs or archs[encoder]["kind"] != "bi-encoder":
        raise SynthrankError(f"{source}: analysis.encoder: {encoder!r} is not a bi-encoder under architectures")


def _check_negatives(config: MutableMapping[str, Any], source: str) -> None:
    """Each corpus's hard-negative settings (``training.hard_negatives``, its own ``negatives`` over
    them) can be met, and a mixture of one whole corpus (a copy of it) trains differently from it."""
    default = config["training"]["hard_negatives"]
    corpora = config["corpora"]

    def settings(name: str) -> dict[str, Any]:
        return {**default, **corpora[name].get("negatives", {})}

    for name, corpus in corpora.items():
        own = corpus.get("negatives", {})
        merged = settings(name)
        if merged["count"] > merged["depth"]:
            where = f"corpora.{name}.negatives" if "count" in own or "depth" in own else "training.hard_negatives"
            raise SynthrankError(
                f"{source}: {where}.count: {merged['count']} negatives cannot be sampled from BM25's top "
                f"{merged['depth']} (depth)"
            )
        parts = corpus.get("components") or []
        if corpus["paradigm"] == paradigms.MIXTURE and len(parts) == 1:
            part = parts[0]
            whole = part if isinstance(part, str) else None
            if isinstance(part, dict) and "queries" not in part and not part.get("offset", 0):
                whole = part["corpus"]
            if whole is not None and settings(whole) == merged:
                raise SynthrankError(
                    f"{source}: corpora.{name}: a mixture of the one whole corpus {whole!r} is a copy of it and would "
                    "train the same models; give it its own 'negatives' (e.g. {source: corpus}) or remove it"
                )


#: generator settings that change how answers are fetched, never which answers a corpus holds
#: (for ``batch``: its polling settings; whether the Batch API is used does change the ledger)
FETCH_SETTINGS = ("concurrency", "timeout", "max_attempts", "rate_limit", "base_url", "api_key_env")
#: generator settings that only the release cards quote (the release rule's params carry them)
CARD_SETTINGS = ("licence",)


def corpus_settings(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """The settings of a generator that change what a corpus holds (its passages, ledger and
    stats): a corpus job's params carry these only, so that Snakemake, which reruns a job whose
    params change, does not regenerate (and retrain on) a corpus because, say, the concurrency or
    a timeout changed, or its licence (:data:`CARD_SETTINGS`: the cards only). The job reads the
    full settings from the config."""
    out = {key: value for key, value in cfg.items() if key not in (*FETCH_SETTINGS, *CARD_SETTINGS)}
    if "batch" in out:
        out["batch"] = {}  # whether the Batch API answers (the ledger's prices): yes; its polling: not here
    return out


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
