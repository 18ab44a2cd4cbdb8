from synthrank.checks import run_check
from synthrank.step import run

run(
    snakemake,
    lambda: run_check(snakemake.params.expected, snakemake.params.bm25, snakemake.params.files, snakemake.output[0]),
)
