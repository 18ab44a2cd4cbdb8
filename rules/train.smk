rule training_set:
    input:
        passages="results/corpora/{train_dataset}/{corpus}.jsonl",
        corpus="results/datasets/{train_dataset}/corpus.jsonl",
        queries="results/datasets/{train_dataset}/queries.jsonl",
        qrels=qrels_file(TRAIN["dataset"], TRAIN["split"]),
        bm25=f"results/runs/{TRAIN['dataset']}/{TRAIN['split']}/bm25.trec",
    output:
        "results/trainsets/{train_dataset}/{corpus}.jsonl",
    log:
        "logs/training_set/{train_dataset}/{corpus}.log",
    benchmark:
        "benchmarks/training_set/{train_dataset}/{corpus}.tsv"
    conda:
        "../envs/data.yaml"
    params:
        negatives=TRAIN["hard_negatives"],
    script:
        "../scripts/training_set.py"


rule train_cross_encoder:
    input:
        "results/trainsets/{train_dataset}/{corpus}.jsonl",
    output:
        directory("results/models/{arch}/{train_dataset}/{corpus}/seed{seed}"),
    log:
        "logs/train_cross_encoder/{arch}/{train_dataset}/{corpus}/seed{seed}.log",
    benchmark:
        "benchmarks/train_cross_encoder/{arch}/{train_dataset}/{corpus}/seed{seed}.tsv"
    wildcard_constraints:
        arch=alternatives(CROSS_ENCODERS) if CROSS_ENCODERS else "$^",
    conda:
        "../envs/models.yaml"
    threads: 2
    params:
        base_model=lambda wildcards: ARCHS[wildcards.arch]["base_model"],
        hyper=lambda wildcards: ARCHS[wildcards.arch]["train"],
    script:
        "../scripts/train_cross_encoder.py"


rule train_bi_encoder:
    input:
        "results/trainsets/{train_dataset}/{corpus}.jsonl",
    output:
        directory("results/models/{arch}/{train_dataset}/{corpus}/seed{seed}"),
    log:
        "logs/train_bi_encoder/{arch}/{train_dataset}/{corpus}/seed{seed}.log",
    benchmark:
        "benchmarks/train_bi_encoder/{arch}/{train_dataset}/{corpus}/seed{seed}.tsv"
    wildcard_constraints:
        arch=alternatives(BI_ENCODERS) if BI_ENCODERS else "$^",
    conda:
        "../envs/models.yaml"
    threads: 2
    params:
        base_model=lambda wildcards: ARCHS[wildcards.arch]["base_model"],
        hyper=lambda wildcards: ARCHS[wildcards.arch]["train"],
        query_prefix=lambda wildcards: ARCHS[wildcards.arch]["query_prefix"],
        passage_prefix=lambda wildcards: ARCHS[wildcards.arch]["passage_prefix"],
    script:
        "../scripts/train_bi_encoder.py"
