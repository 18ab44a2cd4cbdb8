"""The three reproduction levels' logic (synthrank.reproduce): the seed variance and the tolerance it
gives, the cell and table comparisons, the configs of the reproduction folders, level 3's prompt."""

from __future__ import annotations

import csv
import json
import math
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from synthrank import bundle, provenance, release, reproduce
from synthrank.config import validate
from synthrank.errors import SynthrankError

from .conftest import REPO


def metric(path: str | Path, value: float) -> str:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps({"metrics": {"ndcg@10": value}}))
    return str(path)


def entry(path: str, arch: str, corpus: str, seed: int, collection: str = "cook/test") -> dict[str, Any]:
    return {"path": path, "arch": arch, "corpus": corpus, "seed": seed, "collection": collection, "metric": "ndcg@10"}


SCORES = {("human", 1): 0.50, ("human", 2): 0.60, ("zs", 1): 0.40, ("zs", 2): 0.44}


def test_seed_variance_pools_the_corpora(tmp_path: Path) -> None:
    entries = [entry(metric(tmp_path / f"{c}{s}.json", v), "ce", c, s) for (c, s), v in SCORES.items()]
    entries.append(entry(metric(tmp_path / "one.json", 0.3), "ce", "single", 1))  # one seed: no variance
    entries.append(entry(metric(tmp_path / "bi.json", 0.7), "bi", "human", 1))
    rows = reproduce.seed_variance(entries, str(tmp_path / "v.csv"))
    # (0.05^2 * 2 + 0.02^2 * 2) / (1 + 1) degrees of freedom
    expected = math.sqrt((0.05**2 * 2 + 0.02**2 * 2) / 2)
    assert rows[0] == {
        "arch": "ce", "collection": "cook/test", "metric": "ndcg@10", "models": 2, "seeds": 5, "df": 2,
        "pooled_std": round(expected, 6),
    }  # fmt: skip
    assert rows[1]["df"] == 0 and rows[1]["pooled_std"] == 0.0
    assert reproduce.read_variance(tmp_path / "v.csv") == {
        ("ce", "cook/test"): (round(expected, 6), 2),
        ("bi", "cook/test"): (0.0, 0),
    }


def test_tolerance_is_students_t_times_the_spread_of_a_difference_of_means() -> None:
    # t(0.975, 2 df) = 4.302653; a difference of two means of 2 seeds each: s * sqrt(2/2)
    assert reproduce.tolerance(0.05, 2, 2, 0.95) == pytest.approx(4.302653 * 0.05, abs=1e-6)
    assert reproduce.tolerance(0.05, 2, 1, 0.95) == pytest.approx(4.302653 * 0.05 * math.sqrt(2), abs=1e-6)
    assert reproduce.tolerance(0.05, 1000, 2, 0.95) == pytest.approx(1.962339 * 0.05, abs=1e-6)
    assert reproduce.tolerance(0.0, 0, 2, 0.95) == 0.0  # no seed variance measured: exact match only


MODELS = [("ce", "human", 1), ("ce", "human", 2), ("ce", "zs", 1), ("bi", "human", 1)]


def test_select_cells() -> None:
    assert reproduce.select_cells(MODELS, []) == MODELS
    assert reproduce.select_cells(MODELS, ["ce/human"]) == MODELS[:2]
    assert reproduce.select_cells(MODELS, ["*/human/seed1"]) == [MODELS[0], MODELS[3]]
    assert reproduce.select_cells(MODELS, ["bi/*", "ce/zs/seed1"]) == [MODELS[2], MODELS[3]]
    with pytest.raises(SynthrankError, match=r"^reproduce.cells.0: 'ce/nothing' names no trained model of the grid$"):
        reproduce.select_cells(MODELS, ["ce/nothing"])
    with pytest.raises(SynthrankError, match=r"reproduce.cells.1: 'ce' is not ARCH/CORPUS or ARCH/CORPUS/seedN"):
        reproduce.select_cells(MODELS, ["ce/human", "ce"])


