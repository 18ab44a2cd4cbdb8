"""The fast tier's end-to-end run: config/micro.yaml through Snakemake, as a user runs it.

Ingestion, the human corpus and a corpus written by the embedded LLM (8 queries), one
cross-encoder and one bi-encoder per corpus trained for one epoch, BM25, reranking, dense
retrieval, ranx metrics, the tables, figures, releases and checks of ``all``; then a second
invocation that has nothing to do; then the grid grown (and shrunk) one edit at a time, each
dry-run planning only the new cells and the results that aggregate them.
"""

import json
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from .conftest import REPO, copy_workflow, reuse_llm, snakemake

TARGETS: list[str] = []  # the default target: all
PROFILE = ["--workflow-profile", "profiles/demo", "--configfile", "config/micro.yaml"]


@pytest.fixture(scope="module")
def micro_run(tmp_path_factory: pytest.TempPathFactory, gguf: Path) -> Path:
    workdir = copy_workflow(tmp_path_factory.mktemp("micro"))
    reuse_llm(workdir, gguf)
    done = snakemake(workdir, *TARGETS, *PROFILE, timeout=900)
    assert done.returncode == 0, done.stderr[-4000:]
    return workdir


def test_micro_table_is_the_metric_files(micro_run: Path) -> None:
    table = pd.read_csv(micro_run / "results/tables/overview.csv", index_col=0)
    assert list(table.index) == [
        "BM25",
        "cross-encoder / human",
        "cross-encoder / zero-shot-smollm2",
        "bi-encoder / human",
        "bi-encoder / zero-shot-smollm2",
    ]
    assert list(table.columns) == ["demo-cooking/test", "demo-astronomy/test", "ID avg", "OOD avg"]
    assert table.notna().all().all() and ((table > 0) & (table <= 1)).all().all()
    for system, path in {
        "BM25": "bm25",
        "cross-encoder / zero-shot-smollm2": "cross-encoder/demo-cooking/zero-shot-smollm2/seed1",
        "bi-encoder / human": "bi-encoder/demo-cooking/human/seed1",
    }.items():
        for collection in ("demo-cooking/test", "demo-astronomy/test"):
            metrics = json.loads((micro_run / f"results/metrics/{collection}/{path}.json").read_text())
            assert metrics["num_queries"] == 30 and len(metrics["per_query"]["ndcg@10"]) == 30
            assert table.loc[system, collection] == pytest.approx(metrics["metrics"]["ndcg@10"], abs=1e-3)
    assert "zero-shot-smollm2" in (micro_run / "results/tables/overview.md").read_text()
    assert (micro_run / "figures/id-vs-ood.png").stat().st_size > 1000


def test_micro_runs_are_reranked_and_dense(micro_run: Path) -> None:
    bm25 = (micro_run / "results/runs/demo-cooking/test/bm25.trec").read_text().splitlines()
    reranked = (micro_run / "results/runs/demo-cooking/test/cross-encoder/demo-cooking/human/seed1.trec").read_text()
    dense = (micro_run / "results/runs/demo-cooking/test/bi-encoder/demo-cooking/human/seed1.trec").read_text()
    # reranking reorders each query's BM25 top 10 (BM25 finds fewer for a few queries of this
    # small collection); dense retrieval ranks the whole corpus (top 100)
    top10: dict[str, set[str]] = {}
    for line in bm25:
        qid, _, doc, rank = line.split()[:4]
        if int(rank) <= 10:
            top10.setdefault(qid, set()).add(doc)
    reranked_top: dict[str, set[str]] = {}
    for line in reranked.splitlines():
        qid, _, doc = line.split()[:3]
        reranked_top.setdefault(qid, set()).add(doc)
    assert reranked_top == top10
    order = [line.split()[:3:2] for line in reranked.splitlines()]
    assert order != [line.split()[:3:2] for line in bm25 if int(line.split()[3]) <= 10]
    assert len(dense.splitlines()) == 30 * 100


def test_micro_generated_corpus(micro_run: Path) -> None:
    passages = [
        json.loads(line) for line in (micro_run / "results/corpora/demo-cooking/zero-shot-smollm2.jsonl").open()
    ]
    human = (micro_run / "results/corpora/demo-cooking/human.jsonl").read_text().splitlines()
    assert 6 <= len(passages) <= 8 and len({p["query_id"] for p in passages}) == len(passages)
    assert all(p["text"].strip() and p["model"] == "SmolLM2-135M-Instruct" for p in passages)
    assert len({json.loads(line)["query_id"] for line in human}) == 8
    for arch in ("cross-encoder", "bi-encoder"):
        assert (micro_run / f"results/models/{arch}/demo-cooking/zero-shot-smollm2/seed1/config.json").is_file()


def test_micro_second_run_does_nothing(micro_run: Path) -> None:
    again = snakemake(micro_run, *TARGETS, *PROFILE)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "Nothing to be done" in again.stdout + again.stderr


# ---------------------------------------------------------------- growing the grid

