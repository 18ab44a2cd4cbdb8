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


def metric(path: str | Path, value: float, name: str = "ndcg@10") -> str:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps({"metrics": {name: value}}))
    return str(path)


def entry(
    path: str, arch: str, corpus: str, seed: int, collection: str = "cook/test", measure: str = "ndcg@10"
) -> dict[str, Any]:
    return {"path": path, "arch": arch, "corpus": corpus, "seed": seed, "collection": collection, "metric": measure}


SCORES = {("human", 1): 0.50, ("human", 2): 0.60, ("zs", 1): 0.40, ("zs", 2): 0.44}
#: (arch, corpus, collection, measure) -> the scores of its seeds
GRID = {
    ("ce", "human", "cook/test", "ndcg@10"): [0.50, 0.60],  # squares about the mean 0.005, 1 df
    ("ce", "zs", "cook/test", "ndcg@10"): [0.40, 0.44],  # 0.0008, 1 df
    ("ce", "single", "cook/test", "ndcg@10"): [0.30],  # one seed: no variance, no df
    ("ce", "human", "astro/test", "ndcg@10"): [0.70, 0.66],  # 0.0008, 1 df
    ("ce", "zs", "astro/test", "ndcg@10"): [0.30, 0.31, 0.35],  # mean 0.32: 0.0004 + 0.0001 + 0.0009, 2 df
    ("ce", "human", "marco/dev", "mrr@10"): [0.30, 0.32],  # another measure: 0.0002, 1 df
    ("bi", "human", "cook/test", "ndcg@10"): [0.70],
}


def grid_entries(folder: Path) -> list[dict[str, Any]]:
    return [
        entry(metric(folder / f"{a}-{c}-{col.replace('/', '-')}-{s}.json", v, m), a, c, s, col, m)
        for (a, c, col, m), values in GRID.items()
        for s, v in enumerate(values, 1)
    ]


def test_seed_variance_pools_the_cells_of_an_architecture(tmp_path: Path) -> None:
    rows = reproduce.seed_variance(grid_entries(tmp_path), str(tmp_path / "v.csv"))
    # ndcg@10 over both collections: (0.005 + 0.0008 + 0.0008 + 0.0014) / (1 + 1 + 1 + 2) = 0.0016
    assert rows == [
        {"arch": "ce", "metric": "ndcg@10", "collections": "cook/test astro/test", "cells": 4, "seeds": 10, "df": 5,
         "pooled_std": 0.04},
        {"arch": "ce", "metric": "mrr@10", "collections": "marco/dev", "cells": 1, "seeds": 2, "df": 1,
         "pooled_std": round(math.sqrt(0.0002), 6)},
        {"arch": "bi", "metric": "ndcg@10", "collections": "cook/test", "cells": 0, "seeds": 1, "df": 0,
         "pooled_std": 0.0},
    ]  # fmt: skip
    assert reproduce.read_variance(tmp_path / "v.csv") == {
        ("ce", "cook/test", "ndcg@10"): (0.04, 5),
        ("ce", "astro/test", "ndcg@10"): (0.04, 5),
        ("ce", "marco/dev", "mrr@10"): (round(math.sqrt(0.0002), 6), 1),
        ("bi", "cook/test", "ndcg@10"): (0.0, 0),
    }
    # the pooled tolerance: t(0.975, 5 df) = 2.570582 times 0.04 times sqrt(2 / m) for m seeds retrained
    std, df = reproduce.read_variance(tmp_path / "v.csv")[("ce", "astro/test", "ndcg@10")]
    assert reproduce.tolerance(std, df, 2, 0.95) == pytest.approx(2.570582 * 0.04, abs=1e-6)
    assert reproduce.tolerance(std, df, 1, 0.95) == pytest.approx(2.570582 * 0.04 * math.sqrt(2), abs=1e-6)
    assert reproduce.tolerance(std, df, 2, 0.99) == pytest.approx(4.032143 * 0.04, abs=1e-6)


