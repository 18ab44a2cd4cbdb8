from synthrank.generate import build_exemplar_pool
from synthrank.step import run

run(
    snakemake,
    lambda: build_exemplar_pool(
        snakemake.output[0],
        snakemake.input.corpus,
        snakemake.input.queries,
        snakemake.input.qrels,
        list(zip(snakemake.input.evaluation_queries, snakemake.input.evaluation_qrels, strict=True)),
        size=snakemake.params.pool["size"],
        seed=snakemake.params.pool["seed"],
    ),
)
