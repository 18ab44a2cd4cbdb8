from synthrank.io import write_run
from synthrank.retrieve import judged_queries, rerank
from synthrank.step import run


def main() -> None:
    p = snakemake.params
    result = rerank(
        p.model,
        snakemake.input.first_stage,
        judged_queries(snakemake.input.queries, snakemake.input.qrels),
        snakemake.input.corpus,
        depth=p.depth,
        max_length=p.max_length,
        batch_size=p.batch_size,
    )
    write_run(snakemake.output[0], result, tag=snakemake.wildcards.arch)


run(snakemake, main)
