"""The gain-over-human heatmap."""

from synthrank.figures import gain_heatmap
from synthrank.significance import read_tests
from synthrank.step import run


def main() -> None:
    p = snakemake.params
    gain_heatmap(
        read_tests(list(snakemake.input)),
        snakemake.output.png,
        snakemake.output.pdf,
        collections=p.collections,
        metric_label=p.metric_label,
    )


run(snakemake, main)
