from synthrank.data import ingest_collection
from synthrank.step import run

run(
    snakemake,
    lambda: ingest_collection(snakemake.params.source, snakemake.output.corpus, snakemake.output.queries),
)