def test_compare_models_gives_a_verdict_per_cell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    published = tmp_path / "bundle"
    (published / "results/significance").mkdir(parents=True)
    (published / "results/significance/seed-variance.csv").write_text(
        "arch,collection,metric,models,seeds,df,pooled_std\nce,cook/test,ndcg@10,2,4,2,0.01\n"
    )
    monkeypatch.chdir(tmp_path)
    entries = []
    for (corpus, seed), value in SCORES.items():
        path = f"results/metrics/cook/test/ce/cook/{corpus}/seed{seed}.json"
        metric(published / path, value)
        # human: reproduced within the tolerance (4.30 * 0.01 = 0.043 for two seeds); zs: 0.1 off
        metric(path, value + (0.01 if corpus == "human" else 0.1))
        entries.append(entry(path, "ce", corpus, seed))
    rows = reproduce.compare_models(entries, str(published), 0.95, "m.csv", "m.md")
    assert [(r["corpus"], r["seeds"], r["verdict"]) for r in rows] == [
        ("human", 2, "reproduced"),
        ("zs", 2, "outside tolerance"),
    ]
    assert rows[0]["published"] == 0.55 and rows[0]["difference"] == 0.01 and rows[0]["tolerance"] == 0.043027
    text = Path("m.md").read_text()
    assert text.startswith("# Level 2: 1 of 2 cells reproduced")
    assert "| ce / zs | cook/test | ndcg@10 | 2 | 0.4200 | 0.5200 | +0.1000 | 0.0430 | outside tolerance |" in text
    with open("m.csv", newline="") as handle:
        assert [r["verdict"] for r in csv.DictReader(handle)] == ["reproduced", "outside tolerance"]
    with pytest.raises(
        SynthrankError, match=r"bundle/results/metrics/other.json: missing: the bundle has no published"
    ):
        reproduce.compare_models(
            [entry(metric("results/metrics/other.json", 0.1), "ce", "x", 1)], str(published), 0.95, "a", "b"
        )
    with pytest.raises(SynthrankError, match=r"^reproduce.bundle is not set"):
        reproduce.compare_models(entries, "", 0.95, "a", "b")


def test_csv_differences_name_row_and_column() -> None:
    old = "system,cook/test,cook/test sig\nBM25,0.8270,\nce / human,0.4930,+\n"
    assert reproduce.csv_differences(old, old) == []
    new = old.replace("0.4930", "0.4940")
    assert reproduce.csv_differences(old, new) == [
        "row 'ce / human', column 'cook/test': bundle '0.4930', rebuilt '0.4940'"
    ]
    assert reproduce.csv_differences(old, old.replace("ce / human", "ce / zs")) == [
        "row 'ce / human': only in the bundle",
        "row 'ce / zs': not in the bundle",
    ]
    tests = "arch,corpus,reference,collection,metric,queries,p\nce,zs,human,cook/test,ndcg@10,30,0.01\n"
    assert reproduce.csv_differences(tests, tests.replace("0.01", "0.02")) == [
        "row 'ce / zs / human / cook/test / ndcg@10', column 'p': bundle '0.01', rebuilt '0.02'"
    ]


def published_bundle(tmp_path: Path, files: dict[str, str]) -> Path:
    """A results bundle holding ``files`` (path -> text) as published results."""
    roles = {"results/tables/": "table", "figures/": "figure", "results/significance/": "significance"}
    by_role: dict[str, list[str]] = {}
    for path, text in files.items():
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text)
        provenance.path_for(path).parent.mkdir(parents=True, exist_ok=True)
        provenance.path_for(path).write_text("{}")
        by_role.setdefault(next(r for p, r in roles.items() if path.startswith(p)), []).append(path)
    bundle.write_results_bundle(str(tmp_path / "bundle"), by_role, {"seeds": [1]}, {}, "cook")
    return tmp_path / "bundle"


