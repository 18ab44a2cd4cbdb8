# Hard negatives: BM25 candidates mined per corpus for its own queries (see "hard negatives" in
# common.smk), then a seeded sample per training pair.
rule corpus_bm25_index:
    input:
        "results/corpora/{train_dataset}/{corpus}.jsonl",
    output:
        directory("results/indexes/bm25-corpus/{train_dataset}/{corpus}"),
    log:
        "logs/corpus_bm25_index/{train_dataset}/{corpus}.log",
    benchmark:
        "benchmarks/corpus_bm25_index/{train_dataset}/{corpus}.tsv"
    conda:
        "../envs/retrieval.yaml"
    threads: config["bm25"]["threads"]
    script:
        "../scripts/corpus_bm25_index.py"


rule negatives_run:
    input:
        index=negatives_index,
        passages="results/corpora/{train_dataset}/{corpus}.jsonl",
        queries="results/datasets/{train_dataset}/queries.jsonl",
    output:
        "results/negatives/{train_dataset}/{corpus}/bm25-{source}.trec",
    log:
        "logs/negatives_run/{train_dataset}/{corpus}/bm25-{source}.log",
    benchmark:
        "benchmarks/negatives_run/{train_dataset}/{corpus}/bm25-{source}.tsv"
    wildcard_constraints:
        source="human|corpus",
    conda:
        "../envs/retrieval.yaml"
    threads: config["bm25"]["threads"]
    params:
        k1=config["bm25"]["k1"],
        b=config["bm25"]["b"],
        depth=lambda wildcards: negatives(wildcards)["depth"],
        remove_query=negatives_remove_query,
    script:
        "../scripts/negatives_run.py"


rule training_set:
    input:
        unpack(trainset_negatives),
        passages="results/corpora/{train_dataset}/{corpus}.jsonl",
        queries="results/datasets/{train_dataset}/queries.jsonl",
        qrels=qrels_file(TRAIN["dataset"], TRAIN["split"]),
    output:
        "results/trainsets/{train_dataset}/{corpus}.jsonl",
    log:
        "logs/training_set/{train_dataset}/{corpus}.log",
    benchmark:
        "benchmarks/training_set/{train_dataset}/{corpus}.tsv"
    conda:
        "../envs/data.yaml"
    params:
        negatives=negatives,
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
