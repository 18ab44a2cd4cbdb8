"""Significance tests of one architecture's models against their references: per collection
(synthrank.significance) and the claims' unit (synthrank.claims)."""

from synthrank.claims import claims_tests, write_claims
from synthrank.significance import significance_tests, write_tests
from synthrank.step import run


def main() -> None:
    p = snakemake.params
    tests = significance_tests(p.entries, p.references, stat_test=p.test, alpha=p.alpha, correction=p.correction)
    write_tests(tests, snakemake.output.tests)
    claims = claims_tests(
        p.entries,
        p.claims,
        excluded=p.trained_on,
        alpha=p.alpha,
        margin=p.margin,
        resamples=p.resamples,
        seed=p.seed,
        correction=p.correction,
    )
    write_claims(claims, snakemake.output.claims)


run(snakemake, main)
