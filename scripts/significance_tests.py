"""Significance tests of one architecture's models against their human references."""

from synthrank.significance import significance_tests, write_tests
from synthrank.step import run


def main() -> None:
    p = snakemake.params
    tests = significance_tests(p.entries, p.references, stat_test=p.test, alpha=p.alpha, correction=p.correction)
    write_tests(tests, snakemake.output[0])


run(snakemake, main)
