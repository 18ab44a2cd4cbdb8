"""Results bundles and checkpoint bundles: what the thesis's tables and models are, released like
the corpora (:mod:`synthrank.release`: same checksums, same ``synthrank release verify|push``).

A **results bundle** (``results/release/{train_dataset}/results/``, rule ``results_bundle``) holds,
at their workflow paths, what every table, figure and significance test is made from and what they
are::

    results/runs/...            every run file of the grid
    results/metrics/...         every metric file (means and per-query values: the significance inputs)
    results/significance/...    the paired tests per architecture, the seed variance
    results/tables/..., figures/..., results/checks/...   the published results
    results/corpora/*.stats.json, results/ledgers/..., benchmarks/..., results/costs/...
                                the cost table's records (ledgers, job timings) and the estimate
    results/provenance/...      each of those files' provenance record (synthrank.provenance)
    config.yaml                 the config that made them (generators' base_url left out)
    manifest.csv                path, role, bytes, SHA-256 of each file above
    metadata.json, README.md, checksums.sha256

``manifest.csv`` is the bundle's ``datasets`` table: ``datasets.load_dataset(<folder>,
split="train")`` lists the files, offline. Level 1 of ``synthrank reproduce`` rebuilds the results
from the inputs and compares them with the published ones; level 2 retrains from the corpus releases
whose SHA-256 ``metadata.json`` records.

A **checkpoint bundle** (``results/release/{train_dataset}/checkpoints/{arch}/{corpus}/seed{seed}/``,
rule ``checkpoint_bundle``, optional: target ``release_checkpoints``) is a trained model's folder
in sentence-transformers' layout with a model card (seed, the training set's and the corpus
release's SHA-256, hyperparameters) in place of the training library's (which records the time).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from synthrank import citation, provenance
from synthrank.errors import SynthrankError
from synthrank.io import atomic_dir, read_json
from synthrank.models import TRAINING_RECORD
from synthrank.release import (
    CARD,
    CHECKSUMS,
    DATA_FILE,
    METADATA,
    THESIS,
    _check_public,
    card_header,
    check_card,
    generator_terms,
    sha256_file,
)

MANIFEST = "manifest.csv"
CONFIG = "config.yaml"
#: the roles of a results bundle's files, in manifest order
ROLES = ("config", "run", "metrics", "significance", "table", "figure", "check", "cost", "provenance")
#: what level 1 rebuilds and compares (the rest are its inputs)
PUBLISHED = ("significance", "table", "figure", "check")
MANIFEST_COLUMNS = ("path", "role", "bytes", "sha256")
#: generator settings that name a private server: never published (as in a corpus release)
PRIVATE_CONFIG = ("base_url",)
TEXT_SUFFIXES = (".json", ".jsonl", ".csv", ".md", ".tex", ".html", ".tsv", ".trec", ".yaml")


def _relative(path: str) -> Path:
    rel = Path(os.path.normpath(path))
    if rel.is_absolute() or rel.parts[:1] == ("..",):
        raise SynthrankError(f"{path}: a bundled file must be inside the working directory")
    return rel


def public_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The config as published: every key but the generators' private server URLs."""
    public = json.loads(json.dumps(dict(config), default=str))
    for generator in public.get("generators", {}).values():
        for key in PRIVATE_CONFIG:
            generator.pop(key, None)
    return public


def _write_checksums(root: Path, names: Sequence[str]) -> dict[str, str]:
    sums = {name: sha256_file(root / name) for name in sorted(names)}
    (root / CHECKSUMS).write_text("".join(f"{digest}  {name}\n" for name, digest in sums.items()), encoding="utf-8")
    return sums


def _copy(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)  # contents only: no time stamps or modes travel


# ---------------------------------------------------------------- results bundle


