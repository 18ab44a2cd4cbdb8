"""The training check: every trained model against its floor and a constant predictor's loss."""

from synthrank.step import run
from synthrank.training_check import model_checks, write_training_check


def main() -> None:
    p = snakemake.params
    significance = dict(p.significance)
    checks = model_checks(p.models, stat_test=significance["test"], alpha=significance["alpha"])
    write_training_check(checks, snakemake.output.json, snakemake.output.markdown, significance)


run(snakemake, main)