def test_seed_variance_per_collection(tmp_path: Path) -> None:
    rows = reproduce.seed_variance(grid_entries(tmp_path), str(tmp_path / "v.csv"), pool="collection")
    assert [(r["collections"], r["metric"], r["cells"], r["df"], r["pooled_std"]) for r in rows] == [
        ("cook/test", "ndcg@10", 2, 2, round(math.sqrt(0.0058 / 2), 6)),
        ("astro/test", "ndcg@10", 2, 3, round(math.sqrt(0.0022 / 3), 6)),
        ("marco/dev", "mrr@10", 1, 1, round(math.sqrt(0.0002), 6)),
        ("cook/test", "ndcg@10", 0, 0, 0.0),
    ]
    # cooking's own: t(0.975, 2 df) = 4.302653 times 0.053852 for two seeds
    std, df = reproduce.read_variance(tmp_path / "v.csv")[("ce", "cook/test", "ndcg@10")]
    assert reproduce.tolerance(std, df, 2, 0.95) == pytest.approx(4.302653 * math.sqrt(0.0029), abs=1e-5)
    with pytest.raises(SynthrankError, match=r"^reproduce.pool: 'corpus' is not one of architecture, collection$"):
        reproduce.seed_variance(grid_entries(tmp_path), str(tmp_path / "v.csv"), pool="corpus")
    (tmp_path / "old.csv").write_text(
        "arch,collection,metric,models,seeds,df,pooled_std\nce,cook/test,ndcg@10,2,4,2,0.1\n"
    )
    with pytest.raises(SynthrankError, match=r"old.csv: not a seed-variance file of this version"):
        reproduce.read_variance(tmp_path / "old.csv")


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


VARIANCE = "arch,metric,collections,cells,seeds,df,pooled_std\n{arch},ndcg@10,cook/test astro/test,4,8,4,{std}\n"
#: t(0.975, 4 df) = 2.776445: two seeds' tolerance is 2.776445 x s
T4 = 2.776445


def level_2_bundle(root: Path, arch: str, std: float, floor: str, floor_score: float) -> tuple[Path, dict[str, Any]]:
    """A bundle with a pooled seed variance of ``std`` (4 df) and ``arch``'s floor row on cook/test."""
    published = root / "bundle"
    metric(published / "results/significance/seed-variance.csv", 0)  # its folder
    (published / "results/significance/seed-variance.csv").write_text(VARIANCE.format(arch=arch, std=std))
    path = f"results/metrics/cook/test/{arch}/{floor}.json"
    metric(published / path, floor_score)
    return published, entry(path, arch, floor, 0)


def test_compare_models_gives_a_verdict_per_cell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    published, floor = level_2_bundle(tmp_path, "ce", 0.01, "random", 0.20)
    monkeypatch.chdir(tmp_path)
    entries = []
    for (corpus, seed), value in SCORES.items():
        path = f"results/metrics/cook/test/ce/cook/{corpus}/seed{seed}.json"
        metric(published / path, value)
        # human: reproduced within the tolerance (2.776 * 0.01 = 0.028 for two seeds); zs: 0.1 off
        metric(path, value + (0.01 if corpus == "human" else 0.1))
        entries.append(entry(path, "ce", corpus, seed))
    rows = reproduce.compare_models(entries, [floor], str(published), 0.95, "m.csv", "m.md")
    assert [(r["corpus"], r["seeds"], r["conclusive"], r["verdict"]) for r in rows] == [
        ("human", 2, True, "reproduced"),
        ("zs", 2, True, "outside tolerance"),
    ]
    assert rows[0]["published"] == 0.55 and rows[0]["difference"] == 0.01 and rows[0]["tolerance"] == 0.027764
    assert rows[0]["floor"] == 0.2 and rows[0]["floor_distance"] == 0.35
    text = Path("m.md").read_text()
    assert text.startswith("# Level 2: 2 cells: 1 reproduced, 1 outside tolerance, 0 inconclusive\n")
    assert "| tolerance | floor | conclusive | verdict |" in text
    assert (
        "| ce / zs | cook/test | ndcg@10 | 2 | 0.4200 | 0.5200 | +0.1000 | 0.0278 | 0.2000 | yes | outside tolerance |"
        in text
    )
    with open("m.csv", newline="") as handle:
        assert [(r["conclusive"], r["verdict"]) for r in csv.DictReader(handle)] == [
            ("True", "reproduced"),
            ("True", "outside tolerance"),
        ]
    assert reproduce.exit_status("m.csv") == 1
    with pytest.raises(
        SynthrankError, match=r"bundle/results/metrics/other.json: missing: the bundle has no published"
    ):
        reproduce.compare_models(
            [entry(metric("results/metrics/other.json", 0.1), "ce", "x", 1)], [floor], str(published), 0.95, "a", "b"
        )
    with pytest.raises(SynthrankError, match=r"bundle/results/metrics/cook/test/ce/nothing.json: missing"):
        reproduce.compare_models(entries, [entry("results/metrics/cook/test/ce/nothing.json", "ce", "nothing", 0)],
                                 str(published), 0.95, "a", "b")  # fmt: skip
    with pytest.raises(SynthrankError, match=r"^reproduce.bundle is not set"):
        reproduce.compare_models(entries, [floor], "", 0.95, "a", "b")


