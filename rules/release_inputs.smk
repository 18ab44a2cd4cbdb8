# Inputs and params of the release rules (rules/release.smk, which includes this file): which
# corpora are released, where, and the files of a release folder.

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
    """The training collection's licence and citation (datasets.<name> in the config)."""
    spec = config["datasets"][TRAIN["dataset"]]
    return {key: spec[key] for key in ("licence", "citation") if key in spec}


def release_quality(wildcards):
    generated = wildcards.corpus in GENERATED_CORPORA
    return GENERATION["quality"] if generated else None
