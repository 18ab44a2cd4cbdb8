"""Dense retrieval of one bi-encoder over one test collection."""

from synthrank.dense import dense_retrieve_collections
from synthrank.step import run


def main() -> None:
    i, p = snakemake.input, snakemake.params
    dense_retrieve_collections(
        p.model,
        [(i.corpus, i.queries, i.qrels, snakemake.output[0], list(i.embeddings))],
        k=p.depth,
        query_prefix=p.query_prefix,
        passage_prefix=p.passage_prefix,
        max_length=p.max_length,
        batch_size=p.batch_size,
        tag=snakemake.wildcards.arch,
        remove_query=p.remove_query,
        precision=p.precision,
    )


run(snakemake, main)
