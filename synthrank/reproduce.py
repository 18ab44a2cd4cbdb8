"""Reproducing the thesis at three levels, each one command (README, "Reproducing the thesis").

    synthrank reproduce tables BUNDLE    level 1: rebuild every table, figure and significance test
                                         from a results bundle's runs and metrics; compare byte for byte
    synthrank reproduce models BUNDLE    level 2: retrain from the released corpora, compare each cell
                                         with the bundle's numbers within the seed-variance tolerance
    synthrank reproduce all              level 3: the whole grid, after the cost estimate and a yes

``BUNDLE`` is a results bundle folder (:mod:`synthrank.bundle`) or its Hub id. Levels 1 and 2 run
the workflow in a folder of their own (``--workdir``, default ``results/reproduce/<level>/``) with
the bundle's config, so a checkout's own results are never touched; the Snakemake targets behind
them are ``results/reproduce/tables.md`` (rule ``compare_tables``) and ``results/reproduce/models.md``
(rule ``compare_models``), which write the verdicts this command prints.

**Level 2's tolerance** is measured by the workflow (rule ``seed_variance``,
``results/significance/seed-variance.csv``, part of the bundle): the standard deviation of the
official measure over seeds, pooled over every cell (corpus x collection) of an architecture that
was trained with more than one seed, ``s² = Σ (x - mean of its cell)² / df`` with ``df`` = the sum
of (seeds - 1) over those cells. ``reproduce.pool`` says over what: ``architecture`` (the default)
pools an architecture's cells on every collection that shares an official measure (one row per
architecture and measure); ``collection`` pools only its corpora on one collection (one row per
architecture and collection). A cell's mean over ``m`` retrained seeds and the bundle's mean over the
same seeds differ, if the retraining varies as a new seed would, with standard deviation
``s * sqrt(2 / m)``; the tolerance is that times Student's t quantile at ``reproduce.confidence``
(default 0.95, two-sided) with ``df`` degrees of freedom. With no seed variance measured (one seed
per cell) the tolerance is 0: only an exact match reproduces.

*Why pool.* Each cell alone has ``seeds - 1`` degrees of freedom (1 in the demo, 2 in the thesis):
its standard deviation is a guess, and Student's t at 1 or 2 df (12.7, 4.30) turns it into a
tolerance wider than what training does, wide enough that an untrained model would pass. Pooling
assumes what the seeds' role makes plausible: one architecture, trained by one recipe for its step
budget, varies over seeds by about as much on every corpus and, for test collections of a similar
size, on every collection, while the cells' means differ freely (each cell's own mean is removed;
only the spread is shared). Where that fails, a cell noisier than the pool is found outside
tolerance more often than ``1 - confidence`` (a false alarm, never a false pass), and a cell
quieter than the pool gets a wider tolerance, which the floor check below catches when it is too
wide to tell a trained model from an untrained one. *When not to pool over collections:* when the
test collections differ much in size or kind (the thesis: TREC-COVID's 50 queries beside
ArguAna's 1,406; the spread of a mean over queries shrinks with their number), one pooled spread is
too wide for the large collections and too narrow for the small ones; ``pool: collection`` then
estimates each collection's own (the thesis grid has ``df`` = 2 x its corpora per collection,
enough). Never pooled: architectures (their recipes differ) and measures (their scales differ).

**Verdicts.** A cell is *outside tolerance* when ``|difference| > tolerance``, whatever else holds.
Within tolerance it is *reproduced* only if the tolerance discriminates: the cell is *conclusive*
when the distance from the bundle's mean to its floor (:func:`synthrank.grid.floor_of`: the
cross-encoder's random order of its candidates, the bi-encoder's untuned base model; the bundle's
metric file of that row on the same collection) is larger than the tolerance, so that a retrained
model that learned nothing (scoring the floor) would fall outside it. Otherwise the cell is
*inconclusive*: its retrained mean is within tolerance, but so would the floor be; a cell whose
architecture has no floor row configured is inconclusive too (nothing shows that its tolerance
discriminates). ``synthrank reproduce models`` exits with 0 only if no cell is outside tolerance:
every conclusive cell reproduced; inconclusive cells are counted in the summary line, not failed.
"""

from __future__ import annotations

