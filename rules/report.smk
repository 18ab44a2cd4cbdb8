rule overview_table:
    input:
        [entry["path"] for entry in metric_entries()],
    output:
        csv="results/tables/overview.csv",
        markdown="results/tables/overview.md",
        latex="results/tables/overview.tex",
    log:
        "logs/overview_table.log",
    localrule: True
    conda:
        "../envs/reporting.yaml"
    params:
        entries=metric_entries(),
        order=system_order(),
        seeds=len(SEEDS),
        caption="Effectiveness (each collection's official measure; mean over seeds) "
        "of rankers fine-tuned on each passage corpus, in-domain (ID) and out-of-domain (OOD).",
    script:
        "../scripts/overview_table.py"


rule id_ood_figure:
    input:
        [entry["path"] for entry in metric_entries()],
    output:
        png="figures/id-vs-ood.png",
        pdf="figures/id-vs-ood.pdf",
    log:
        "logs/id_ood_figure.log",
    localrule: True
    conda:
        "../envs/reporting.yaml"
    params:
        entries=metric_entries(),
        metric_label="mean official measure",
    script:
        "../scripts/id_ood_figure.py"
