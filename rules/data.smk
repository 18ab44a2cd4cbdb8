rule ingest_collection:
    output:
        corpus="results/datasets/{dataset}/corpus.jsonl",
        queries="results/datasets/{dataset}/queries.jsonl",
    log:
        "logs/ingest_collection/{dataset}.log",
    benchmark:
        "benchmarks/ingest_collection/{dataset}.tsv"
    conda:
        "../envs/data.yaml"
    params:
        source=dataset_source,
    script:
        "../scripts/ingest_collection.py"


rule ingest_qrels:
    input:
        corpus="results/datasets/{dataset}/corpus.jsonl",
        queries="results/datasets/{dataset}/queries.jsonl",
    output:
        "results/datasets/{dataset}/qrels/{split}.tsv",
    log:
        "logs/ingest_qrels/{dataset}/{split}.log",
    benchmark:
        "benchmarks/ingest_qrels/{dataset}/{split}.tsv"
    conda:
        "../envs/data.yaml"
    params:
        source=dataset_source,
    script:
        "../scripts/ingest_qrels.py"