def test_compare_tables_lists_the_cells_that_differ(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    table = "system,cook/test\nBM25,0.8270\nce / human,0.4930\n"
    files = {
        "results/tables/overview.csv": table,
        "results/tables/overview.md": "| BM25 | 0.827 |\n",
        "results/significance/ce.csv": "arch,p\nce,0.01\n",
        "figures/id-vs-ood.png": "pixels",
    }
    folder = str(published_bundle(tmp_path, files))
    verdict = reproduce.compare_tables(list(files), folder, "t.json", "t.md")
    assert verdict["ok"] and verdict["identical"] == verdict["compared"] == 3 and verdict["figures_identical"] == 1
    assert (
        Path("t.md")
        .read_text()
        .startswith(
            "# Level 1: 3 of 3 tables, significance tests and checks byte-identical to the bundle's; figures 1 of 1\n\nAll byte-identical."
        )
    )
    Path("results/tables/overview.csv").write_text(table.replace("0.4930", "0.4931"))
    Path("figures/id-vs-ood.png").write_text("other pixels")
    verdict = reproduce.compare_tables(list(files), folder, "t.json", "t.md")
    assert not verdict["ok"] and verdict["identical"] == 2
    text = Path("t.md").read_text()
    assert (
        "- `results/tables/overview.csv` (table)\n  - row 'ce / human', column 'cook/test': bundle '0.4930', rebuilt '0.4931'"
        in text
    )
    assert "- `figures/id-vs-ood.png` (figure, reported only)" in text
    assert json.loads(Path("t.json").read_text())["ok"] is False
    # a published file that was not rebuilt is a difference too
    verdict = reproduce.compare_tables(list(files)[1:], folder, "t.json", "t.md")
    assert "in the bundle, not rebuilt" in Path("t.md").read_text() and not verdict["ok"]


def test_level_2_config_reads_every_corpus_from_its_release(tmp_path: Path) -> None:
    config = {
        "datasets": {"cook": {"path": "data/demo/cooking", "splits": ["train"]}},
        "corpora": {
            "human": {"paradigm": "human", "negatives": {"source": "corpus"}},
            "zs": {"paradigm": "zero-shot", "generator": "g", "template": "config/prompts/zero-shot.txt", "queries": 5},
        },
        "reproduce": {"confidence": 0.9, "cells": []},
    }
    releases = {"human": str(tmp_path / "h"), "zs": str(tmp_path / "z")}
    out = reproduce.release_config(config, releases, REPO, str(tmp_path / "b"), ["ce/zs"])
    assert out["datasets"]["cook"]["path"] == str(REPO / "data/demo/cooking")
    assert out["corpora"] == {
        "human": {"paradigm": "release", "path": str(tmp_path / "h"), "negatives": {"source": "corpus"}},
        "zs": {"paradigm": "release", "path": str(tmp_path / "z")},
    }
    assert out["reproduce"] == {"confidence": 0.9, "cells": ["ce/zs"], "bundle": str(tmp_path / "b")}
    assert config["corpora"]["zs"]["paradigm"] == "zero-shot"  # the bundle's config is not changed
    with pytest.raises(SynthrankError, match=r"no corpus release recorded for corpus 'zs'"):
        reproduce.release_config(config, {"human": "h"}, REPO, "b", [])
    local = reproduce.localized_config(config, REPO)
    assert local["corpora"]["zs"]["template"] == str(REPO / "config/prompts/zero-shot.txt")


def test_corpus_releases_must_be_the_ones_the_bundle_was_made_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    data = Path("rel/human") / release.DATA_FILE
    data.parent.mkdir(parents=True)
    data.write_text("parquet")
    for name in (release.METADATA, release.CARD):
        Path("rel/human", name).write_text("{}")
    sums = {n: release.sha256_file(Path("rel/human", n)) for n in (release.DATA_FILE, release.METADATA, release.CARD)}
    Path("rel/human", release.CHECKSUMS).write_text("".join(f"{d}  {n}\n" for n, d in sums.items()))
    Path("rel/results").mkdir()
    record = {"corpora": {"human": {"release": "human", "parquet_sha256": sums[release.DATA_FILE]}}}
    Path("rel/results/metadata.json").write_text(json.dumps(record))
    assert reproduce.corpus_releases(Path("rel/results"), "rel/results", None) == {"human": "rel/human"}
    assert reproduce.corpus_releases(Path("rel/results"), "me/results", "rel/{corpus}") == {"human": "rel/human"}
    with pytest.raises(SynthrankError, match=r"a bundle from the Hub needs CORPORA"):
        reproduce.corpus_releases(Path("rel/results"), "me/results", None)
    record["corpora"]["human"]["parquet_sha256"] = "0" * 64
    Path("rel/results/metadata.json").write_text(json.dumps(record))
    with pytest.raises(
        SynthrankError, match=r"rel/human: its Parquet SHA-256 .* is not the 000000000000... the bundle"
    ):
        reproduce.corpus_releases(Path("rel/results"), "rel/results", None)


def test_level_3_prints_the_estimate_and_asks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    shutil.copytree(REPO / "config", tmp_path / "config")
    (tmp_path / "Snakefile").write_text("")
    monkeypatch.chdir(tmp_path)
    calls: list[tuple[list[str], dict[str, str] | None]] = []
    estimate = tmp_path / "results/costs/demo-cooking/estimate.md"

    def snakemake(args: list[str], env: dict[str, str] | None = None) -> int:
        calls.append((list(args), env))
        estimate.parent.mkdir(parents=True, exist_ok=True)
        estimate.write_text("| total | US$ 1.23 |\n")
        return 0

    monkeypatch.setattr(reproduce, "_snakemake", snakemake)
    assert reproduce.everything("config/demo.yaml", 2, False, ["-n"], ask=lambda prompt: "n") == 1
    out, err = capsys.readouterr()
    assert "| total | US$ 1.23 |" in out and err == "synthrank: not confirmed; nothing else was run\n"
    assert len(calls) == 1 and calls[0][0][-2:] == ["--", "results/costs/demo-cooking/estimate.md"]
    assert "-n" not in calls[0][0] and calls[0][1] == {"SYNTHRANK_OFFLINE": "1"}

    def eof(prompt: str) -> str:
        raise EOFError

    assert reproduce.everything("config/demo.yaml", 2, False, [], ask=eof) == 1 and len(calls) == 2
    assert reproduce.everything("config/demo.yaml", 2, False, ["-n"], ask=lambda prompt: "yes") == 0
    assert calls[-1][0][-1] == "-n" and calls[-1][1] is None and "--" not in calls[-1][0]
    assert reproduce.everything("config/demo.yaml", 2, True, [], ask=lambda prompt: pytest.fail("asked")) == 0


def test_level_1_runs_only_the_results_rules() -> None:
    rules = re.findall(r"^rule (\w+):", (REPO / "rules/report.smk").read_text(), re.M)
    assert set(reproduce.TABLE_RULES) == {*rules, "compare_tables"}


def test_a_reproduction_folder_is_emptied_only_if_it_is_one(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine/precious.txt").write_text("x")
    with pytest.raises(SynthrankError, match=r"mine: exists and is not a reproduction folder"):
        reproduce._workdir(str(tmp_path / "mine"))
    folder = reproduce._workdir(str(tmp_path / "new"))
    (folder / "old.txt").write_text("x")
    assert not (reproduce._workdir(str(folder)) / "old.txt").exists()


def test_config_reproduce_defaults_and_reserved_corpus_names(demo_config: dict) -> None:
    config = json.loads(json.dumps(demo_config))
    assert config["reproduce"] == {"cells": [], "confidence": 0.95}
    config["corpora"]["results"] = {"paradigm": "human"}
    with pytest.raises(
        SynthrankError, match=r"corpora.results: the name is taken by results/release/<dataset>/results/"
    ):
        validate(config)


def test_bad_bundle_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.chdir(REPO)
    assert reproduce.main(["tables", str(tmp_path)]) == 1
    assert capsys.readouterr().err == f"synthrank: {tmp_path}: not a synthrank release (no checksums.sha256)\n"


def test_level_3_config_without_training_dataset_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.chdir(REPO)
    assert reproduce.main(["all", "--configfile", "no/such.yaml"]) == 1
    assert capsys.readouterr().err == "synthrank: no/such.yaml: cannot read training.dataset (FileNotFoundError)\n"
