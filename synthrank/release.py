"""Release passage corpora as Hugging Face ``datasets``-loadable folders, and read them back.

A release folder (``results/release/{train_dataset}/{corpus}/``) holds::

    data/train-00000-of-00001.parquet   the training-pair view, one row per passage
    metadata.json                        what the card says, machine-readable
    README.md                            the dataset card (YAML front matter + text)
    checksums.sha256                     SHA-256 of every other file (``sha256sum -c`` format)

Each Parquet row is (query_id, query, passage_id, text, paradigm, generator, model_version,
exemplar_ids, flags, provenance); ``provenance`` is the JSON of every other field of the
corpus record (sampling, template hash, tokens, request hash, ...), so the corpus file rebuilt
from a release (:func:`read_release`, the ``release`` paradigm of the config) is byte for byte
the original. Bytes are deterministic: rows in corpus order, no timestamps, no local paths, so
two releases of the same corpus have the same checksums.

Pushing to the Hugging Face Hub is a separate command, never part of the workflow::

    HF_TOKEN=... synthrank release push results/release/<dataset>/<corpus> <user>/<repo>
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import os
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from synthrank import citation
from synthrank.errors import SynthrankError
from synthrank.io import atomic_write, iter_jsonl, read_json, read_texts
from synthrank.paradigms import GENERATED, HUMAN, PARADIGMS

DATA_FILE = "data/train-00000-of-00001.parquet"
METADATA = "metadata.json"
CARD = "README.md"
CHECKSUMS = "checksums.sha256"
RELEASE_FILES = (DATA_FILE, METADATA, CARD, CHECKSUMS)
TOKEN_ENV = "HF_TOKEN"
#: what a release folder holds, by the ``kind`` of its metadata.json (absent: a corpus): the files
#: its checksums must list, and the Hub repository type it is pushed as (synthrank.bundle makes the
#: results bundles and checkpoint bundles)
KINDS = {
    "corpus": ((DATA_FILE, METADATA, CARD), "dataset"),
    "results": ((METADATA, CARD, "manifest.csv", "config.yaml"), "dataset"),
    "checkpoint": ((METADATA, CARD), "model"),
}
THESIS = "Fine Tuning Dense Rankers Using Synthetic Data"

#: every corpus record starts with these fields (synthrank.corpora); the rest is ``provenance``
HEAD = ("query_id", "passage_id", "text", "paradigm")
#: stats that describe this machine's cache and provider account, not the corpus
PRIVATE_STATS = ("api_calls", "cache_hits", "batch_jobs")
#: generator settings a reader needs; never base_url (a private server), api_key_env, gguf
PUBLIC_GENERATOR = ("name", "backend", "model", "sampling", "samples_per_query", "price")

#: one line per paradigm for dataset cards (from :mod:`synthrank.paradigms`, the one list of them)
PARADIGM_TEXT = {name: p.description for name, p in PARADIGMS.items()}


def _schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [
            ("query_id", pa.string()),
            ("query", pa.string()),
            ("passage_id", pa.string()),
            ("text", pa.string()),
            ("paradigm", pa.string()),
            ("generator", pa.string()),
            ("model_version", pa.string()),
            ("exemplar_ids", pa.list_(pa.string())),
            ("flags", pa.list_(pa.string())),
            ("provenance", pa.string()),
        ]
    )


def sha256_file(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _private_strings() -> list[str]:
    """What must never appear in a release: secrets in the environment, this machine's paths."""
    secrets = [
        value for name, value in os.environ.items() if re.search(r"KEY|TOKEN|SECRET|PASSWORD", name) and len(value) >= 8
    ]
    paths = {str(Path.cwd()), str(Path.home())}
    return secrets + [p for p in paths if len(p) > 5]


def _check_public(text: str, where: str) -> None:
    for private in _private_strings():
        if private in text:
            shown = private if private.startswith("/") else "the value of a *KEY/*TOKEN environment variable"
            raise SynthrankError(f"{where}: would publish {shown}; refusing to release it")


