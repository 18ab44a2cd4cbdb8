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
    script:
        "../scripts/evaluate_run.py"
