"""Level 2's verdict: each retrained cell against the bundle's numbers, within the seed variance."""

from synthrank.reproduce import compare_models
from synthrank.step import run


def main() -> None:
    p, o = snakemake.params, snakemake.output
    compare_models(p.entries, p.bundle, p.confidence, o.csv, o.markdown)


run(snakemake, main)
