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
        arch=alternatives(CROSS_ENCODERS),
    conda:
        "../envs/models.yaml"
    threads: 2
    params:
        base_model=arch_setting("base_model"),
        hyper=arch_setting("train"),
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
        arch=alternatives(BI_ENCODERS),
    conda:
        "../envs/models.yaml"
    threads: 2
    params:
        base_model=arch_setting("base_model"),
        hyper=arch_setting("train"),
        query_prefix=arch_setting("query_prefix"),
        passage_prefix=arch_setting("passage_prefix"),
    script:
        "../scripts/train_bi_encoder.py"
