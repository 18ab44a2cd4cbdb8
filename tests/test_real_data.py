"""The workflow on real public collections (../shared/data: WikiQA, MEDLINE, ADI) end to end, and
bad input in a real collection stopping ingestion in one line."""

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from .conftest import SHARED_DATA, copy_workflow, reuse_llm, snakemake
from .test_demo_workflow import FIGURES, TABLES

pytestmark = pytest.mark.slow


@pytest.mark.shared_data
@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="../shared/data is not on this machine")
def test_real_data_path(tmp_path: Path, gguf: Path) -> None:
    """WikiQA train -> corpora -> models; WikiQA test (ID), MEDLINE and ADI (OOD)."""
    (tmp_path / "repo").mkdir()
    workdir = copy_workflow(tmp_path / "repo")
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "data").symlink_to(SHARED_DATA)  # the config reads ../shared/data
    reuse_llm(workdir, gguf)
    # the demo profile's one-thread-per-model-job settings suit any small CPU machine
    done = snakemake(
        workdir, "--workflow-profile", "profiles/demo", "--configfile", "config/shared-data.yaml", timeout=2700
    )
    assert done.returncode == 0, done.stderr[-4000:]
    table = pd.read_csv(workdir / "results/tables/overview.csv", index_col=0)
    assert list(table.columns) == ["wikiqa/test", "medline/test", "adi/test", "ID avg", "OOD avg"]
    # BM25 through the workflow reproduces the reference table of ../shared/data/SOURCES.md
    for name, expected in {"wikiqa": 0.4723, "medline": 0.6651, "adi": 0.4747}.items():
        assert table.loc["BM25", f"{name}/test"] == pytest.approx(expected, abs=1e-4)
    # ... and so does the workflow's own check of every value of that table (config `expected`)
    check = json.loads((workdir / "results/checks/bm25.json").read_text())
    assert len(check["checked"]) == 12 and all(c["ok"] for c in check["checked"])
    assert table.notna().all().all()
    # the thesis grid's shape: every paradigm, every table (none empty) and figure (one seed here);
    # config/shared-data.yaml has no hard-negative ablation, so that table is its one explanatory row
    for name in TABLES:
        rows = pd.read_csv(workdir / f"results/tables/{name}.csv")
        assert len(rows) > 1 or name == "negatives", name
    for name in FIGURES:
        assert (workdir / f"figures/{name}.pdf").stat().st_size > 1000, name
    corpora = pd.read_csv(workdir / "results/tables/corpora.csv", index_col=0)
    assert set(corpora["paradigm"]) == {"human", "zero-shot", "few-shot-unsupervised", "few-shot-supervised", "mixture"}
    assert corpora.loc["human-16+few-shot-sup-16", "passages"] > corpora.loc["human-16", "passages"]
    page = (workdir / "results/analysis/wikiqa/examples.md").read_text()
    assert "### few-shot-unsup-smollm2 (few-shot-unsupervised)" in page and "### few-shot-sup-smollm2" in page
    assert "Exemplar 2 shown in the prompt (query: " in page  # the supervised prompt's (query, passage) pairs
    cross = pd.read_csv(workdir / "results/tables/cross-encoder-id.csv", index_col=0)
    for corpus in ("human", "human-16", "zero-shot", "few-shot-unsup", "few-shot-sup", "human-16+few-shot-sup-16"):
        assert any(corpus in str(label) for label in cross.index), corpus
    assert (workdir / "results/models/cross-encoder/wikiqa/few-shot-sup-smollm2/seed1").is_dir()
    # WikiQA is encoded in two shards (the path MS MARCO takes), searched together
    for shard in (0, 1):
        assert (workdir / f"results/embeddings/wikiqa/bi-encoder/wikiqa/human/seed1/shard{shard}-of-2.npy").is_file()
    significance = pd.read_csv(workdir / "results/significance/cross-encoder.csv")
    # the generated corpora and the enrichment mixture (16 human queries + generated passages for the
    # next 16 of the same order: 32 queries) against human (32 queries); 4 corpora x 3 collections
    assert set(significance["reference"]) == {"human"} and len(significance) == 4 * 3


def test_bad_input_fails_in_one_line(tmp_path: Path) -> None:
    """A malformed corpus line stops the job with the file and line named, no traceback."""
    demo_run = copy_workflow(tmp_path)
    broken = demo_run / "data" / "broken"
    shutil.copytree(demo_run / "data" / "demo" / "astronomy", broken)
    lines = (broken / "corpus.jsonl").read_text().splitlines()
    lines[4] = lines[4][:-1]  # cut the closing brace of line 5
    (broken / "corpus.jsonl").write_text("\n".join(lines) + "\n")
    config = (demo_run / "config" / "demo.yaml").read_text()
    config = config.replace("path: data/demo/astronomy", "path: data/broken")
    (demo_run / "config" / "broken.yaml").write_text(config)
    done = snakemake(demo_run, "results/datasets/demo-astronomy/corpus.jsonl", "--configfile", "config/broken.yaml")
    assert done.returncode != 0
    assert "synthrank error in rule ingest_collection: data/broken/corpus.jsonl:5: not valid JSON" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (demo_run / "results/datasets/demo-astronomy/corpus.jsonl").exists()
