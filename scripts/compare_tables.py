"""Level 1's verdict: the rebuilt results against the bundle's, byte for byte."""

from synthrank.reproduce import compare_tables
from synthrank.step import run


def main() -> None:
    p, o = snakemake.params, snakemake.output
    compare_tables(list(p.rebuilt), p.bundle, o.json, o.markdown)


run(snakemake, main)