#: rules whose jobs aggregate cells (tables, figures, tests, checks, manifests, exports): an edit of
#: the grid may rerun them; every other planned job must be a new or changed cell
AGGREGATES = {
    "all",
    "overview_table",
    "effectiveness_table",
    "significance_tests",
    "floor_tests",
    "check_training",
    "cost_table",
    "id_ood_figure",
    "gain_figure",
    "size_figure",
    "cost_figure",
    "check_bm25",
    "check_dense",
    "leakage_report",
    "cost_estimate",
    "export_generation",
    "release_manifest",
    "corpus_table",
    "corpus_length_figure",
    "corpus_map_figure",
    "overlap_figure",
    "corpus_examples",
}
T = {"train_dataset": "demo-cooking"}
CORPORA = ("human", "zero-shot-smollm2")


def planned(workdir: Path, config: dict, name: str) -> set[tuple[str, frozenset]]:
    """(rule, wildcards) of every job `snakemake -n` plans for the finished micro run with ``config``."""
    path = workdir / "config" / f"grow-{name}.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    done = snakemake(workdir, "-n", *PROFILE[:2], "--configfile", str(path.relative_to(workdir)))
    assert done.returncode == 0, done.stderr[-3000:]
    jobs, rule = set(), None
    for line in done.stdout.splitlines():
        head = re.match(r"^(?:local)?rule (\w+):$", line)
        if head:
            rule = head.group(1)
            jobs.add((rule, frozenset()))
        elif rule and line.strip().startswith("wildcards:"):
            jobs.discard((rule, frozenset()))
            pairs = line.split(":", 1)[1].split(", ")
            jobs.add((rule, frozenset(tuple(p.strip().split("=", 1)) for p in pairs)))
            rule = None
    return jobs


def cells(jobs: set[tuple[str, frozenset]]) -> set[tuple[str, frozenset]]:
    return {job for job in jobs if job[0] not in AGGREGATES}


def job(rule: str, **wildcards: str) -> tuple[str, frozenset]:
    return (rule, frozenset(wildcards.items()))


def runs(collections: list[tuple[str, str]], models: list[str], seeds=("1",), archs=None) -> set:
    """The run and metric jobs of ``models`` (corpora) on ``collections``."""
    archs = archs or {"cross-encoder": "rerank", "bi-encoder": "dense_retrieve"}
    out = set()
    for dataset, split in collections:
        for arch, rule in archs.items():
            for corpus in models:
                for seed in seeds:
                    model = f"demo-cooking/{corpus}/seed{seed}"
                    out.add(job(rule, dataset=dataset, split=split, arch=arch, model=model))
                    out.add(job("evaluate_run", dataset=dataset, split=split, system=f"{arch}/{model}"))
    return out


def trained(corpora, seeds=("1",), archs=("cross-encoder", "bi-encoder")) -> set:
    def rule(arch: str) -> str:  # the micro config's architectures and those the tests add are named by kind
        return "train_cross_encoder" if arch.startswith("cross-encoder") else "train_bi_encoder"

    return {job(rule(a), arch=a, **T, corpus=c, seed=s) for a in archs for c in corpora for s in seeds}


def analysed(corpus: str) -> set:
    """A corpus's analysis: its statistics, its embedded sample and the judge's verdict."""
    return {job("corpus_statistics", **T, corpus=corpus), job("corpus_sample_embeddings", **T, corpus=corpus)}


@pytest.fixture
def micro_config() -> dict:
    return yaml.safe_load((REPO / "config" / "micro.yaml").read_text(encoding="utf-8"))


COLLECTIONS = [("demo-cooking", "test"), ("demo-astronomy", "test")]


def test_grow_a_test_collection(micro_run: Path, micro_config: dict) -> None:
    cfg = micro_config
    cfg["datasets"]["demo-astronomy-2"] = {"path": "data/demo/astronomy", "splits": ["test"]}
    cfg["evaluation"]["out_of_domain"].append({"dataset": "demo-astronomy-2", "split": "test", "metric": "ndcg@10"})
    new = ("demo-astronomy-2", "test")
    expected = {job("ingest_collection", dataset=new[0]), job("bm25_index", dataset=new[0])}
    expected |= {job("ingest_qrels", dataset=new[0], split="test"), job("bm25_search", dataset=new[0], split="test")}
    expected |= {job("evaluate_run", dataset=new[0], split="test", system="bm25")}
    expected |= runs([new], list(CORPORA))
    jobs = planned(micro_run, cfg, "collection")
    assert cells(jobs) == expected  # no corpus, exemplar pool, training set or model; no old run
    assert ("overview_table", frozenset()) in jobs


