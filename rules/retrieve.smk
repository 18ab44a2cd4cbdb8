rule bm25_index:
    input:
        "results/datasets/{dataset}/corpus.jsonl",
    output:
        directory("results/indexes/bm25/{dataset}"),
    log:
        "logs/bm25_index/{dataset}.log",
    benchmark:
        "benchmarks/bm25_index/{dataset}.tsv"
    conda:
        "../envs/retrieval.yaml"
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
    conda:
        "../envs/retrieval.yaml"
    threads: config["bm25"]["threads"]
    params:
        k1=config["bm25"]["k1"],
        b=config["bm25"]["b"],
        depth=config["bm25"]["depth"],
        remove_query=dataset_setting("remove_query"),
    script:
        "../scripts/bm25_search.py"


# One job per (test collection, model): a new collection, model or seed runs only its own jobs
# (README, "Growing the grid").
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
        arch=alternatives(CROSS_ENCODERS),
    conda:
        "../envs/models.yaml"
    threads: 2
    params:
        model=model_ref,
        depth=arch_setting("depth"),
        max_length=arch_setting("max_length"),
        batch_size=arch_setting("batch_size"),
        precision=arch_setting("precision"),
    script:
        "../scripts/rerank.py"


# Dense retrieval: see embedding_shards (common.smk) for which corpora are encoded in shards.
rule encode_corpus_shard:
    input:
        checkpoint=checkpoint_dir,
        corpus="results/datasets/{dataset}/corpus.jsonl",
    output:
        "results/embeddings/{dataset}/{arch}/{model}/shard{shard}-of-{shards}.npy",
    log:
        "logs/encode_corpus_shard/{dataset}/{arch}/{model}/shard{shard}-of-{shards}.log",
    benchmark:
        "benchmarks/encode_corpus_shard/{dataset}/{arch}/{model}/shard{shard}-of-{shards}.tsv"
    wildcard_constraints:
        arch=alternatives(BI_ENCODERS),
        shard=r"\d+",
        shards=r"\d+",
    conda:
        "../envs/models.yaml"
    threads: 2
    params:
        model=model_ref,
        passage_prefix=arch_setting("passage_prefix"),
        max_length=arch_setting("max_length"),
        batch_size=arch_setting("batch_size"),
        precision=arch_setting("precision"),
    script:
        "../scripts/encode_corpus_shard.py"


rule dense_retrieve:
    input:
        checkpoint=checkpoint_dir,
        corpus="results/datasets/{dataset}/corpus.jsonl",
        queries="results/datasets/{dataset}/queries.jsonl",
        qrels="results/datasets/{dataset}/qrels/{split}.tsv",
        embeddings=dataset_embeddings,
    output:
        "results/runs/{dataset}/{split}/{arch}/{model}.trec",
    log:
        "logs/dense_retrieve/{dataset}/{split}/{arch}/{model}.log",
    benchmark:
        "benchmarks/dense_retrieve/{dataset}/{split}/{arch}/{model}.tsv"
    wildcard_constraints:
        arch=alternatives(BI_ENCODERS),
    conda:
        "../envs/models.yaml"
    threads: 2
    params:
        model=model_ref,
        depth=arch_setting("depth"),
        query_prefix=arch_setting("query_prefix"),
        passage_prefix=arch_setting("passage_prefix"),
        max_length=arch_setting("max_length"),
        batch_size=arch_setting("batch_size"),
        precision=arch_setting("precision"),
        remove_query=dataset_setting("remove_query"),
    script:
        "../scripts/dense_retrieve.py"
