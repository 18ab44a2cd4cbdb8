"""BM25 top-k of one split's judged queries."""

from synthrank.collection import judged_queries
from synthrank.io import write_run
from synthrank.retrieve import bm25_search
from synthrank.step import run


def main() -> None:
    queries = judged_queries(snakemake.input.queries, snakemake.input.qrels)
    p = snakemake.params
    result = bm25_search(
        snakemake.input.index,
        queries,
        k=p.depth,
        k1=p.k1,
        b=p.b,
        threads=snakemake.threads,
        remove_query=p.remove_query,
    )
    write_run(snakemake.output[0], result, tag="bm25")


run(snakemake, main)
