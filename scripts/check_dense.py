"""Compare the untuned bi-encoders' metric files with their base model's published scores."""

from synthrank.checks import run_dense_check
from synthrank.step import run


def main() -> None:
    p = snakemake.params
    run_dense_check(p.expected, p.architectures, p.files, snakemake.output[0])


run(snakemake, main)
