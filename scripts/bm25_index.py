from synthrank.retrieve import build_bm25_index
from synthrank.step import run

run(snakemake, lambda: build_bm25_index(snakemake.input[0], snakemake.output[0], threads=snakemake.threads))
