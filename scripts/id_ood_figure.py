"""In-domain against out-of-domain effectiveness."""

from synthrank.figures import id_ood_figure
from synthrank.report import collect_scores
from synthrank.step import run


def main() -> None:
    p = snakemake.params
    id_ood_figure(
        collect_scores(p.entries),
        snakemake.output.png,
        snakemake.output.pdf,
        metric_label=p.metric_label,
        paradigms=p.paradigms,
    )


run(snakemake, main)
