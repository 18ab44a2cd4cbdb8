from synthrank.llm import export_answers
from synthrank.step import run

run(snakemake, lambda: export_answers(snakemake.params.cache, list(snakemake.input.ledgers), snakemake.output[0]))
