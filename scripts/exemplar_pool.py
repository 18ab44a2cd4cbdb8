"""The labelled exemplar pool of few-shot-supervised prompts."""

from synthrank.exemplars import build_exemplar_pool
from synthrank.step import run


def main() -> None:
    i, p = snakemake.input, snakemake.params
    build_exemplar_pool(
        snakemake.output[0],
        i.corpus,
        i.queries,
        i.qrels,
        list(zip(i.evaluation_queries, i.evaluation_qrels, strict=True)),
        size=p.pool["size"],
        seed=p.pool["seed"],
    )


run(snakemake, main)
