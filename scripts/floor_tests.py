"""One architecture's rows against its floor (random order of the candidates, or the untuned model)."""

from synthrank.step import run
from synthrank.training_check import floor_tests, write_floor_tests


def main() -> None:
    p = snakemake.params
    tests = floor_tests(p.entries, p.floors, stat_test=p.test, alpha=p.alpha)
    write_floor_tests(tests, snakemake.output[0])


run(snakemake, main)