import argparse
import csv
import fnmatch
import io
import json
import math
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from synthrank.bundle import CONFIG, PUBLISHED, bundle_files, read_metadata, stage_inputs
from synthrank.errors import SynthrankError
from synthrank.io import atomic_write, read_json, write_json
from synthrank.paradigms import RELEASE, TRAINING_KEYS
from synthrank.release import DATA_FILE, fetch, release_kind, sha256_file

#: the rules level 1 may run: the results rules of rules/report.smk and the comparison; every
#: other file (runs, metrics, ledgers, timings) comes from the bundle
TABLE_RULES = (
    "significance_tests",
    "floor_tests",
    "check_training",  # not a level-1 target (it reads model folders), allowed as a rule of report.smk
    "seed_variance",
    "overview_table",
    "effectiveness_table",
    "cost_table",
    "id_ood_figure",
    "gain_figure",
    "size_figure",
    "cost_figure",
    "check_bm25",
    "check_dense",
    "compare_tables",
)
TABLES_TARGET = "results/reproduce/tables.md"
MODELS_TARGET = "results/reproduce/models.md"
#: a file in a reproduction folder that says it is one (only such a folder is emptied)
MARKER = ".synthrank-reproduce"
#: the seed variance level 2's tolerance comes from (rule seed_variance), at its bundle path
SEED_VARIANCE = "results/significance/seed-variance.csv"
VARIANCE_COLUMNS = ("arch", "metric", "collections", "cells", "seeds", "df", "pooled_std")
#: reproduce.pool: what one seed-variance row pools over (module docstring)
POOLS = ("architecture", "collection")
#: the verdicts of a level-2 cell, in the summary line's order
VERDICTS = ("reproduced", "outside tolerance", "inconclusive")


# ---------------------------------------------------------------- seed variance (rule seed_variance)


