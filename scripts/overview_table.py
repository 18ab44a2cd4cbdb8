"""The overview table: every system on every test collection."""

from synthrank.report import collect_scores, results_table, write_overview_table
from synthrank.step import run


def main() -> None:
    p = snakemake.params
    means, stds = results_table(collect_scores(p.entries), [tuple(key) for key in p.order])
    write_overview_table(means, stds, dict(snakemake.output.items()), p.caption, p.seeds)


run(snakemake, main)
