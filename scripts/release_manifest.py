"""The manifest of every released corpus."""

from synthrank.release import write_manifest
from synthrank.step import run


def main() -> None:
    o = snakemake.output
    write_manifest(list(snakemake.params.folders), o.csv, o.markdown, snakemake.wildcards.train_dataset)


run(snakemake, main)
