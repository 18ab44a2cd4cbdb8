rule fetch_llm_gguf:
    output:
        "resources/llm/{generator}.gguf",
    log:
        "logs/fetch_llm_gguf/{generator}.log",
    conda:
        "../envs/generation.yaml"
    params:
        gguf=lambda wildcards: GENERATORS[wildcards.generator]["gguf"],
    script:
        "../scripts/fetch_llm_gguf.py"


rule passage_corpus:
    input:
        unpack(corpus_inputs),
        corpus="results/datasets/{train_dataset}/corpus.jsonl",
        queries="results/datasets/{train_dataset}/queries.jsonl",
        qrels=qrels_file(TRAIN["dataset"], TRAIN["split"]),
    output:
        passages="results/corpora/{train_dataset}/{corpus}.jsonl",
        stats="results/corpora/{train_dataset}/{corpus}.stats.json",
    log:
        "logs/passage_corpus/{train_dataset}/{corpus}.log",
    benchmark:
        "benchmarks/passage_corpus/{train_dataset}/{corpus}.tsv"
    conda:
        "../envs/generation.yaml"
    threads: 2
    resources:
        # vLLM generates inside the job and needs a GPU; API and llama.cpp generation hold none
        gpu=lambda wildcards: int(
            (corpus_generator(wildcards) or {}).get("backend") == "vllm"
        ),
    params:
        paradigm=lambda wildcards: config["corpora"][wildcards.corpus]["paradigm"],
        generator=corpus_generator,
        cache=config["generation"]["cache"],
        max_queries=TRAIN.get("max_queries"),
        sample_seed=TRAIN["sample_seed"],
    script:
        "../scripts/passage_corpus.py"