# ---------------------------------------------------------------- rows


def to_row(record: Mapping[str, Any], query: str, where: str) -> dict[str, Any]:
    """One Parquet row of a corpus record; the record's other fields go, in order, to ``provenance``."""
    if tuple(record)[: len(HEAD)] != HEAD:
        raise SynthrankError(f"{where}: a corpus record must start with {', '.join(HEAD)} (got {', '.join(record)})")
    rest = {key: value for key, value in record.items() if key not in HEAD}

    def strings(value: Any) -> list[str] | None:
        return None if value is None else [str(v) for v in value]

    return {
        "query_id": str(record["query_id"]),
        "query": query,
        "passage_id": str(record["passage_id"]),
        "text": record["text"],
        "paradigm": record["paradigm"],
        "generator": rest.get("generator"),
        "model_version": None if rest.get("model_version") is None else str(rest["model_version"]),
        "exemplar_ids": strings(rest.get("exemplar_ids")),
        "flags": strings(rest.get("flags")),
        "provenance": json.dumps(rest, ensure_ascii=False),
    }


def from_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """The corpus record a Parquet row was made from (inverse of :func:`to_row`)."""
    return {**{key: row[key] for key in HEAD}, **json.loads(row["provenance"])}


# ---------------------------------------------------------------- metadata and card


def generator_terms(generator_licences: Mapping[str, Any] | None, why: str) -> dict[str, dict[str, Any]]:
    """Each generator's terms (``generators.<name>.licence``), by name; a generator without them
    is a one-line error saying ``why`` a card needs them."""
    terms = {}
    for name, licence in sorted((generator_licences or {}).items()):
        if not licence:
            raise SynthrankError(f"config: generators.{name}.licence: missing ({why})")
        terms[name] = dict(licence)
    return terms


def release_metadata(
    corpus: str,
    train_dataset: str,
    spec: Mapping[str, Any],
    stats: Mapping[str, Any],
    source: Mapping[str, Any],
    template_path: str | None = None,
    quality: Mapping[str, Any] | None = None,
    training: Mapping[str, Any] | None = None,
    generator_licences: Mapping[str, Mapping[str, Any] | None] | None = None,
) -> dict[str, Any]:
    """What a release says about its corpus; nothing machine- or account-specific.

    ``spec``: the corpus config with its generator resolved (as the corpus rules pass it);
    ``source``: the training dataset's config (its ``licence``, ``citation`` and ``hub`` id);
    ``generator_licences``: each generator whose passages the corpus holds (a mixture: its
    components') -> its ``licence`` in the config, which must be given.
    A corpus rebuilt from a release carries its release's metadata in ``stats["release"]``.
    """
    public_stats = {k: v for k, v in stats.items() if k not in (*PRIVATE_STATS, "release")}
    if "release" in stats:  # rebuilt from a release: describe the original, under this name
        return {**stats["release"], "corpus": corpus, "stats": public_stats}
    licences = generator_terms(
        generator_licences,
        f"corpus {corpus} holds its passages, and its dataset card states the terms they are used under",
    )
    paradigm = str(stats.get("paradigm", spec["paradigm"]))
    meta: dict[str, Any] = {
        "corpus": corpus,
        "train_dataset": train_dataset,
        "paradigm": paradigm,
        "description": PARADIGM_TEXT.get(paradigm, paradigm),
        "source": {
            "dataset": train_dataset,
            "hub": source.get("hub"),
            "licence": dict(source.get("licence") or {"id": "unknown", "terms": "not stated in the workflow config"}),
            "citation": source.get("citation"),
        },
        "generator_licences": licences,
        "training_queries": {k: training[k] for k in ("max_queries", "sample_seed") if k in training}
        if training
        else {},
        "generator": None,
        "template": None,
        "exemplars": stats.get("exemplars"),
        "quality": dict(quality) if quality and stats.get("requests") is not None else None,
        "components": [c["corpus"] for c in stats.get("components", [])] or None,
    }
    if isinstance(spec.get("generator"), Mapping):
        gen = spec["generator"]
        meta["generator"] = {k: gen[k] for k in PUBLIC_GENERATOR if k in gen}
        if "samples_per_query" in spec:
            meta["generator"]["samples_per_query"] = spec["samples_per_query"]
        meta["generator"]["model_versions"] = list(stats.get("model_versions", []))
    if template_path:
        text = Path(template_path).read_text(encoding="utf-8")
        meta["template"] = {
            "file": Path(template_path).name,
            "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
            "text": text,
        }
    meta["stats"] = public_stats
    return meta


