from synthrank.io import write_run
from synthrank.retrieve import dense_retrieve, judged_queries
from synthrank.step import run


def main() -> None:
    p = snakemake.params
    result = dense_retrieve(
        p.model,
        judged_queries(snakemake.input.queries, snakemake.input.qrels),
        snakemake.input.corpus,
        k=p.depth,
        query_prefix=p.query_prefix,
        passage_prefix=p.passage_prefix,
        max_length=p.max_length,
        batch_size=p.batch_size,
    )
    write_run(snakemake.output[0], result, tag=snakemake.wildcards.arch)


run(snakemake, main)
