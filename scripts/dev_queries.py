"""The dev split of the training queries (training.dev_queries), for choosing recipes and prompts."""

from synthrank.queries import evaluation_pairs, write_dev_queries
from synthrank.step import run


def main() -> None:
    inputs, params = snakemake.input, snakemake.params
    write_dev_queries(
        snakemake.output[0],
        inputs.queries,
        inputs.qrels,
        inputs.get("pool"),
        params.sample_seed,
        evaluation_pairs(inputs.order_queries, inputs.order_qrels),
        params.get("dev_queries", 0),
    )


run(snakemake, main)
