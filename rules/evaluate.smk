# One job scores one system on every test collection (ranx's numba start-up costs seconds
# per process); each run still gets its own metrics file.
rule evaluate_system:
    input:
        runs=expand("results/runs/{collection}/{{system}}.trec", collection=COLLECTIONS),
        qrels=evaluation_files("qrels"),
    output:
        expand("results/metrics/{collection}/{{system}}.json", collection=COLLECTIONS),
    log:
        "logs/evaluate_system/{system}.log",
    benchmark:
        "benchmarks/evaluate_system/{system}.tsv"
    conda:
        "../envs/evaluation.yaml"
    params:
        metrics=config["evaluation"]["metrics"],
    script:
        "../scripts/evaluate_system.py"
