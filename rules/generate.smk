def corpus_inputs(wildcards):
    """A generated corpus needs its prompt template and, for the local backend, the model file."""
    spec = config["corpora"][wildcards.corpus]
    inputs = {}
    if "template" in spec:
        inputs["template"] = spec["template"]
        if GENERATORS[spec["generator"]]["backend"] == "local":
            inputs["gguf"] = f"resources/llm/{spec['generator']}.gguf"
    return inputs


def corpus_generator(wildcards):
    spec = config["corpora"][wildcards.corpus]
    return (
        {"name": spec["generator"], **GENERATORS[spec["generator"]]}
        if "generator" in spec
        else None
    )


rule fetch_llm_gguf:
    output:
        "resources/llm/{generator}.gguf",
    log:
        "logs/fetch_llm_gguf/{generator}.log",
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
    threads: 2
    params:
        paradigm=lambda wildcards: config["corpora"][wildcards.corpus]["paradigm"],
        generator=corpus_generator,
        cache=config["generation"]["cache"],
        max_queries=TRAIN.get("max_queries"),
        sample_seed=TRAIN["sample_seed"],
    script:
        "../scripts/passage_corpus.py"
