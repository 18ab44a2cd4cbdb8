from synthrank.data import ingest_qrels
from synthrank.step import run

run(
    snakemake,
    lambda: ingest_qrels(
        snakemake.params.source,
        snakemake.wildcards.split,
        snakemake.input.corpus,
        snakemake.input.queries,
        snakemake.output[0],
    ),
)
