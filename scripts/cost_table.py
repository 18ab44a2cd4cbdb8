from synthrank.cost import cost_table, write_cost_table
from synthrank.step import run

run(
    snakemake,
    lambda: write_cost_table(
        cost_table(snakemake.params.corpora, snakemake.params.models),
        dict(snakemake.output.items()),
        snakemake.params.caption,
    ),
)
