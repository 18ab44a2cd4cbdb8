"""The cost table: LLM tokens, dollars and compute hours per corpus and model."""

from synthrank.cost_measured import cost_table, write_cost_table
from synthrank.step import run


def main() -> None:
    p = snakemake.params
    write_cost_table(cost_table(p.corpora, p.models), dict(snakemake.output.items()), p.caption)


run(snakemake, main)