def _fence(text: str) -> str:
    ticks = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`+", text)), default=0))
    return f"{ticks}text\n{text.rstrip()}\n{ticks}"


def _size_category(rows: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if rows < limit:
            return name
    return "1M<n<10M"


def content(rows: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    """Passages per paradigm and per generator (of the generated ones), as a release's rows say."""
    paradigms: dict[str, int] = {}
    generators: dict[str, int] = {}
    for row in rows:
        paradigms[row["paradigm"]] = paradigms.get(row["paradigm"], 0) + 1
        if row["paradigm"] in GENERATED and row.get("generator"):
            generators[row["generator"]] = generators.get(row["generator"], 0) + 1
    return {"paradigms": dict(sorted(paradigms.items())), "generators": dict(sorted(generators.items()))}


def _licence_line(licence: Mapping[str, Any]) -> str:
    name = licence.get("name") if licence.get("id") == "other" and licence.get("name") else licence.get("id", "unknown")
    return f"**{name}**" + (f" ({licence['url']})" if licence.get("url") else "")


#: the YAML header fields every card of a kind carries (:func:`check_card`; the Hub reads them)
CARD_FIELDS = {
    "corpus": (
        "license",
        "pretty_name",
        "language",
        "annotations_creators",
        "language_creators",
        "source_datasets",
        "task_categories",
        "size_categories",
        "tags",
        "configs",
    ),
    "results": ("pretty_name", "language", "tags", "configs"),
    "checkpoint": (
        "base_model",
        "license",
        "datasets",
        "library_name",
        "pipeline_tag",
        "language",
        "tags",
        "model-index",
    ),
}


def card_header(text: str, where: str | os.PathLike[str] = CARD) -> dict[str, Any]:
    """A card's YAML front matter (between its first two ``---`` lines)."""
    parts = text.split("---\n", 2)
    if len(parts) < 3 or parts[0]:
        raise SynthrankError(f"{where}: no YAML front matter (the card must open with a --- line)")
    header = yaml.safe_load(parts[1])
    if not isinstance(header, dict):
        raise SynthrankError(f"{where}: the YAML front matter is not a mapping")
    return header


def check_card(text: str, kind: str, where: str | os.PathLike[str] = CARD) -> dict[str, Any]:
    """A card's header, checked: every field of :data:`CARD_FIELDS` for its ``kind`` present and not
    empty, a licence ``other`` with its name, a checkpoint's metrics (model-index) with values."""
    header = card_header(text, where)
    for key in CARD_FIELDS[kind]:
        if header.get(key) in (None, "", [], {}):
            raise SynthrankError(f"{where}: card field {key!r} is missing or empty")
    if header.get("license") == "other" and not header.get("license_name"):
        raise SynthrankError(f"{where}: card field 'license_name' is missing (license is 'other')")
    if kind == "checkpoint":
        for entry in header["model-index"]:
            for result in entry.get("results") or [{}]:
                metrics = result.get("metrics") or [{}]
                if not all(isinstance(m.get("value"), (int, float)) for m in metrics):
                    raise SynthrankError(f"{where}: card field 'model-index' has a result without metric values")
    return header


def dataset_card(
    meta: Mapping[str, Any], rows: int, data_sha256: str, metadata_sha256: str, thesis: Mapping[str, Any]
) -> str:
    """The dataset card: YAML front matter the Hub reads, then the text a reader needs. ``thesis``:
    CITATION.cff's thesis (:func:`synthrank.citation.load`), cited as BibTeX."""
    licence = meta["source"]["licence"]
    made = meta.get("content") or {"paradigms": {meta["paradigm"]: rows}, "generators": {}}
    generated = any(p in GENERATED for p in made["paradigms"])
    human = HUMAN in made["paradigms"]
    front: dict[str, Any] = {"license": licence.get("id", "unknown")}
    if front["license"] == "other":
        front["license_name"] = licence.get("name", meta["source"]["dataset"])
        if licence.get("url"):
            front["license_link"] = licence["url"]
    front |= {
        "pretty_name": f"synthrank {meta['train_dataset']} {meta['corpus']}",
        "language": ["en"],
        "multilinguality": ["monolingual"],
        # a pair (query, passage) is relevant because the source collection judged it (found) or
        # because an LLM wrote the passage for the query (machine-generated); queries are the source's
        "annotations_creators": [*(["found"] if human else []), *(["machine-generated"] if generated else [])],
        "language_creators": ["found", *(["machine-generated"] if generated else [])],
        "source_datasets": [meta["source"].get("hub") or meta["source"]["dataset"]],
        "task_categories": ["text-retrieval"],
        "size_categories": [_size_category(rows)],
        "tags": ["synthrank", meta["paradigm"], *(["synthetic"] if generated else [])],
        "configs": [{"config_name": "default", "data_files": [{"split": "train", "path": "data/train-*"}]}],
    }
    stats, gen = meta["stats"], meta["generator"]
    out = ["---", yaml.safe_dump(front, sort_keys=False, allow_unicode=True).rstrip(), "---", ""]
    out += [f"# synthrank: {meta['corpus']} ({meta['train_dataset']})", ""]
    out += [
        f"Passages for fine-tuning rerankers and bi-encoders, from the thesis *{THESIS}* (the synthrank "
        f"workflow). Paradigm **{meta['paradigm']}**: {meta['description']}.",
        "",
        f"{stats.get('passages', rows)} passages answering {stats.get('queries', '?')} training queries of "
        f"`{meta['train_dataset']}`.",
        "",
        "## Loading",
        "",
        "```python",
        "import datasets",
        f'pairs = datasets.load_dataset("<this folder or hub id>", split="train")  # {rows} rows',
        "```",
        "",
        "| column | meaning |",
        "|---|---|",
        "| query_id, query | the training query (id and text in the source collection) |",
        "| passage_id, text | the passage (a source-collection id for human passages) |",
        f"| paradigm | {', '.join((HUMAN, *GENERATED[:-1]))} or {GENERATED[-1]} |",
        "| generator, model_version | the configured generator and the model version its API reported |",
        "| exemplar_ids | the query (supervised) or passage (unsupervised) ids shown in the prompt |",
        "| flags | quality flags of the kept passage (e.g. truncated) |",
        "| provenance | JSON: every other field of the corpus record (sampling, seed, template hash, "
        "tokens, request hash) |",
        "",
    ]
    if gen:
        out += ["## Generator", ""]
        out += [f"- name `{gen.get('name')}`, backend `{gen.get('backend')}`, model `{gen.get('model')}`"]
        versions = ", ".join(f"`{v}`" for v in gen.get("model_versions", [])) or "none reported"
        out += [f"- model version(s) the API reported: {versions}"]
        out += [f"- sampling parameters: `{json.dumps(gen.get('sampling', {}), sort_keys=True)}`"]
        out += [
            f"- passages per query: {gen.get('samples_per_query', 1)}; a regeneration uses seed + 100003 x attempt, "
            "sample s uses seed + s (each passage's own seed is in `provenance.sampling`)"
        ]
        out += [""]
    if meta.get("exemplars"):
        out += ["## Exemplars", "", f"`{json.dumps(meta['exemplars'], sort_keys=True)}`", ""]
    if meta.get("template"):
        tpl = meta["template"]
        out += ["## Prompt template", "", f"`{tpl['file']}`, SHA-256 `{tpl['sha256']}`, verbatim:", ""]
        out += [_fence(tpl["text"]), ""]
    if meta.get("training_queries"):
        out += ["## Training queries", ""]
        out += [f"A seeded sample of the judged training queries: `{json.dumps(meta['training_queries'])}`.", ""]
    if "requests" in stats:
        flags = ", ".join(f"{k} {v}" for k, v in stats.get("flags", {}).items())
        out += ["## Quality filtering", ""]
        out += [
            f"- answers received (regenerations included): {stats['requests']}",
            f"- flagged: {flags}",
            f"- regenerated: {stats.get('regenerated', 0)}, dropped: {stats.get('dropped', 0)}",
            f"- kept: {stats.get('passages')} passages",
        ]
        if meta.get("quality"):
            out += [f"- actions per flag: `{json.dumps(meta['quality'], sort_keys=True)}`"]
        out += [""]
        out += ["## Cost", ""]
        out += [
            f"{stats.get('prompt_tokens', 0)} prompt + {stats.get('completion_tokens', 0)} completion tokens, "
            f"US${stats.get('cost_usd', 0)} (at the configured price per million tokens).",
            "",
        ]
    if meta.get("components"):
        out += ["## Components", "", "This mixture concatenates: " + ", ".join(meta["components"]) + ".", ""]
        out += [f"`{json.dumps(stats.get('components', []))}`", ""]
    out += ["## Source collection and licences", ""]
    hub = meta["source"].get("hub")
    out += [
        f"Queries (and human passages, and exemplars) come from `{meta['source']['dataset']}`"
        + (f" (Hugging Face `{hub}`)" if hub else "")
        + ". Passages: "
        + ", ".join(f"{count} {paradigm}" for paradigm, count in made["paradigms"].items())
        + "."
    ]
    out += ["", f"The source collection's licence: {_licence_line(licence)}"]
    if licence.get("terms"):
        out += ["", licence["terms"].strip()]
    for name, count in made["generators"].items():
        terms = meta["generator_licences"][name]
        out += ["", f"The {count} passages of generator `{name}` are its output, used under: {_licence_line(terms)}"]
        out += ["", terms["terms"].strip()]
    out += ["", "## How to cite", ""]
    out += [f"Cite the thesis *{THESIS}* (synthrank, `CITATION.cff`):", ""]
    out += ["```bibtex", citation.bibtex(thesis), "```", ""]
    out += ["and the source collection:", ""]
    if meta["source"].get("citation"):
        out += ["```bibtex", meta["source"]["citation"].strip(), "```", ""]
    else:
        out += ["(no citation configured for the source collection)", ""]
    out += ["## Files", "", "| file | SHA-256 |", "|---|---|"]
    out += [f"| `{DATA_FILE}` | `{data_sha256}` |", f"| `{METADATA}` | `{metadata_sha256}` |"]
    out += ["", f"`{CHECKSUMS}` lists these and this card (`sha256sum -c {CHECKSUMS}`).", ""]
    return "\n".join(out)