def untrained_reproduction(tmp_path: Path, std: float) -> list[dict[str, Any]]:
    """A bi-encoder trained well above its untuned start (0.90 and 0.92 against 0.85), "reproduced"
    by its untrained start: each retrained seed scores what the untuned model scores."""
    published, floor = level_2_bundle(tmp_path, "bi", std, "untuned", 0.85)
    entries = []
    for seed, value in ((1, 0.90), (2, 0.92)):
        path = f"results/metrics/cook/test/bi/cook/human/seed{seed}.json"
        metric(published / path, value)
        metric(path, 0.85)
        entries.append(entry(path, "bi", "human", seed))
    return reproduce.compare_models(entries, [floor], str(published), 0.95, "m.csv", "m.md")


def test_a_model_replaced_by_its_untrained_start_is_not_reproduced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    # a seed spread of 0.01: tolerance 0.0278, narrower than the 0.06 from the published 0.91 to the floor
    [row] = untrained_reproduction(tmp_path, 0.01)
    assert (row["difference"], row["floor_distance"], row["conclusive"]) == (-0.06, 0.06, True)
    assert row["verdict"] == "outside tolerance" and reproduce.exit_status("m.csv") == 1
    # a spread of 0.05: tolerance 0.139, wider than 0.06: the floor would pass, so the cell is no evidence
    [row] = untrained_reproduction(tmp_path, 0.05)
    assert row["tolerance"] == pytest.approx(T4 * 0.05, abs=1e-6) and not row["conclusive"]
    assert row["verdict"] == "inconclusive" and reproduce.exit_status("m.csv") == 0
    text = Path("m.md").read_text()
    assert text.startswith("# Level 2: 1 cell: 0 reproduced, 0 outside tolerance, 1 inconclusive\n")
    assert (
        "| bi / human | cook/test | ndcg@10 | 2 | 0.9100 | 0.8500 | -0.0600 | 0.1388 | 0.8500 | no | inconclusive |"
        in text
    )


def test_verdicts() -> None:
    assert reproduce.verdict(0.01, 0.03, 0.2) == ("reproduced", True)
    assert reproduce.verdict(-0.05, 0.03, 0.2) == ("outside tolerance", True)
    assert reproduce.verdict(0.01, 0.3, 0.2) == ("inconclusive", False)
    assert reproduce.verdict(0.5, 0.3, 0.2) == ("outside tolerance", False)  # outside is outside, floor or not
    assert reproduce.verdict(0.01, 0.2, 0.2) == ("inconclusive", False)  # the floor on the bound would pass
    assert reproduce.verdict(0.0, 0.0, 0.0) == ("inconclusive", False)  # a cell at its floor
    assert reproduce.verdict(0.0, 0.03, None) == ("inconclusive", False)  # no floor: nothing shows it discriminates


def test_a_cell_without_a_floor_is_inconclusive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    published, _ = level_2_bundle(tmp_path, "ce", 0.01, "random", 0.2)
    monkeypatch.chdir(tmp_path)
    path = "results/metrics/cook/test/ce/cook/human/seed1.json"
    metric(published / path, 0.5)
    metric(path, 0.5)
    [row] = reproduce.compare_models([entry(path, "ce", "human", 1)], [], str(published), 0.95, "m.csv", "m.md")
    assert (row["floor"], row["floor_distance"], row["conclusive"], row["verdict"]) == ("", "", False, "inconclusive")
    assert "| 0.0393 | no floor | no | inconclusive |" in Path("m.md").read_text()


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
    assert config["reproduce"] == {"cells": [], "confidence": 0.95, "pool": "architecture"}
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