def test_grow_a_seed_a_corpus_and_an_architecture(micro_run: Path, micro_config: dict) -> None:
    seeded = {**micro_config, "seeds": [1, 2]}
    assert cells(planned(micro_run, seeded, "seed")) == trained(CORPORA, ("2",)) | runs(COLLECTIONS, CORPORA, ("2",))

    corpus = dict(micro_config)
    corpus["corpora"] = {**micro_config["corpora"], "human-4": {"paradigm": "human", "queries": 4}}
    expected = {job("human_corpus", **T, corpus="human-4"), job("training_set", **T, corpus="human-4")}
    expected |= {
        job("release_corpus", **T, corpus="human-4"),
        job("negatives_run", **T, corpus="human-4", source="human"),
    }
    expected |= analysed("human-4")
    assert cells(planned(micro_run, corpus, "corpus")) == expected | trained(["human-4"]) | runs(
        COLLECTIONS, ["human-4"]
    )

    arch = dict(micro_config)
    arch["architectures"] = {
        **micro_config["architectures"],
        "cross-encoder-b": {**micro_config["architectures"]["cross-encoder"], "depth": 20},
    }
    expected = trained(CORPORA, archs=("cross-encoder-b",)) | runs(
        COLLECTIONS, CORPORA, archs={"cross-encoder-b": "rerank"}
    )
    assert cells(planned(micro_run, arch, "arch")) == expected


def test_grow_a_generator(micro_run: Path, micro_config: dict) -> None:
    generators = dict(micro_config["generators"])
    generators["smollm2-cold"] = {
        **generators["smollm2"],
        "sampling": {"temperature": 0.2, "max_tokens": 48, "seed": 1},
    }
    unused = {**micro_config, "generators": generators}
    assert planned(micro_run, unused, "generator-unused") == set()  # a generator no corpus uses

    cfg = {**unused, "corpora": {**micro_config["corpora"]}}
    cfg["corpora"]["zero-shot-cold"] = {
        "paradigm": "zero-shot",
        "generator": "smollm2-cold",
        "template": "config/prompts/zero-shot.txt",
    }
    expected = {job("fetch_llm_gguf", generator="smollm2-cold"), job("generated_corpus", **T, corpus="zero-shot-cold")}
    expected |= {job("training_set", **T, corpus="zero-shot-cold"), job("release_corpus", **T, corpus="zero-shot-cold")}
    expected |= {job("negatives_run", **T, corpus="zero-shot-cold", source="human")} | analysed("zero-shot-cold")
    expected |= trained(["zero-shot-cold"]) | runs(COLLECTIONS, ["zero-shot-cold"])
    jobs = planned(micro_run, cfg, "generator")
    assert cells(jobs) == expected
    assert job("leakage_report", **T, corpus="zero-shot-cold") in jobs


def test_a_corpus_negatives_source_reruns_its_training_set_only(micro_run: Path, micro_config: dict) -> None:
    cfg = {**micro_config, "corpora": dict(micro_config["corpora"])}
    cfg["corpora"]["zero-shot-smollm2"] = {**cfg["corpora"]["zero-shot-smollm2"], "negatives": {"source": "corpus"}}
    corpus = {**T, "corpus": "zero-shot-smollm2"}
    expected = {job("corpus_bm25_index", **corpus), job("negatives_run", **corpus, source="corpus")}
    expected |= (
        {job("training_set", **corpus)} | trained(["zero-shot-smollm2"]) | runs(COLLECTIONS, ["zero-shot-smollm2"])
    )
    assert cells(planned(micro_run, cfg, "negatives")) == expected  # no corpus, release or other training set


def test_evaluation_settings_rerun_no_generation_or_training(micro_run: Path, micro_config: dict) -> None:
    deeper = {**micro_config, "architectures": dict(micro_config["architectures"])}
    deeper["architectures"]["cross-encoder"] = {**deeper["architectures"]["cross-encoder"], "depth": 20}
    assert cells(planned(micro_run, deeper, "depth")) == runs(COLLECTIONS, CORPORA, archs={"cross-encoder": "rerank"})

    fewer = {**micro_config, "evaluation": {**micro_config["evaluation"], "metrics": ["ndcg@10", "mrr@10"]}}
    systems = ["bm25"] + [f"{a}/demo-cooking/{c}/seed1" for a in ("cross-encoder", "bi-encoder") for c in CORPORA]
    expected = {job("evaluate_run", dataset=d, split=s, system=x) for d, s in COLLECTIONS for x in systems}
    assert cells(planned(micro_run, fewer, "metrics")) == expected

    faster = {**micro_config, "generators": {"smollm2": {**micro_config["generators"]["smollm2"], "concurrency": 2}}}
    assert planned(micro_run, faster, "concurrency") == set()  # how answers are fetched changes no corpus


def test_removing_cells_reruns_only_aggregates(micro_run: Path, micro_config: dict) -> None:
    no_ood = {**micro_config, "evaluation": {**micro_config["evaluation"], "out_of_domain": []}}
    jobs = planned(micro_run, no_ood, "no-ood")
    assert jobs and not cells(jobs)
    one_corpus = {**micro_config, "corpora": {"human": micro_config["corpora"]["human"]}}
    jobs = planned(micro_run, one_corpus, "one-corpus")
    assert jobs and not cells(jobs)