# ---------------------------------------------------------------- writing, verifying, reading


def write_release(
    out_dir: str | os.PathLike[str],
    corpus_path: str,
    queries_path: str,
    meta: Mapping[str, Any],
    thesis: Mapping[str, Any],
) -> dict[str, str]:
    """Write a release folder; returns {file: sha256}. Two calls on the same input give the same bytes.
    The metadata gains ``content``: the passages per paradigm and per generator, as the rows have
    them (a mixture's too); every generator named there needs its licence in the metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = Path(out_dir)
    queries = read_texts(queries_path)
    rows = []
    for i, record in enumerate(iter_jsonl(corpus_path, HEAD), start=1):
        qid = str(record["query_id"])
        if qid not in queries:
            raise SynthrankError(f"{corpus_path}:{i}: query {qid!r} is not in {queries_path}")
        rows.append(to_row(record, queries[qid], f"{corpus_path}:{i}"))
    if not rows:
        raise SynthrankError(f"{corpus_path}: an empty corpus cannot be released")
    meta = {**meta, "content": content(rows)}
    for name in meta["content"]["generators"]:
        if name not in (meta.get("generator_licences") or {}):
            raise SynthrankError(
                f"{corpus_path}: passages of generator {name!r}, whose terms are not known (config: "
                f"generators.{name}.licence); the card of corpus {meta['corpus']} must state them"
            )
    metadata_text = json.dumps(meta, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    for where, text in (
        (corpus_path, "\n".join(json.dumps(r, ensure_ascii=False) for r in rows)),
        (METADATA, metadata_text),
    ):
        _check_public(text, where)
    table = pa.Table.from_pylist(rows, schema=_schema())
    data_path = out / DATA_FILE
    data_path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")  # no timestamps in Parquet: same rows, same bytes
    with atomic_write(data_path, "wb") as handle:
        handle.write(buffer.getvalue())
    with atomic_write(out / METADATA) as handle:
        handle.write(metadata_text)
    sums = {DATA_FILE: sha256_file(data_path), METADATA: sha256_file(out / METADATA)}
    card = dataset_card(meta, len(rows), sums[DATA_FILE], sums[METADATA], thesis)
    check_card(card, "corpus", out / CARD)
    _check_public(card, CARD)
    with atomic_write(out / CARD) as handle:
        handle.write(card)
    sums[CARD] = sha256_file(out / CARD)
    with atomic_write(out / CHECKSUMS) as handle:
        handle.writelines(f"{digest}  {name}\n" for name, digest in sorted(sums.items()))
    return sums


def release_kind(folder: str | os.PathLike[str]) -> str:
    """What a release folder holds (a key of :data:`KINDS`): its metadata's ``kind``, or a corpus."""
    path = Path(folder) / METADATA
    try:
        kind = json.loads(path.read_text(encoding="utf-8")).get("kind", "corpus")
    except (OSError, ValueError, AttributeError):
        return "corpus"  # verify_release names what is wrong with the folder
    if kind not in KINDS:
        raise SynthrankError(f"{path}: kind {kind!r} is not a synthrank release (one of: {', '.join(KINDS)})")
    return str(kind)