def write_results_bundle(
    out_dir: str,
    files: Mapping[str, Sequence[str]],
    config: Mapping[str, Any],
    corpora: Mapping[str, str],
    train_dataset: str,
    seed_variance: str | None = None,
    thesis: Mapping[str, Any] | None = None,
) -> dict[str, str]:
    """Write a results bundle; returns {file: sha256} of its checksums. ``files``: role (one of
    :data:`ROLES` but config and provenance) -> the workflow's files of that role, paths relative to
    the working directory; each one's provenance record comes along (required, but for Snakemake's
    benchmark files, which have none). ``corpora``: corpus -> its release folder, whose Parquet
    SHA-256 goes into metadata.json (level 2 checks the corpora it trains on against it).
    ``seed_variance``: the bundled seed-variance file, quoted in the card; ``thesis``: CITATION.cff's
    (:func:`synthrank.citation.load`), cited in the card. Same inputs, same bytes."""
    unknown = sorted(set(files) - set(ROLES) | (set(files) & {"config", "provenance"}))
    if unknown:
        raise SynthrankError(f"results bundle: unknown file role {unknown[0]!r} (one of: {', '.join(ROLES[1:-1])})")
    rows: dict[str, tuple[str, Path]] = {}  # bundled path -> (role, source)
    for role in ROLES:
        for path in files.get(role, ()):
            rel = _relative(path)
            if not Path(path).is_file():
                raise SynthrankError(f"{path}: missing (a {role} file of the results bundle)")
            rows[str(rel)] = (role, Path(path))
            if rel.parts[0] != "benchmarks":
                record = provenance.path_for(rel)
                if not record.is_file():
                    raise SynthrankError(f"{record}: missing (the provenance record of {rel})")
                rows[str(record)] = ("provenance", record)
    public = public_config(config)
    config_text = yaml.safe_dump(public, sort_keys=False, allow_unicode=True)
    _check_public(config_text, CONFIG)
    releases = {}
    for corpus, folder in corpora.items():
        data = Path(folder) / DATA_FILE
        if not data.is_file():
            raise SynthrankError(f"{data}: missing (the release of corpus {corpus})")
        releases[corpus] = {"release": Path(folder).name, "parquet_sha256": sha256_file(data)}
    with atomic_dir(out_dir) as tmp:
        manifest = [{"path": CONFIG, "role": "config"}]
        (tmp / CONFIG).write_text(config_text, encoding="utf-8")
        for name, (role, src) in sorted(rows.items(), key=lambda item: (ROLES.index(item[1][0]), item[0])):
            _copy(src, tmp / name)
            if src.suffix in TEXT_SUFFIXES:
                _check_public((tmp / name).read_text(encoding="utf-8", errors="replace"), name)
            manifest.append({"path": name, "role": role})
        for row in manifest:
            row["bytes"] = (tmp / row["path"]).stat().st_size
            row["sha256"] = sha256_file(tmp / row["path"])
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(manifest)
        (tmp / MANIFEST).write_text(buffer.getvalue(), encoding="utf-8")
        counts = {role: sum(r["role"] == role for r in manifest) for role in ROLES}
        meta = {
            "kind": "results",
            "train_dataset": train_dataset,
            "thesis": THESIS,
            "files": counts,
            "corpora": releases,
            "seeds": list(config.get("seeds", [])),
            "architectures": list(config.get("architectures", {})),
            "config_sha256": provenance.digest(public),
        }
        (tmp / METADATA).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        variance = (tmp / seed_variance).read_text(encoding="utf-8") if seed_variance else ""
        card = results_card(meta, variance, thesis)
        check_card(card, "results", Path(out_dir) / CARD)
        _check_public(card, CARD)
        (tmp / CARD).write_text(card, encoding="utf-8")
        return _write_checksums(tmp, [r["path"] for r in manifest] + [MANIFEST, METADATA, CARD])


