"""The metric file of a group of collections: the mean of its members' (BEIR's CQADupStack)."""

from synthrank.groups import average_metric_files
from synthrank.io import write_json
from synthrank.step import run


def main() -> None:
    p = snakemake.params
    write_json(snakemake.output[0], average_metric_files(dict(p.members), p.group))


run(snakemake, main)
