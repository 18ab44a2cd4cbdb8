"""The results bundle: every run, metric file, significance test, table, figure and cost record."""

from synthrank.bundle import write_results_bundle
from synthrank.step import run


def main() -> None:
    inputs, params = snakemake.input, snakemake.params
    roles = ("run", "metrics", "significance", "table", "figure", "check", "cost")
    write_results_bundle(
        snakemake.output[0],
        {role: list(inputs[role]) for role in roles},
        params.config,
        params.corpora,
        snakemake.wildcards.train_dataset,
        seed_variance=params.seed_variance,
        thesis=params.thesis,
    )


run(snakemake, main)