def results_card(meta: Mapping[str, Any], seed_variance_csv: str = "", thesis: Mapping[str, Any] | None = None) -> str:
    front = {
        "pretty_name": f"synthrank {meta['train_dataset']} results",
        "language": ["en"],
        "tags": ["synthrank", "reproducibility", "information-retrieval"],
        "configs": [{"config_name": "default", "data_files": [{"split": "train", "path": MANIFEST}]}],
    }
    counts = meta["files"]
    out = ["---", yaml.safe_dump(front, sort_keys=False).rstrip(), "---", ""]
    out += [f"# synthrank results: {meta['train_dataset']}", ""]
    out += [
        f"What the tables, figures and significance tests of the thesis *{THESIS}* are made from, and the "
        "published results themselves, at the paths the synthrank workflow writes them: "
        + ", ".join(f"{counts[role]} {role}" for role in ROLES if counts.get(role))
        + f" files. `{MANIFEST}` lists each with its role and SHA-256 (`datasets.load_dataset(<this folder "
        'or hub id>, split="train")` reads it); `config.yaml` is the config that made them.',
        "",
        "## Reproducing",
        "",
        "From a clone of the synthrank repository (README, *Reproducing the thesis*):",
        "",
        "```bash",
        "make reproduce-tables BUNDLE=<this folder or hub id>   # level 1: CPU, minutes; tables byte for byte",
        "make reproduce-models BUNDLE=<this folder or hub id>   # level 2: GPU; retrain from the released corpora",
        "make reproduce-all                                      # level 3: everything, with API keys",
        "```",
        "",
        "## Corpora",
        "",
        "Level 2 trains on these corpus releases (checked by the SHA-256 of their Parquet file):",
        "",
        "| corpus | Parquet SHA-256 |",
        "|---|---|",
    ]
    out += [f"| {name} | `{c['parquet_sha256']}` |" for name, c in sorted(meta["corpora"].items())]
    if seed_variance_csv:
        out += ["", "## Seed variance", ""]
        out += [
            "Level 2's tolerance: the standard deviation over seeds of the official measure, pooled over "
            "the cells (corpus x collection) of an architecture trained with more than one seed, on the "
            "collections each row lists (`results/significance/seed-variance.csv`, `reproduce.pool`):",
            "",
            "```text",
            seed_variance_csv.rstrip(),
            "```",
        ]
    out += ["", f"Seeds: {', '.join(str(s) for s in meta['seeds'])}; config SHA-256 `{meta['config_sha256']}`.", ""]
    if thesis is not None:
        out += ["## How to cite", "", "```bibtex", citation.bibtex(thesis), "```", ""]
    return "\n".join(out)


def bundle_files(folder: str | os.PathLike[str], roles: Sequence[str] = ROLES) -> list[dict[str, str]]:
    """The manifest rows of a (verified) results bundle whose role is one of ``roles``."""
    path = Path(folder) / MANIFEST
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    if rows and set(MANIFEST_COLUMNS) - set(rows[0]):
        raise SynthrankError(f"{path}: not a results manifest (columns {', '.join(MANIFEST_COLUMNS)})")
    return [row for row in rows if row["role"] in roles]


def stage_inputs(bundle: str | os.PathLike[str], workdir: str | os.PathLike[str]) -> list[str]:
    """Copy a results bundle's inputs (everything but what level 1 rebuilds and the provenance
    records) into ``workdir`` at their workflow paths; returns the paths."""
    staged = []
    for row in bundle_files(bundle, [r for r in ROLES if r not in (*PUBLISHED, "provenance", "config")]):
        _copy(Path(bundle) / row["path"], Path(workdir) / row["path"])
        staged.append(row["path"])
    return staged


# ---------------------------------------------------------------- checkpoint bundles

#: files of a saved model the card replaces (sentence-transformers writes the training time into it)
REPLACED = (CARD,)
TRAINING_KEYS = ("steps", "planned_steps", "epochs", "training_rows", "rows_seen", "passes", "loss", "final_loss")
TRAINING_KEYS += ("constant_loss", "final_below_constant", "hyper")
HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*")


