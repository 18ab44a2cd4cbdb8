"""The metric file of a random order of a reranker's candidates: the floor its table row shows."""

from synthrank.evaluate import random_order_floor
from synthrank.io import write_json
from synthrank.step import run


def main() -> None:
    i, p = snakemake.input, snakemake.params
    result = random_order_floor(
        i.run, i.qrels, list(p.metrics), p.depth, p.relevance_level, p.floor["permutations"], p.floor["seed"]
    )
    write_json(snakemake.output[0], result)


run(snakemake, main)
