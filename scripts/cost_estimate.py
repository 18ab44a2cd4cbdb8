"""What the configured grid will cost, before anything is spent."""

from synthrank.corpora import CorpusSpec
from synthrank.cost_estimate import estimate
from synthrank.queries import evaluation_pairs
from synthrank.step import run


def main() -> None:
    inputs, params = snakemake.input, snakemake.params
    estimate(
        [CorpusSpec.from_config(spec) for spec in params.specs],
        snakemake.output.json,
        snakemake.output.markdown,
        inputs.corpus,
        inputs.queries,
        inputs.qrels,
        pool_path=inputs.get("pool"),
        max_queries=params.max_queries,
        sample_seed=params.sample_seed,
        evaluation_qrels=list(inputs.evaluation_qrels),
        cache_path=params.cache,
        gpu=params.gpu,
        evaluation=evaluation_pairs(inputs.order_queries, inputs.order_qrels),
        dev_queries=params.get("dev_queries", 0),
    )


run(snakemake, main)
