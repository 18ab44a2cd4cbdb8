"""The cost table: LLM tokens, dollars and compute hours per corpus and model."""

from synthrank.cost_measured import cost_table, write_cost_table
from synthrank.step import run


def main() -> None:
    p = snakemake.params
    table = cost_table(p.corpora, p.models, p.costs["annotation_per_query"])
    write_cost_table(table, dict(snakemake.output.items()), p.caption)


run(snakemake, main)
