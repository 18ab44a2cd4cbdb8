"""Export every answer the corpora's ledgers name from the request cache."""

from synthrank.llm.cache import export_answers
from synthrank.step import run


def main() -> None:
    export_answers(snakemake.params.cache, list(snakemake.input.ledgers), snakemake.output[0])


run(snakemake, main)
