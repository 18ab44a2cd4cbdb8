"""Compare BM25 metric files with the published expected scores."""

from synthrank.checks import run_check
from synthrank.step import run


def main() -> None:
    p = snakemake.params
    run_check(p.expected, p.bm25, p.files, snakemake.output[0])


run(snakemake, main)
