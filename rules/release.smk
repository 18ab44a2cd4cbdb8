# Released corpora (synthrank.release): per corpus a datasets-loadable folder (Parquet,
# dataset card, metadata, checksums), one manifest of them all. The `release` paradigm, which
# reads a release folder back as a corpus, is rule corpus_from_release (rules/corpora.smk).
# Pushing to a hub is not a rule: `synthrank release push FOLDER REPO_ID` (README.md, "Release
# the corpora"). The results bundle (release_results) and the checkpoint bundles
# (release_checkpoints, optional) are synthrank.bundle's: README.md, "Reproducing the thesis".


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
        generator_licences=release_generator_licences,
        thesis=THESIS_CITATION,
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


rule results_bundle:
    input:
        unpack(bundle_inputs),
    output:
        directory(RESULTS_BUNDLE),
    log:
        "logs/results_bundle/{train_dataset}.log",
    benchmark:
        "benchmarks/results_bundle/{train_dataset}.tsv"
    localrule: True
    conda:
        "../envs/reporting.yaml"
    params:
        config=config,
        corpora={corpus: corpus_release_folder(corpus) for corpus in RELEASED_CORPORA},
        seed_variance=SEED_VARIANCE,
        thesis=THESIS_CITATION,
    script:
        "../scripts/results_bundle.py"


rule release_results:
    input:
        expand(RESULTS_BUNDLE, train_dataset=TRAIN["dataset"]),
    localrule: True


rule checkpoint_bundle:
    input:
        unpack(checkpoint_inputs),
    output:
        directory(CHECKPOINT_BUNDLE),
    log:
        "logs/checkpoint_bundle/{train_dataset}/{arch}/{corpus}/seed{seed}.log",
    benchmark:
        "benchmarks/checkpoint_bundle/{train_dataset}/{arch}/{corpus}/seed{seed}.tsv"
    conda:
        "../envs/reporting.yaml"
    params:
        arch_spec=lambda wildcards: ARCHS[wildcards.arch],
        paradigm=lambda wildcards: CORPORA[wildcards.corpus]["paradigm"],
        release=lambda wildcards: corpus_release_folder(wildcards.corpus),
        collections=REPORTED_COLLECTIONS,
        source=release_source,
        generator_licences=release_generator_licences,
        datasets=test_dataset_ids,
        thesis=THESIS_CITATION,
    script:
        "../scripts/checkpoint_bundle.py"


rule release_checkpoints:
    input:
        [
            CHECKPOINT_BUNDLE.format(
                train_dataset=TRAIN["dataset"], arch=arch, corpus=corpus, seed=seed
            )
            for arch, corpus, seed in trained_models()
        ],
    localrule: True
