"""A dataset's corpus and queries in the canonical JSONL form."""

from synthrank.data import ingest_collection
from synthrank.step import run


def main() -> None:
    ingest_collection(snakemake.params.source, snakemake.output.corpus, snakemake.output.queries)


run(snakemake, main)
