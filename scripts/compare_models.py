"""Level 2's verdict: each retrained cell against the bundle's numbers, within the seed variance;
conclusive where its floor lies outside the tolerance."""

from synthrank.reproduce import compare_models
from synthrank.step import run


def main() -> None:
    p, o = snakemake.params, snakemake.output
    compare_models(p.entries, p.floors, p.bundle, p.confidence, o.csv, o.markdown)


run(snakemake, main)
