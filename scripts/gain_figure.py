from synthrank.figures import gain_heatmap
from synthrank.significance import read_tests
from synthrank.step import run

run(
    snakemake,
    lambda: gain_heatmap(
        read_tests(list(snakemake.input)),
        snakemake.output.png,
        snakemake.output.pdf,
        collections=snakemake.params.collections,
        metric_label=snakemake.params.metric_label,
    ),
)