def library_card_header(model_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """The YAML header of the model card sentence-transformers saved with the model (its
    ``README.md``: library_name, pipeline_tag, tags, widget, and base_model where it could check
    the Hub); empty where the folder has none."""
    path = Path(model_dir) / CARD
    if not path.is_file():
        return {}
    return card_header(path.read_text(encoding="utf-8"), path)


def base_model_id(arch: str, arch_spec: Mapping[str, Any]) -> str:
    """The base model's Hub id: ``base_model`` itself, or for a local folder or ``pypi:`` reference
    the ``base_model_card.hub_id`` the config gives (else a one-line error naming that key)."""
    base = str(arch_spec["base_model"])
    if HUB_ID.fullmatch(base) and not Path(base).exists():
        return base
    hub_id = (arch_spec.get("base_model_card") or {}).get("hub_id")
    if not hub_id:
        raise SynthrankError(
            f"config: architectures.{arch}.base_model_card.hub_id: missing (base_model {base!r} is not a Hub id, "
            "and the checkpoint card must name the base model)"
        )
    return str(hub_id)


def checkpoint_metrics(files: Mapping[str, str]) -> dict[str, dict[str, float]]:
    """collection -> {metric: value} of a checkpoint, from the grid's metric files (synthrank.evaluate)."""
    out = {}
    for collection, path in files.items():
        metrics = read_json(path).get("metrics")
        if not isinstance(metrics, Mapping) or not metrics:
            raise SynthrankError(f"{path}: no 'metrics' (a metric file of the grid, for the checkpoint card)")
        out[collection] = {name: round(float(value), 4) for name, value in metrics.items()}
    return out


def write_checkpoint_bundle(
    out_dir: str,
    model_dir: str,
    trainset_path: str,
    corpus_release: str,
    *,
    arch: str,
    arch_spec: Mapping[str, Any],
    corpus: str,
    paradigm: str,
    train_dataset: str,
    seed: int,
    metrics: Mapping[str, str],
    thesis: Mapping[str, Any],
    source: Mapping[str, Any] | None = None,
    generator_licences: Mapping[str, Mapping[str, Any] | None] | None = None,
    datasets: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """A checkpoint's folder as a Hub model repository: its files (sentence-transformers' layout,
    loadable offline with ``CrossEncoder(folder)`` or ``SentenceTransformer(folder)``), a model card,
    metadata.json, checksums. ``corpus_release``: the corpus's release folder (its Parquet SHA-256
    goes into the card). The card's header is the one sentence-transformers wrote (its README.md,
    which records the training time and is replaced) with what it could not know: base_model,
    license (``base_model_card`` of the architecture), datasets (``source``: the training
    collection's ``hub`` id, else its name), and model-index: ``metrics``, collection -> the grid's
    metric file of this checkpoint on it. ``datasets``: test dataset -> its Hub id, where known.
    ``training.json`` of the model folder, when present, gives the training arguments."""
    source = source or {}
    model = Path(model_dir)
    files = sorted(p for p in model.rglob("*") if p.is_file() and str(p.relative_to(model)) not in REPLACED)
    if not files:
        raise SynthrankError(f"{model_dir}: no model files")
    data = Path(corpus_release) / DATA_FILE
    if not data.is_file():
        raise SynthrankError(f"{data}: missing (the release of corpus {corpus})")
    licence = (arch_spec.get("base_model_card") or {}).get("license")
    if not licence:
        raise SynthrankError(
            f"config: architectures.{arch}.base_model_card.license: missing (the licence the checkpoint card states)"
        )
    licences = generator_terms(
        generator_licences,
        f"checkpoint {arch}/{corpus}/seed{seed} is trained on its passages, and its card states the terms they are "
        "used under",
    )
    training = read_json(model / TRAINING_RECORD) if (model / TRAINING_RECORD).is_file() else None
    meta = {
        "kind": "checkpoint",
        "architecture": arch,
        "model_kind": arch_spec["kind"],
        "base_model": arch_spec["base_model"],
        "base_model_id": base_model_id(arch, arch_spec),
        "license": licence,
        "train": dict(arch_spec["train"]),
        "training": {k: training[k] for k in TRAINING_KEYS if k in training} if training else None,
        "train_dataset": train_dataset,
        "train_dataset_id": source.get("hub") or train_dataset,
        "source_licence": dict(source["licence"]) if source.get("licence") else None,
        "generator_licences": licences,
        "corpus": corpus,
        "paradigm": paradigm,
        "seed": seed,
        "trainset_sha256": sha256_file(trainset_path),
        "corpus_parquet_sha256": sha256_file(data),
        "metrics": checkpoint_metrics(metrics),
        "test_datasets": dict(datasets or {}),
    }
    header = library_card_header(model)
    with atomic_dir(out_dir) as tmp:
        for path in files:
            _copy(path, tmp / path.relative_to(model))
        (tmp / METADATA).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        card = checkpoint_card(meta, header, thesis)
        check_card(card, "checkpoint", Path(out_dir) / CARD)
        _check_public(card, CARD)
        (tmp / CARD).write_text(card, encoding="utf-8")
        names = [str(p.relative_to(tmp)) for p in tmp.rglob("*") if p.is_file()]
        return _write_checksums(tmp, names)


def model_index(meta: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The card's ``model-index``: one result per test collection, its metrics as the grid measured
    them (the Hub's format, as huggingface_hub's ``eval_results_to_model_index`` writes it)."""
    cross = meta["model_kind"] == "cross-encoder"
    task = {"type": "text-ranking", "name": "Reranking"} if cross else {"type": "text-retrieval", "name": "Retrieval"}
    results = []
    for collection, values in meta["metrics"].items():
        dataset, _, split = collection.partition("/")
        results.append(
            {
                "task": dict(task),
                "dataset": {
                    "name": collection,
                    "type": meta.get("test_datasets", {}).get(dataset, dataset),
                    "split": split,
                },
                "metrics": [{"type": name, "value": value, "name": name} for name, value in values.items()],
            }
        )
    name = f"synthrank-{meta['architecture']}-{meta['train_dataset']}-{meta['corpus']}-seed{meta['seed']}"
    return [{"name": name, "results": results}]


def checkpoint_card(meta: Mapping[str, Any], library_header: Mapping[str, Any], thesis: Mapping[str, Any]) -> str:
    """The model card: the header sentence-transformers wrote (``library_header``) completed with
    base_model, license, datasets and the grid's metrics, then what a reader needs (training
    arguments, checksums, licences of the data, how to cite)."""
    cross = meta["model_kind"] == "cross-encoder"
    front = dict(library_header)
    front["base_model"] = meta["base_model_id"]
    front["license"] = meta["license"]
    front["datasets"] = [meta["train_dataset_id"]]
    front.setdefault("library_name", "sentence-transformers")
    front.setdefault("pipeline_tag", "text-ranking" if cross else "sentence-similarity")
    front.setdefault("language", ["en"])
    front["tags"] = list(dict.fromkeys([*front.get("tags", []), "synthrank", meta["model_kind"], meta["paradigm"]]))
    front["model-index"] = model_index(meta)
    loader = "CrossEncoder" if cross else "SentenceTransformer"
    out = ["---", yaml.safe_dump(front, sort_keys=False, allow_unicode=True).rstrip(), "---", ""]
    out += [f"# synthrank {meta['architecture']}: {meta['corpus']} ({meta['train_dataset']}), seed {meta['seed']}", ""]
    out += [
        f"A {meta['model_kind']} fine-tuned from `{meta['base_model_id']}` on the passage corpus `{meta['corpus']}` "
        f"(paradigm {meta['paradigm']}) for the thesis *{THESIS}*.",
        "",
        "```python",
        f"from sentence_transformers import {loader}",
        f'model = {loader}("<this folder or hub id>")',
        "```",
        "",
        "| | |",
        "|---|---|",
        f"| seed | {meta['seed']} |",
        f"| base model | `{meta['base_model_id']}` (the workflow loaded `{meta['base_model']}`) |",
        f"| training set SHA-256 | `{meta['trainset_sha256']}` |",
        f"| corpus release Parquet SHA-256 | `{meta['corpus_parquet_sha256']}` |",
        f"| hyperparameters | `{json.dumps(meta['train'], sort_keys=True)}` |",
    ]
    training = meta.get("training") or {}
    for key in ("steps", "planned_steps", "passes", "loss", "final_loss", "constant_loss"):
        if key in training:
            value = training[key]
            shown = f"{value:.4g}" if isinstance(value, float) else value
            out += [f"| training {key.replace('_', ' ')} | {shown} |"]
    if training.get("hyper"):
        out += [f"| training arguments | `{json.dumps(training['hyper'], sort_keys=True)}` |"]
    out += [
        "",
        "## Evaluation (the grid's metric files)",
        "",
        "| collection | " + " | ".join(_metric_names(meta)) + " |",
    ]
    out += ["|---|" + "---:|" * len(_metric_names(meta))]
    for collection, values in meta["metrics"].items():
        out += [f"| {collection} | " + " | ".join(_value(values.get(m)) for m in _metric_names(meta)) + " |"]
    out += ["", "## Licences", ""]
    out += [f"The checkpoint: **{meta['license']}** (the base model's). It was trained on data used under:", ""]
    source = meta.get("source_licence")
    if source:
        name = source.get("name") if source.get("id") == "other" and source.get("name") else source.get("id")
        out += [f"- `{meta['train_dataset']}` (queries, human passages): **{name}**" + _url(source)]
    for name, terms in meta["generator_licences"].items():
        label = terms.get("name") if terms.get("id") == "other" and terms.get("name") else terms.get("id")
        out += [f"- passages written by `{name}`: **{label}**" + _url(terms)]
    out += ["", "## How to cite", "", "```bibtex", citation.bibtex(thesis), "```", ""]
    out += [f"`{CHECKSUMS}` lists every file with its SHA-256 (`sha256sum -c {CHECKSUMS}`).", ""]
    return "\n".join(out)


def _metric_names(meta: Mapping[str, Any]) -> list[str]:
    return list(dict.fromkeys(name for values in meta["metrics"].values() for name in values))


def _value(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _url(licence: Mapping[str, Any]) -> str:
    return f" ({licence['url']})" if licence.get("url") else ""


def read_metadata(folder: str | os.PathLike[str]) -> dict[str, Any]:
    return dict(read_json(Path(folder) / METADATA))
