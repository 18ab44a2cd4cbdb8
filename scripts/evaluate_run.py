"""The metric file of one run (ranx's metric functions, ranked as trec_eval ranks)."""

from synthrank.evaluate import evaluate_run
from synthrank.io import write_json
from synthrank.step import run


def main() -> None:
    i, p = snakemake.input, snakemake.params
    result = evaluate_run(i.run, i.qrels, list(p.metrics), p.relevance_level, p.rerank_depth)
    write_json(snakemake.output[0], result)


run(snakemake, main)
