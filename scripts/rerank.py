"""Rerank the BM25 candidates of one test collection with one cross-encoder."""

from synthrank.retrieve import rerank_collections
from synthrank.step import run


def main() -> None:
    i, p = snakemake.input, snakemake.params
    rerank_collections(
        p.model,
        [(i.first_stage, i.corpus, i.queries, i.qrels, snakemake.output[0])],
        depth=p.depth,
        max_length=p.max_length,
        batch_size=p.batch_size,
        tag=snakemake.wildcards.arch,
        precision=p.precision,
    )


run(snakemake, main)
