"""A BM25 index of a passage corpus's own passages (where label-free hard negatives are mined)."""

from synthrank.step import run
from synthrank.train import build_passages_index


def main() -> None:
    build_passages_index(snakemake.input[0], snakemake.output[0], threads=snakemake.threads)


run(snakemake, main)
