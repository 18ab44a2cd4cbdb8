# Released corpora (synthrank.release): per corpus a datasets-loadable folder (Parquet,
# dataset card, metadata, checksums), one manifest of them all. The `release` paradigm, which
# reads a release folder back as a corpus, is rule corpus_from_release (rules/corpora.smk).
# Pushing to a hub is not a rule: `python -m synthrank.release push FOLDER REPO_ID`
# (README.md, "Release the corpora").


include: "release_inputs.smk"


rule release_corpus:
    input:
        unpack(release_inputs),
    output:
        **release_files(RELEASE_DIR),
    log:
        "logs/release_corpus/{train_dataset}/{corpus}.log",
    benchmark:
        "benchmarks/release_corpus/{train_dataset}/{corpus}.tsv"
    wildcard_constraints:
        corpus=alternatives(RELEASED_CORPORA),
    conda:
        "../envs/reporting.yaml"
    params:
        spec=corpus_spec,
        source=release_source,
        quality=release_quality,
        training={
            key: TRAIN[key] for key in ("max_queries", "sample_seed") if key in TRAIN
        },
    script:
        "../scripts/release_corpus.py"


rule release_manifest:
    input:
        [file for folder in RELEASE_FOLDERS for file in release_files(folder).values()],
    output:
        csv="results/release/{train_dataset}/manifest.csv",
        markdown="results/release/{train_dataset}/manifest.md",
    log:
        "logs/release_manifest/{train_dataset}.log",
    localrule: True
    conda:
        "../envs/reporting.yaml"
    params:
        folders=RELEASE_FOLDERS,
    script:
        "../scripts/release_manifest.py"


rule release:
    input:
        expand(
            "results/release/{train_dataset}/manifest.md",
            train_dataset=TRAIN["dataset"],
        ),
    localrule: True
