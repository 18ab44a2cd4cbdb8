from synthrank.figures import id_ood_figure
from synthrank.report import collect_scores
from synthrank.step import run

run(
    snakemake,
    lambda: id_ood_figure(
        collect_scores(snakemake.params.entries),
        snakemake.output.png,
        snakemake.output.pdf,
        metric_label=snakemake.params.metric_label,
        paradigms=snakemake.params.paradigms,
    ),
)
