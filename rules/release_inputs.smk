# Inputs and params of the release rules (rules/release.smk, which includes this file): which
# corpora are released, where, and the files of a release folder.

import os
import sys

from synthrank import citation

# The thesis every card cites: CITATION.cff beside the Snakefile (a param of the card rules, so
# filling it in rewrites the cards and nothing else).
try:
    THESIS_CITATION = citation.load(os.path.join(workflow.basedir, "CITATION.cff"))
except SynthrankError as exc:
    sys.exit(f"synthrank: {exc}")

RELEASE_DIR = "results/release/{train_dataset}/{corpus}"
RELEASED_CORPORA = [name for name in CORPORA if CORPORA[name]["paradigm"] != RELEASE]
# the folder of each released corpus of the training dataset
RELEASE_FOLDERS = [
    RELEASE_DIR.format(train_dataset=TRAIN["dataset"], corpus=corpus)
    for corpus in RELEASED_CORPORA
]


def release_files(folder):
    return {
        "data": f"{folder}/data/train-00000-of-00001.parquet",
        "metadata": f"{folder}/metadata.json",
        "card": f"{folder}/README.md",
        "checksums": f"{folder}/checksums.sha256",
    }


def release_inputs(wildcards):
    inputs = {**CORPUS_FILES, "queries": TRAIN_FILES["queries"]}
    if "template" in CORPORA[wildcards.corpus]:
        inputs["template"] = CORPORA[wildcards.corpus]["template"]
    return inputs


def release_source(wildcards):
    """The training collection's licence, citation and Hub id (datasets.<name> in the config)."""
    spec = config["datasets"][TRAIN["dataset"]]
    return {key: spec[key] for key in ("licence", "citation", "hub") if key in spec}


def release_generator_licences(wildcards):
    """Each generator whose passages the corpus holds (a mixture: its components') -> its licence
    in the config (None where it gives none: the release then stops, naming the key)."""
    return {
        name: GENERATORS[name].get("licence")
        for name in FACETS[wildcards.corpus].generators
    }


def release_quality(wildcards):
    generated = wildcards.corpus in GENERATED_CORPORA
    return GENERATION["quality"] if generated else None


# ---------------------------------------------------------------- results and checkpoint bundles
# (synthrank.bundle): what the tables are made from, and the trained models, released like the corpora.

RESULTS_BUNDLE = "results/release/{train_dataset}/results"
CHECKPOINT_BUNDLE = (
    "results/release/{train_dataset}/checkpoints/{arch}/{corpus}/seed{seed}"
)
SEED_VARIANCE = "results/significance/seed-variance.csv"


def bundled_runs():
    """Every run file of the grid: each system but a chance floor (which has no run) on each test
    collection."""
    return [
        f"results/runs/{c}/{system}.trec"
        for c in COLLECTIONS
        for arch, _, _, system in systems()
        if system != f"{arch}/random"
    ]


def bundled_metrics():
    """Every metric file: each system on each test collection and on each group of them."""
    columns = dict.fromkeys([*COLLECTIONS, *REPORTED_COLLECTIONS])
    return [
        f"results/metrics/{c}/{system}.json"
        for c in columns
        for _, _, _, system in systems()
    ]


def bundled_costs():
    """What the cost table and figures read (corpus stats, job timings), the generated corpora's
    ledgers and the cost estimate."""
    t = TRAIN["dataset"]
    files = cost_files() + [corpus_stats(c) for c in unmixed_corpora()]
    files += [f"results/ledgers/{t}/{c}.jsonl" for c in GENERATED_CORPORA]
    files += [f"results/costs/{t}/estimate.json", f"results/costs/{t}/estimate.md"]
    return list(dict.fromkeys(files))


def bundle_inputs(wildcards):
    """Role (synthrank.bundle.ROLES) -> the files of that role in the results bundle."""
    published = report_targets()
    return {
        "run": bundled_runs(),
        "metrics": bundled_metrics(),
        "significance": [f"results/significance/{arch}.csv" for arch in ARCHS]
        + claims_files(ARCHS)
        + floor_test_files(ARCHS)
        + [SEED_VARIANCE],
        "table": [p for p in published if p.startswith("results/tables/")],
        "figure": [p for p in published if p.startswith("figures/")],
        "check": [p for p in published if p.startswith("results/checks/")],
        "cost": bundled_costs(),
        "releases": [release_files(folder)["data"] for folder in RELEASE_FOLDERS],
    }


def trained_models():
    """(arch, corpus, seed) of every trained model."""
    return [
        (arch, corpus, seed)
        for arch in ARCHS
        for corpus in grid.arch_corpora(config, arch)
        for seed in SEEDS
    ]


def corpus_release_folder(corpus):
    """Where a corpus's release is: its own (rule release_corpus), or for a corpus read from a
    release, that one."""
    if CORPORA[corpus]["paradigm"] == RELEASE:
        return CORPORA[corpus]["path"]
    return RELEASE_DIR.format(train_dataset=TRAIN["dataset"], corpus=corpus)


def checkpoint_inputs(wildcards):
    """The model, its training set and corpus release, and its metric file on every column of the
    results (REPORTED_COLLECTIONS, in that order: the card's model-index)."""
    model = f"{wildcards.arch}/{wildcards.train_dataset}/{wildcards.corpus}/seed{wildcards.seed}"
    return {
        "model": f"results/models/{model}",
        "trainset": f"results/trainsets/{wildcards.train_dataset}/{wildcards.corpus}.jsonl",
        "release": release_files(corpus_release_folder(wildcards.corpus))["data"],
        "metrics": [f"results/metrics/{c}/{model}.json" for c in REPORTED_COLLECTIONS],
    }


def test_dataset_ids(wildcards):
    """Test dataset -> its Hub id (datasets.<name>.hub), where the config gives one."""
    return {
        name: spec["hub"] for name, spec in config["datasets"].items() if "hub" in spec
    }
