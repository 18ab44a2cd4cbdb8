"""Index a corpus with Lucene (BM25)."""

from synthrank.retrieve import build_bm25_index
from synthrank.step import run


def main() -> None:
    build_bm25_index(snakemake.input[0], snakemake.output[0], threads=snakemake.threads)


run(snakemake, main)