def seed_variance(
    entries: Sequence[Mapping[str, Any]], out_csv: str, pool: str = "architecture"
) -> list[dict[str, Any]]:
    """The pooled standard deviation over seeds of the official measure (module docstring), one row
    per architecture and measure (``pool="architecture"``) or per architecture and collection
    (``pool="collection"``). ``entries``: the metric entries of the trained models (as the tables
    read them). ``collections`` lists the collections a row pools, space-separated; ``cells``
    counts the cells (corpus x collection) with more than one seed, the ones that give ``df``."""
    from synthrank.report import collect_scores

    if pool not in POOLS:
        raise SynthrankError(f"reproduce.pool: {pool!r} is not one of {', '.join(POOLS)}")
    scores = collect_scores(entries)
    keys = ["arch", "metric"] if pool == "architecture" else ["arch", "collection", "metric"]
    rows = []
    for _, group in scores.groupby(keys, sort=False):
        # each cell's own mean removed: the squares of its deviations, its seeds - 1 degrees of freedom
        cells = group.groupby(["corpus", "collection"], sort=False)["score"]
        seeds = cells.count()
        squares = float(((group["score"] - cells.transform("mean")) ** 2).sum())
        df = int((seeds - 1).sum())
        rows.append(
            {
                "arch": group["arch"].iloc[0],
                "metric": group["metric"].iloc[0],
                "collections": " ".join(dict.fromkeys(group["collection"])),
                "cells": int((seeds > 1).sum()),
                "seeds": int(seeds.sum()),
                "df": df,
                "pooled_std": round(math.sqrt(squares / df), 6) if df else 0.0,
            }
        )
    with atomic_write(out_csv) as handle:
        writer = csv.DictWriter(handle, fieldnames=VARIANCE_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return rows


def read_variance(path: str | os.PathLike[str]) -> dict[tuple[str, str, str], tuple[float, int]]:
    """(arch, collection, metric) -> (pooled std, degrees of freedom) of a seed-variance file: each
    row's value for every collection it pools."""
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise SynthrankError(f"{path}: cannot read the seed variance ({exc.strerror})") from None
    try:
        return {
            (r["arch"], collection, r["metric"]): (float(r["pooled_std"]), int(r["df"]))
            for r in rows
            for collection in r["collections"].split()
        }
    except (KeyError, ValueError, AttributeError) as exc:
        raise SynthrankError(
            f"{path}: not a seed-variance file of this version (columns {', '.join(VARIANCE_COLUMNS)})"
        ) from exc


def tolerance(pooled_std: float, df: int, seeds: int, confidence: float) -> float:
    """How far a mean over ``seeds`` retrained seeds may lie from the published mean over the same
    seeds (module docstring); 0 where no seed variance was measured."""
    if df < 1 or pooled_std <= 0:
        return 0.0
    from scipy.stats import t

    return float(t.ppf((1 + confidence) / 2, df) * pooled_std * math.sqrt(2 / seeds))


def verdict(difference: float, bound: float, floor_distance: float | None) -> tuple[str, bool]:
    """A cell's verdict and whether it is conclusive (module docstring): ``floor_distance`` is
    ``|published - floor|`` (None: no floor row). A retrained model at its floor would differ from
    the published mean by exactly that distance, so the cell is conclusive when that is outside
    the tolerance."""
    conclusive = floor_distance is not None and not _within(floor_distance, bound)
    if not _within(difference, bound):
        return "outside tolerance", conclusive
    return ("reproduced" if conclusive else "inconclusive"), conclusive


def _within(difference: float, bound: float) -> bool:
    return abs(difference) <= bound + 1e-12  # a rounding error of the means is no difference


# ---------------------------------------------------------------- cells (level 2)


def select_cells(models: Sequence[tuple[str, str, int]], patterns: Sequence[str]) -> list[tuple[str, str, int]]:
    """The trained models (arch, corpus, seed) that ``patterns`` name: ``ARCH/CORPUS[/seedN]``,
    each part a shell pattern (``cross-encoder/*``, ``*/human/seed1``); all for no pattern."""
    if not patterns:
        return list(models)
    chosen: dict[tuple[str, str, int], None] = {}
    for i, pattern in enumerate(patterns):
        parts = pattern.strip("/").split("/")
        if len(parts) == 2:
            parts.append("*")
        if len(parts) != 3 or not parts[2].startswith(("seed", "*")):
            raise SynthrankError(f"reproduce.cells.{i}: {pattern!r} is not ARCH/CORPUS or ARCH/CORPUS/seedN")
        hits = [
            m
            for m in models
            if fnmatch.fnmatchcase(m[0], parts[0])
            and fnmatch.fnmatchcase(m[1], parts[1])
            and fnmatch.fnmatchcase(f"seed{m[2]}", parts[2])
        ]
        if not hits:
            raise SynthrankError(f"reproduce.cells.{i}: {pattern!r} names no trained model of the grid")
        chosen.update(dict.fromkeys(hits))
    return [m for m in models if m in chosen]


def compare_models(
    entries: Sequence[Mapping[str, Any]],
    floors: Sequence[Mapping[str, Any]],
    bundle: str,
    confidence: float,
    out_csv: str,
    out_md: str,
) -> list[dict[str, Any]]:
    """Each cell (architecture, corpus, collection) of the retrained models against the bundle's
    metric files of the same seeds, and its distance to its floor (``floors``: the metric entries
    of each architecture's floor row, read from the bundle; an architecture without one has no
    floor); the verdict table (module docstring) as CSV and Markdown."""
    if not bundle:
        raise SynthrankError("reproduce.bundle is not set: run `synthrank reproduce models BUNDLE`")
    variance = read_variance(Path(bundle) / SEED_VARIANCE)
    floor_scores = {(f["arch"], f["collection"]): _score(_published(bundle, f), f["metric"]) for f in floors}
    cells: dict[tuple[str, str, str, str], list[tuple[float, float]]] = {}
    for entry in entries:
        key = (entry["arch"], entry["corpus"], entry["collection"], entry["metric"])
        pair = (_score(_published(bundle, entry), entry["metric"]), _score(entry["path"], entry["metric"]))
        cells.setdefault(key, []).append(pair)
    rows = []
    for (arch, corpus, collection, metric), pairs in cells.items():
        std, df = variance.get((arch, collection, metric), (0.0, 0))
        bound = tolerance(std, df, len(pairs), confidence)
        published = sum(p for p, _ in pairs) / len(pairs)
        reproduced = sum(r for _, r in pairs) / len(pairs)
        floor = floor_scores.get((arch, collection))
        distance = None if floor is None else abs(published - floor)
        outcome, conclusive = verdict(reproduced - published, bound, distance)
        rows.append(
            {
                "arch": arch,
                "corpus": corpus,
                "collection": collection,
                "metric": metric,
                "seeds": len(pairs),
                "published": round(published, 6),
                "reproduced": round(reproduced, 6),
                "difference": round(reproduced - published, 6),
                "tolerance": round(bound, 6),
                "floor": "" if floor is None else round(floor, 6),
                "floor_distance": "" if distance is None else round(distance, 6),
                "conclusive": conclusive,
                "verdict": outcome,
            }
        )
    with atomic_write(out_csv) as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]) if rows else ["verdict"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    with atomic_write(out_md) as handle:
        handle.write(models_markdown(rows, confidence))
    return rows


def summary(rows: Sequence[Mapping[str, Any]]) -> str:
    """Level 2's summary line: the cells per verdict."""
    counts = {name: sum(r["verdict"] == name for r in rows) for name in VERDICTS}
    cells = f"{len(rows)} cell{'' if len(rows) == 1 else 's'}"
    return f"# Level 2: {cells}: " + ", ".join(f"{n} {name}" for name, n in counts.items())


def models_markdown(rows: Sequence[Mapping[str, Any]], confidence: float) -> str:
    lines = [
        summary(rows),
        "",
        "Retrained from the released corpora; each cell's mean over the seeds retrained against the bundle's "
        f"mean over the same seeds; tolerance: the pooled seed variance the workflow measured, at confidence "
        f"{confidence}. A cell is conclusive when its distance to its floor (a random order of a cross-encoder's "
        "candidates, a bi-encoder's untuned model) exceeds the tolerance; within tolerance, an inconclusive cell "
        "is not called reproduced, since its floor would be within it too.",
        "",
        "| model | collection | metric | seeds | published | reproduced | difference | tolerance | floor "
        "| conclusive | verdict |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in rows:
        floor = "no floor" if r["floor"] == "" else f"{r['floor']:.4f}"
        lines.append(
            f"| {r['arch']} / {r['corpus']} | {r['collection']} | {r['metric']} | {r['seeds']} | {r['published']:.4f} "
            f"| {r['reproduced']:.4f} | {r['difference']:+.4f} | {r['tolerance']:.4f} | {floor} "
            f"| {'yes' if r['conclusive'] else 'no'} | {r['verdict']} |"
        )
    return "\n".join(lines) + "\n"


def exit_status(models_csv: str | os.PathLike[str]) -> int:
    """Level 2's exit status from its verdict table: 1 if a cell is outside tolerance, else 0 (every
    conclusive cell reproduced; an inconclusive cell is counted in the summary, not failed)."""
    with open(models_csv, encoding="utf-8", newline="") as handle:
        return 1 if any(r["verdict"] == "outside tolerance" for r in csv.DictReader(handle)) else 0


def _published(bundle: str, entry: Mapping[str, Any]) -> Path:
    published = Path(bundle) / entry["path"]
    if not published.is_file():
        raise SynthrankError(f"{published}: missing: the bundle has no published value for {entry['path']}")
    return published


def _score(path: str | os.PathLike[str], metric: str) -> float:
    data = read_json(path)
    if metric not in data.get("metrics", {}):
        raise SynthrankError(f"{path}: no value for {metric}")
    return float(data["metrics"][metric])


# ---------------------------------------------------------------- tables (level 1)


def _label(row: Sequence[str]) -> str:
    """A CSV row's name: its leading cells up to the first number (a table's row label; a test's
    architecture, corpus, reference, collection and metric)."""
    parts = []
    for cell in row:
        try:
            float(cell)
            break
        except ValueError:
            parts.append(cell)
    return " / ".join(parts) or "(row)"


def csv_differences(published: str, rebuilt: str, limit: int = 40) -> list[str]:
    """The cells in which two CSV texts differ, each as ``row 'label', column 'name': bundle X, rebuilt Y``."""
    old, new = list(csv.reader(io.StringIO(published))), list(csv.reader(io.StringIO(rebuilt)))
    if not old or not new or old[0] != new[0]:
        return [f"columns: bundle {old[0] if old else []}, rebuilt {new[0] if new else []}"]
    header, out = old[0], []
    old_rows = {_label(r): r for r in old[1:]}
    new_rows = {_label(r): r for r in new[1:]}
    for label in dict.fromkeys([*old_rows, *new_rows]):
        if label not in new_rows or label not in old_rows:
            out.append(f"row {label!r}: {'only in the bundle' if label not in new_rows else 'not in the bundle'}")
            continue
        a, b = old_rows[label], new_rows[label]
        for i in range(max(len(a), len(b))):
            x, y = (a[i] if i < len(a) else ""), (b[i] if i < len(b) else "")
            if x != y:
                column = header[i] if i < len(header) else str(i)
                out.append(f"row {label!r}, column {column!r}: bundle {x!r}, rebuilt {y!r}")
    if len(old) - 1 != len(old_rows) and old != new and not out:
        out.append("rows with the same label differ in order or content")
    return out[:limit] + ([f"... and {len(out) - limit} more"] if len(out) > limit else [])


def _kind(path: str) -> str:
    if path.startswith("figures/"):
        return "figure"
    if path.startswith("results/checks/"):
        return "check"
    return "significance" if path.startswith("results/significance/") else "table"


def compare_tables(rebuilt: Sequence[str], bundle: str, out_json: str, out_md: str) -> dict[str, Any]:
    """Every rebuilt table, significance test, check and figure against the bundle's, byte for byte;
    a differing CSV lists its cells. Tables, tests and checks must match; figures are reported (their
    pixels depend on matplotlib's version and fonts, their numbers are the tables')."""
    if not bundle:
        raise SynthrankError("reproduce.bundle is not set: run `synthrank reproduce tables BUNDLE`")
    published = {row["path"] for row in bundle_files(bundle, PUBLISHED)}
    files = []
    for path in sorted(set(rebuilt) | published):
        kind, theirs = _kind(path), Path(bundle) / path
        entry: dict[str, Any] = {"path": path, "kind": kind, "identical": False, "cells": []}
        if path not in published:
            entry["cells"] = ["not in the bundle"]
        elif path not in rebuilt:
            entry["cells"] = ["in the bundle, not rebuilt"]
        else:
            mine, ours = Path(path).read_bytes(), theirs.read_bytes()
            entry["identical"] = mine == ours
            if not entry["identical"] and path.endswith(".csv"):
                entry["cells"] = csv_differences(ours.decode("utf-8"), mine.decode("utf-8")) or ["bytes differ"]
            elif not entry["identical"]:
                entry["cells"] = ["bytes differ" + (" (see the .csv's cells)" if kind == "table" else "")]
        files.append(entry)
    strict = [f for f in files if f["kind"] != "figure"]
    figures = [f for f in files if f["kind"] == "figure"]
    verdict = {
        "ok": all(f["identical"] for f in strict),
        "identical": sum(f["identical"] for f in strict),
        "compared": len(strict),
        "figures_identical": sum(f["identical"] for f in figures),
        "figures": len(figures),
        "files": files,
    }
    write_json(out_json, verdict)
    head = (
        f"# Level 1: {verdict['identical']} of {verdict['compared']} tables, significance tests and checks "
        f"byte-identical to the bundle's; figures {verdict['figures_identical']} of {verdict['figures']}"
    )
    lines = [head, ""]
    lines += ["All byte-identical." if verdict["ok"] else "Differences:", ""]
    for f in files:
        if not f["identical"]:
            lines += [f"- `{f['path']}` ({f['kind']}{', reported only' if f['kind'] == 'figure' else ''})"]
            lines += [f"  - {cell}" for cell in f["cells"]]
    with atomic_write(out_md) as handle:
        handle.write("\n".join(lines).rstrip() + "\n")
    return verdict


# ---------------------------------------------------------------- configs of the reproduction folders

#: config keys that hold a path relative to the checkout: (section, key)
PATH_KEYS = (("datasets", "path"), ("corpora", "template"), ("corpora", "path"))


def localized_config(config: Mapping[str, Any], root: Path) -> dict[str, Any]:
    """The config with its paths (:data:`PATH_KEYS`) made absolute against the checkout ``root``,
    so that the workflow runs in another folder."""
    out = json.loads(json.dumps(dict(config)))
    for section, key in PATH_KEYS:
        for spec in out.get(section, {}).values():
            if key in spec and not Path(spec[key]).is_absolute():
                spec[key] = str((root / spec[key]).resolve())
    return out


def release_config(
    config: Mapping[str, Any], releases: Mapping[str, str], root: Path, bundle: str, cells: Sequence[str]
) -> dict[str, Any]:
    """Level 2's config: the bundle's, each released corpus read from its release folder
    (``releases``: corpus -> folder) instead of being generated or built, its training settings
    kept; ``reproduce`` names the bundle and the cells."""
    out = localized_config(config, root)
    for name in releases:
        if name not in out["corpora"]:
            raise SynthrankError(f"{bundle}: metadata.json names corpus {name!r}, which its config.yaml does not")
        own = {key: value for key, value in out["corpora"][name].items() if key in TRAINING_KEYS}
        out["corpora"][name] = {"paradigm": RELEASE, "path": str(Path(releases[name]).resolve()), **own}
    missing = [n for n, spec in out["corpora"].items() if spec["paradigm"] != RELEASE]
    if missing:
        raise SynthrankError(f"{bundle}: no corpus release recorded for corpus {missing[0]!r}")
    out["reproduce"] = {**out.get("reproduce", {}), "bundle": str(Path(bundle).resolve()), "cells": list(cells)}
    return out


def corpus_releases(bundle: Path, source: str, corpora: str | None) -> dict[str, str]:
    """Corpus -> its verified release folder, the one whose Parquet SHA-256 the bundle records.
    ``corpora``: a folder of release folders (default: the bundle's own folder's parent, where the
    workflow writes them), or a Hub id with ``{corpus}`` in it (``me/synthrank-{corpus}``)."""
    meta = read_metadata(bundle)
    if corpora is None:
        if not Path(source).is_dir():
            raise SynthrankError(f"{source}: a bundle from the Hub needs CORPORA (a Hub id with {{corpus}} in it)")
        corpora = str(bundle.parent)
    found = {}
    for name, record in meta.get("corpora", {}).items():
        where = corpora.format(corpus=name) if "{corpus}" in corpora else str(Path(corpora) / record["release"])
        folder = fetch(where)
        if release_kind(folder) != "corpus":
            raise SynthrankError(f"{where}: not a corpus release")
        digest = sha256_file(Path(folder) / DATA_FILE)
        if digest != record["parquet_sha256"]:
            raise SynthrankError(
                f"{where}: its Parquet SHA-256 {digest[:12]}... is not the {record['parquet_sha256'][:12]}... "
                f"the bundle was made from (another version of corpus {name!r})"
            )
        found[name] = str(folder)
    return found


# ---------------------------------------------------------------- the commands


def _workdir(path: str) -> Path:
    """An empty reproduction folder: a new one, or one this command made before (emptied)."""
    folder = Path(path)
    if folder.exists() and any(folder.iterdir()):
        if not (folder / MARKER).is_file():
            raise SynthrankError(f"{folder}: exists and is not a reproduction folder; choose another --workdir")
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text("made by synthrank reproduce; emptied by its next run\n", encoding="utf-8")
    return folder


def _snakefile() -> Path:
    snakefile = Path.cwd() / "Snakefile"
    if not snakefile.is_file():
        raise SynthrankError(f"{Path.cwd()}: no Snakefile here; run synthrank reproduce in the repository's root")
    return snakefile


def _snakemake(args: Sequence[str], env: Mapping[str, str] | None = None) -> int:
    command = [sys.executable, "-m", "snakemake", *args]
    print("+ snakemake " + " ".join(args[:]), file=sys.stderr, flush=True)
    return subprocess.run(command, env={**os.environ, **(env or {})}, check=False).returncode


def _results_bundle(source: str) -> Path:
    bundle = fetch(source)
    if release_kind(bundle) != "results":
        raise SynthrankError(f"{source}: not a results bundle (its metadata.json kind is {release_kind(bundle)!r})")
    return bundle


def _write_config(path: Path, config: Mapping[str, Any]) -> None:
    with atomic_write(path) as handle:
        yaml.safe_dump(dict(config), handle, sort_keys=False, allow_unicode=True)


def _dry(args: Sequence[str]) -> bool:
    return any(a in ("-n", "--dry-run", "--dryrun") for a in args)


def tables(source: str, workdir: str, cores: int, args: Sequence[str] = ()) -> int:
    """Level 1; returns the exit status (0: every table identical)."""
    snakefile, bundle = _snakefile(), _results_bundle(source)
    folder = _workdir(workdir)
    stage_inputs(bundle, folder)
    config = yaml.safe_load((bundle / CONFIG).read_text(encoding="utf-8"))
    config = localized_config(config, snakefile.parent)
    config["reproduce"] = {**config.get("reproduce", {}), "bundle": str(bundle.resolve())}
    _write_config(folder / CONFIG, config)
    rc = _snakemake(
        [
            "--snakefile", str(snakefile), "--directory", str(folder), "--configfile", str(folder / CONFIG),
            "--cores", str(cores), "--allowed-rules", *TABLE_RULES, *args, "--", TABLES_TARGET,
        ],
        env={"SYNTHRANK_OFFLINE": "1"},  # nothing is generated: no API key is needed
    )  # fmt: skip
    if rc or _dry(args):
        return rc
    print((folder / TABLES_TARGET).read_text(encoding="utf-8"))
    return 0 if read_json(folder / "results/reproduce/tables.json")["ok"] else 1


def models(
    source: str, workdir: str, cores: int, cells: Sequence[str], corpora: str | None, args: Sequence[str]
) -> int:
    """Level 2; returns the exit status (0: no cell outside tolerance, i.e. every conclusive cell
    reproduced; an inconclusive cell does not fail it)."""
    snakefile, bundle = _snakefile(), _results_bundle(source)
    releases = corpus_releases(bundle, source, corpora)
    config = yaml.safe_load((bundle / CONFIG).read_text(encoding="utf-8"))
    config = release_config(config, releases, snakefile.parent, str(bundle), cells)
    folder = _workdir(workdir)
    _write_config(folder / CONFIG, config)
    rc = _snakemake(
        [
            "--snakefile", str(snakefile), "--directory", str(folder), "--configfile", str(folder / CONFIG),
            "--cores", str(cores), *args, "--", MODELS_TARGET,
        ]
    )  # fmt: skip
    if rc or _dry(args):
        return rc
    print((folder / MODELS_TARGET).read_text(encoding="utf-8"))
    return exit_status(folder / "results/reproduce/models.csv")


def everything(configfile: str, cores: int, yes: bool, args: Sequence[str], ask: Callable[[str], str] = input) -> int:
    """Level 3: the cost estimate first (built with no API key: it sends no request), then, once
    confirmed, the whole grid."""
    snakefile = _snakefile()
    try:  # the estimate's path; Snakemake validates the whole config
        train_dataset = yaml.safe_load(Path(configfile).read_text(encoding="utf-8"))["training"]["dataset"]
    except (OSError, yaml.YAMLError, TypeError, KeyError) as exc:
        raise SynthrankError(f"{configfile}: cannot read training.dataset ({type(exc).__name__})") from None
    estimate = f"results/costs/{train_dataset}/estimate.md"
    base = ["--snakefile", str(snakefile), "--configfile", configfile, "--cores", str(cores), *args]
    rc = _snakemake(
        [*[a for a in base if a not in ("-n", "--dry-run", "--dryrun")], "--", estimate], {"SYNTHRANK_OFFLINE": "1"}
    )
    if rc:
        return rc
    print(Path(estimate).read_text(encoding="utf-8"))
    if not yes:
        try:
            answer = ask("Run the whole grid at this cost (API dollars, tokens, GPU-hours above)? [y/N] ")
        except EOFError:
            answer = ""
        if answer.strip().lower() not in ("y", "yes"):
            print("synthrank: not confirmed; nothing else was run", file=sys.stderr)
            return 1
    return _snakemake(base)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="synthrank reproduce", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (("tables", "level 1: tables from a results bundle"), ("models", "level 2: retrain")):
        cmd = commands.add_parser(name, help=text)
        cmd.add_argument("bundle", help="a results bundle folder or its Hub id (owner/name)")
        cmd.add_argument("--workdir", default=f"results/reproduce/{name}")
    models_cmd = commands.choices["models"]
    models_cmd.add_argument("--cells", default="", help="ARCH/CORPUS[/seedN] patterns, comma- or space-separated")
    models_cmd.add_argument("--corpora", help="a folder of corpus releases, or a Hub id with {corpus} in it")
    all_cmd = commands.add_parser("all", help="level 3: the cost estimate, a confirmation, the whole grid")
    all_cmd.add_argument("--configfile", default="config/config.yaml")
    all_cmd.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    for cmd in commands.choices.values():
        cmd.add_argument("--cores", type=int, default=2)
    parser.epilog = "Arguments after -- go to snakemake (e.g. -- -n for a dry run)."
    argv = list(sys.argv[1:] if argv is None else argv)
    cut = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:cut])
    args.snakemake_args = argv[cut + 1 :]
    try:
        if args.command == "tables":
            return tables(args.bundle, args.workdir, args.cores, args.snakemake_args)
        if args.command == "models":
            cells = [c for c in args.cells.replace(",", " ").split() if c]
            return models(args.bundle, args.workdir, args.cores, cells, args.corpora, args.snakemake_args)
        return everything(args.configfile, args.cores, args.yes, args.snakemake_args)
    except SynthrankError as exc:
        print(f"synthrank: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
