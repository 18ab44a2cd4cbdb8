"""One split's relevance judgments in the canonical TSV form."""

from synthrank.data import ingest_qrels
from synthrank.step import run


def main() -> None:
    i = snakemake.input
    ingest_qrels(snakemake.params.source, snakemake.wildcards.split, i.corpus, i.queries, snakemake.output[0])


run(snakemake, main)
