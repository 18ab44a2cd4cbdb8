# Reproducing the thesis from a results bundle (synthrank.reproduce; README.md, "Reproducing the
# thesis"). `synthrank reproduce tables|models BUNDLE` runs these targets in a folder of their own,
# with the bundle's config and reproduce.bundle set; they write the verdicts it prints.


include: "reproduce_inputs.smk"


# Level 1: the rebuilt results (report.smk's rules, from the bundle's runs and metrics) against the
# bundle's, byte for byte.
rule compare_tables:
    input:
        rebuilt_results(),
    output:
        json="results/reproduce/tables.json",
        markdown="results/reproduce/tables.md",
    log:
        "logs/compare_tables.log",
    benchmark:
        "benchmarks/compare_tables.tsv"
    localrule: True
    conda:
        "../envs/reporting.yaml"
    params:
        bundle=REPRODUCE.get("bundle"),
        rebuilt=rebuilt_results(),
    script:
        "../scripts/compare_tables.py"


# Level 2: the retrained models' metric files against the bundle's, cell by cell, within the
# tolerance its seed variance gives; conclusive where the bundle's floor row lies outside it.
rule compare_models:
    input:
        [e["path"] for e in reproduced_entries()],
    output:
        csv="results/reproduce/models.csv",
        markdown="results/reproduce/models.md",
    log:
        "logs/compare_models.log",
    benchmark:
        "benchmarks/compare_models.tsv"
    localrule: True
    conda:
        "../envs/evaluation.yaml"
    params:
        entries=reproduced_entries(),
        floors=reproduced_floors(),
        bundle=REPRODUCE.get("bundle"),
        confidence=REPRODUCE["confidence"],
    script:
        "../scripts/compare_models.py"
