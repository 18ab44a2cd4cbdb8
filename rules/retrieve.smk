rule bm25_index:
    input:
        "results/datasets/{dataset}/corpus.jsonl",
    output:
        directory("results/indexes/bm25/{dataset}"),
    log:
        "logs/bm25_index/{dataset}.log",
    benchmark:
        "benchmarks/bm25_index/{dataset}.tsv"
    threads: config["bm25"]["threads"]
    script:
        "../scripts/bm25_index.py"


rule bm25_search:
    input:
        index="results/indexes/bm25/{dataset}",
        queries="results/datasets/{dataset}/queries.jsonl",
        qrels="results/datasets/{dataset}/qrels/{split}.tsv",
    output:
        "results/runs/{dataset}/{split}/bm25.trec",
    log:
        "logs/bm25_search/{dataset}/{split}.log",
    benchmark:
        "benchmarks/bm25_search/{dataset}/{split}.tsv"
    threads: config["bm25"]["threads"]
    params:
        k1=config["bm25"]["k1"],
        b=config["bm25"]["b"],
        depth=config["bm25"]["depth"],
    script:
        "../scripts/bm25_search.py"


rule rerank:
    input:
        checkpoint=checkpoint_dir,
        first_stage="results/runs/{dataset}/{split}/bm25.trec",
        corpus="results/datasets/{dataset}/corpus.jsonl",
        queries="results/datasets/{dataset}/queries.jsonl",
        qrels="results/datasets/{dataset}/qrels/{split}.tsv",
    output:
        "results/runs/{dataset}/{split}/{arch}/{model}.trec",
    log:
        "logs/rerank/{dataset}/{split}/{arch}/{model}.log",
    benchmark:
        "benchmarks/rerank/{dataset}/{split}/{arch}/{model}.tsv"
    wildcard_constraints:
        arch=alternatives(CROSS_ENCODERS) if CROSS_ENCODERS else "$^",
    threads: 2
    params:
        model=model_ref,
        depth=lambda wildcards: ARCHS[wildcards.arch]["depth"],
        max_length=lambda wildcards: ARCHS[wildcards.arch]["train"]["max_length"],
        batch_size=lambda wildcards: ARCHS[wildcards.arch]["batch_size"],
    script:
        "../scripts/rerank.py"


rule dense_retrieve:
    input:
        checkpoint=checkpoint_dir,
        corpus="results/datasets/{dataset}/corpus.jsonl",
        queries="results/datasets/{dataset}/queries.jsonl",
        qrels="results/datasets/{dataset}/qrels/{split}.tsv",
    output:
        "results/runs/{dataset}/{split}/{arch}/{model}.trec",
    log:
        "logs/dense_retrieve/{dataset}/{split}/{arch}/{model}.log",
    benchmark:
        "benchmarks/dense_retrieve/{dataset}/{split}/{arch}/{model}.tsv"
    wildcard_constraints:
        arch=alternatives(BI_ENCODERS) if BI_ENCODERS else "$^",
    threads: 2
    params:
        model=model_ref,
        depth=lambda wildcards: ARCHS[wildcards.arch]["depth"],
        query_prefix=lambda wildcards: ARCHS[wildcards.arch]["query_prefix"],
        passage_prefix=lambda wildcards: ARCHS[wildcards.arch]["passage_prefix"],
        max_length=lambda wildcards: ARCHS[wildcards.arch]["train"]["max_length"],
        batch_size=lambda wildcards: ARCHS[wildcards.arch]["batch_size"],
    script:
        "../scripts/dense_retrieve.py"