def verify_release(folder: str | os.PathLike[str]) -> dict[str, str]:
    """Check every file against ``checksums.sha256``; returns {file: sha256}. The files it must
    list depend on the folder's kind (:data:`KINDS`): a corpus, a results bundle, a checkpoint."""
    root = Path(folder)
    listing = root / CHECKSUMS
    if not listing.is_file():
        raise SynthrankError(f"{root}: not a synthrank release (no {CHECKSUMS})")
    required, _ = KINDS[release_kind(root)]
    sums: dict[str, str] = {}
    for number, line in enumerate(listing.read_text(encoding="utf-8").splitlines(), start=1):
        match = re.fullmatch(r"([0-9a-f]{64}) [ *](\S.*)", line)
        if not match or Path(match[2]).is_absolute() or ".." in Path(match[2]).parts:
            raise SynthrankError(f"{listing}:{number}: not a 'sha256  file' line")
        sums[match[2]] = match[1]
    for name in required:
        if name not in sums:
            raise SynthrankError(f"{listing}: does not list {name}")
    for name, digest in sums.items():
        path = root / name
        if not path.is_file():
            raise SynthrankError(f"{path}: listed in {CHECKSUMS} but missing")
        if sha256_file(path) != digest:
            raise SynthrankError(f"{path}: SHA-256 does not match {CHECKSUMS} (changed or corrupt)")
    return sums


