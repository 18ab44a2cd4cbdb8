# Released corpora (synthrank.release): per corpus a datasets-loadable folder (Parquet,
# dataset card, metadata, checksums), one manifest of them all; and the `release` paradigm,
# which reads a release folder back as a corpus. Input functions: rules/corpora.smk.
# Pushing to a hub is not a rule: `python -m synthrank.release push FOLDER REPO_ID`
# (README.md, "Release the corpora").


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
        corpus=alternatives(RELEASED_CORPORA) or "$^",
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


rule released_corpus:
    input:
        unpack(released_corpus_inputs),
        **TRAIN_FILES,
    output:
        passages="results/corpora/{train_dataset}/{corpus}.jsonl",
        stats="results/corpora/{train_dataset}/{corpus}.stats.json",
    log:
        "logs/released_corpus/{train_dataset}/{corpus}.log",
    benchmark:
        "benchmarks/released_corpus/{train_dataset}/{corpus}.tsv"
    wildcard_constraints:
        corpus=alternatives(corpora_of("release")) or "$^",
    conda:
        "../envs/generation.yaml"
    params:
        spec=corpus_spec,
        max_queries=TRAIN.get("max_queries"),
        sample_seed=TRAIN["sample_seed"],
    script:
        "../scripts/passage_corpus.py"


rule release_manifest:
    input:
        [
            file
            for corpus in RELEASED_CORPORA
            for file in release_files(
                RELEASE_DIR.format(train_dataset=TRAIN["dataset"], corpus=corpus)
            ).values()
        ],
    output:
        csv="results/release/{train_dataset}/manifest.csv",
        markdown="results/release/{train_dataset}/manifest.md",
    log:
        "logs/release_manifest/{train_dataset}.log",
    localrule: True
    conda:
        "../envs/reporting.yaml"
    params:
        folders=[
            RELEASE_DIR.format(train_dataset=TRAIN["dataset"], corpus=corpus)
            for corpus in RELEASED_CORPORA
        ],
    script:
        "../scripts/release_manifest.py"


rule release:
    input:
        expand(
            "results/release/{train_dataset}/manifest.md",
            train_dataset=TRAIN["dataset"],
        ),
    localrule: True
