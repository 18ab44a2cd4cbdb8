# One job per run file: a new collection or model adds its own metric files and nothing else.
rule evaluate_run:
    input:
        run="results/runs/{dataset}/{split}/{system}.trec",
        qrels="results/datasets/{dataset}/qrels/{split}.tsv",
    output:
        "results/metrics/{dataset}/{split}/{system}.json",
    log:
        "logs/evaluate_run/{dataset}/{split}/{system}.log",
    benchmark:
        "benchmarks/evaluate_run/{dataset}/{split}/{system}.tsv"
    conda:
        "../envs/evaluation.yaml"
    params:
        metrics=config["evaluation"]["metrics"],
        relevance_level=collection_setting("relevance_level", default=1),
        rerank_depth=rerank_depth,
    script:
        "../scripts/evaluate_run.py"


# A cross-encoder's chance floor (architectures.<arch>.random_baseline): a random order of the
# BM25 candidates it reranks, averaged over seeded shuffles. Its row reads "<arch> / random".
rule random_order_floor:
    input:
        run="results/runs/{dataset}/{split}/bm25.trec",
        qrels="results/datasets/{dataset}/qrels/{split}.tsv",
    output:
        "results/metrics/{dataset}/{split}/{arch}/random.json",
    log:
        "logs/random_order_floor/{dataset}/{split}/{arch}.log",
    benchmark:
        "benchmarks/random_order_floor/{dataset}/{split}/{arch}.tsv"
    wildcard_constraints:
        arch=alternatives(CROSS_ENCODERS),
    conda:
        "../envs/evaluation.yaml"
    params:
        metrics=config["evaluation"]["metrics"],
        relevance_level=collection_setting("relevance_level", default=1),
        depth=arch_setting("depth"),
        floor={"permutations": 100, "seed": 0},
    script:
        "../scripts/random_order_floor.py"


# A group of evaluation collections reported as one (evaluation entries with `group:`, e.g. BEIR's
# CQADupStack: 12 forums, one number): its metric file averages its members' (synthrank.groups).
# Group names are no dataset's, so no other rule writes these paths.
rule group_metrics:
    input:
        lambda wildcards: list(group_member_metrics(wildcards).values()),
    output:
        "results/metrics/{group}/{split}/{system}.json",
    log:
        "logs/group_metrics/{group}/{split}/{system}.log",
    benchmark:
        "benchmarks/group_metrics/{group}/{split}/{system}.tsv"
    wildcard_constraints:
        group=alternatives(GROUPS),
        system=".+",
    localrule: True
    conda:
        "../envs/evaluation.yaml"
    params:
        members=lambda wildcards: group_member_metrics(wildcards),
        group=lambda wildcards: f"{wildcards.group}/{wildcards.split}",
    script:
        "../scripts/group_metrics.py"