def read_release(
    folder: str | os.PathLike[str], queries_path: str | None = None
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The corpus records and stats of a verified release (the ``release`` paradigm).

    The stats are the released ones with the release's metadata under ``release``, so
    releasing the rebuilt corpus again describes the original. ``queries_path``: the training
    queries, which must hold every query of the release (a release of another collection fails).
    """
    import pyarrow.parquet as pq

    sums = verify_release(folder)
    meta = read_json(Path(folder) / METADATA)
    table = pq.read_table(Path(folder) / DATA_FILE)
    records = [from_row(row) for row in table.to_pylist()]
    if queries_path is not None:
        known = read_texts(queries_path)
        unknown = sorted({r["query_id"] for r in records} - set(known))
        if unknown:
            raise SynthrankError(
                f"{folder}: query {unknown[0]!r} is not a training query of this workflow ({queries_path}); "
                f"the release is of {meta.get('train_dataset')!r}"
            )
    stats = dict(meta["stats"])
    stats["release"] = {k: v for k, v in meta.items() if k != "stats"}
    stats["release_sha256"] = sums[DATA_FILE]
    return records, stats


def release_corpus(
    out_dir: str,
    corpus: str,
    train_dataset: str,
    corpus_path: str,
    stats_path: str,
    queries_path: str,
    spec: Mapping[str, Any],
    source: Mapping[str, Any],
    template_path: str | None = None,
    quality: Mapping[str, Any] | None = None,
    training: Mapping[str, Any] | None = None,
    *,
    thesis: Mapping[str, Any],
    generator_licences: Mapping[str, Mapping[str, Any] | None] | None = None,
) -> dict[str, str]:
    """Release one corpus of the workflow (the ``release_corpus`` rule). ``thesis``: CITATION.cff's
    (:func:`synthrank.citation.load`), which the card cites."""
    stats = read_json(stats_path)
    stats.pop("release_sha256", None)
    meta = release_metadata(
        corpus, train_dataset, spec, stats, source, template_path, quality, training, generator_licences
    )
    return write_release(out_dir, corpus_path, queries_path, meta, thesis)


# ---------------------------------------------------------------- manifest

MANIFEST_COLUMNS = (
    "corpus",
    "paradigm",
    "generator",
    "model",
    "model_versions",
    "queries",
    "passages",
    "prompt_tokens",
    "completion_tokens",
    "cost_usd",
    "parquet_bytes",
    "parquet_sha256",
)


def manifest_rows(folders: Iterable[str | os.PathLike[str]]) -> list[dict[str, Any]]:
    order = {p: i for i, p in enumerate(PARADIGM_TEXT)}
    rows = []
    for folder in folders:
        sums = verify_release(folder)
        meta = read_json(Path(folder) / METADATA)
        stats, gen = meta["stats"], meta.get("generator") or {}
        rows.append(
            {
                "corpus": meta["corpus"],
                "paradigm": meta["paradigm"],
                "generator": gen.get("name", "-"),
                "model": gen.get("model", "-"),
                "model_versions": " ".join(gen.get("model_versions", [])) or "-",
                "queries": stats.get("queries"),
                "passages": stats.get("passages"),
                "prompt_tokens": stats.get("prompt_tokens", 0),
                "completion_tokens": stats.get("completion_tokens", 0),
                "cost_usd": round(float(stats.get("cost_usd", 0.0)), 6),
                "parquet_bytes": (Path(folder) / DATA_FILE).stat().st_size,
                "parquet_sha256": sums[DATA_FILE],
            }
        )
    return sorted(rows, key=lambda r: (order.get(r["paradigm"], len(order)), r["generator"], r["corpus"]))


def write_manifest(
    folders: Sequence[str], csv_path: str, markdown_path: str, train_dataset: str
) -> list[dict[str, Any]]:
    """One table of every released corpus (paradigm x generator, sizes, cost), as CSV and Markdown."""
    rows = manifest_rows(folders)
    with atomic_write(csv_path) as handle:
        writer = csv.DictWriter(handle, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    shown = ("corpus", "paradigm", "generator", "model_versions", "queries", "passages", "cost_usd", "parquet_sha256")
    lines = [
        f"# Released corpora of {train_dataset}",
        "",
        "| " + " | ".join(shown) + " |",
        "|" + "|".join("---:" if c in ("queries", "passages", "cost_usd") else "---" for c in shown) + "|",
    ]
    for row in rows:
        cells = {**row, "cost_usd": f"{row['cost_usd']:.4f}", "parquet_sha256": row["parquet_sha256"][:12]}
        lines.append("| " + " | ".join(str(cells[c]) for c in shown) + " |")
    total = sum(r["cost_usd"] for r in rows)
    lines += ["", f"Total: {sum(r['passages'] or 0 for r in rows)} passages, US${total:.4f} of generation.", ""]
    with atomic_write(markdown_path) as handle:
        handle.write("\n".join(lines))
    return rows


# ---------------------------------------------------------------- pushing (never part of the workflow)


def push(folder: str, repo_id: str, private: bool = False, api: Any = None) -> str:
    """Upload a verified release folder to a Hugging Face repo (a dataset repo; a model repo for a
    checkpoint); the token comes from HF_TOKEN. Refused while its card lacks a header field
    (:func:`check_card`) or cites the thesis with a value CITATION.cff has not filled in."""
    token = os.environ.get(TOKEN_ENV, "")
    if not token:
        raise SynthrankError(f"push: needs a Hugging Face token in environment variable {TOKEN_ENV} (not set)")
    sums = verify_release(folder)
    kind = release_kind(folder)
    repo_type = KINDS[kind][1]
    card = (Path(folder) / CARD).read_text(encoding="utf-8")
    check_card(card, kind, Path(folder) / CARD)
    if citation.UNFILLED in card:
        raise SynthrankError(
            f"{Path(folder) / CARD}: the thesis citation still says {citation.UNFILLED!r}: fill in CITATION.cff "
            "(preferred-citation), rebuild the release, then push"
        )
    if api is None:
        from huggingface_hub import HfApi

        api = HfApi(token=token)
    api.create_repo(repo_id=repo_id, repo_type=repo_type, private=private, exist_ok=True)
    label, main_file = ("data", DATA_FILE) if DATA_FILE in sums else ("metadata", METADATA)
    api.upload_folder(
        repo_id=repo_id,
        repo_type=repo_type,
        folder_path=str(folder),
        allow_patterns=sorted([*sums, CHECKSUMS]),
        commit_message=f"synthrank release ({label} {sums[main_file][:12]})",
    )
    prefix = "" if repo_type == "model" else "datasets/"
    return f"https://huggingface.co/{prefix}{repo_id}"


def fetch(source: str, repo_type: str = "dataset", api: Any = None) -> Path:
    """A verified release folder: ``source`` itself if it is a folder, else the Hub repository
    ``owner/name`` downloaded to the Hugging Face cache (public repos need no token; HF_TOKEN is
    used where set). Offline, a local folder is all it reads."""
    path = Path(source)
    if path.is_dir():
        verify_release(path)
        return path
    if not re.fullmatch(r"[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*", source) or path.exists():
        raise SynthrankError(f"{source}: neither a release folder nor a Hub repository id (owner/name)")
    if api is None:
        import huggingface_hub

        api = huggingface_hub
    try:
        local = api.snapshot_download(repo_id=source, repo_type=repo_type, token=os.environ.get(TOKEN_ENV) or None)
    except Exception as exc:  # the Hub client's errors (offline, not found, gated) in one line
        raise SynthrankError(
            f"{source}: cannot download the {repo_type} repository: {type(exc).__name__}: {exc}"
        ) from exc
    verify_release(local)
    return Path(local)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="synthrank release", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    push_cmd = commands.add_parser("push", help=f"upload a release folder to the Hub (token from {TOKEN_ENV})")
    push_cmd.add_argument("folder")
    push_cmd.add_argument("repo_id", help="<user or org>/<dataset name>")
    push_cmd.add_argument("--private", action="store_true")
    verify_cmd = commands.add_parser("verify", help="check a release folder against its checksums")
    verify_cmd.add_argument("folder")
    args = parser.parse_args(argv)
    try:
        if args.command == "push":
            print(push(args.folder, args.repo_id, args.private))
        else:
            print(f"{args.folder}: {len(verify_release(args.folder))} files match {CHECKSUMS}")
    except SynthrankError as exc:
        print(f"synthrank: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
