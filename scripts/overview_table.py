"""The overview table: every system on every test collection."""

from synthrank.claims import read_claims
from synthrank.report import collect_scores, results_table, write_overview_table
from synthrank.step import run
from synthrank.training_check import floor_caption, not_above_floor, read_floor_tests


def main() -> None:
    p = snakemake.params
    means, stds = results_table(collect_scores(p.entries), [tuple(key) for key in p.order], p.trained_on)
    floor = read_floor_tests(list(snakemake.input.floor))
    caption = p.caption + floor_caption(floor, p.significance)
    claims = read_claims(list(snakemake.input.claims))
    write_overview_table(means, stds, dict(snakemake.output.items()), caption, p.seeds, not_above_floor(floor), claims)


run(snakemake, main)
