"""Metric files of one system on every test collection (ranx)."""

from synthrank.evaluate import evaluate_run
from synthrank.io import write_json
from synthrank.step import run


def main() -> None:
    metrics = list(snakemake.params.metrics)
    for run_path, qrels_path, out in zip(snakemake.input.runs, snakemake.input.qrels, snakemake.output, strict=True):
        write_json(out, evaluate_run(run_path, qrels_path, metrics))


run(snakemake, main)
