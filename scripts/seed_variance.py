"""The seed variance of each architecture's scores, pooled over its cells (level 2's tolerance)."""

from synthrank.reproduce import seed_variance
from synthrank.step import run


def main() -> None:
    seed_variance(snakemake.params.entries, snakemake.output[0], snakemake.params.pool)


run(snakemake, main)
