"""One passage corpus (human, generated, mixture or read from a release) and its stats."""

from synthrank.corpora import CorpusSpec, build_corpus, with_generator
from synthrank.queries import evaluation_pairs
from synthrank.step import run


def main() -> None:
    inputs, params = snakemake.input, snakemake.params
    spec = CorpusSpec.from_config(
        with_generator(params.spec, snakemake.config["generators"]),
        gguf=inputs.get("gguf"),
        threads=snakemake.threads,
        component_paths=list(inputs.get("components", [])),
        quality=params.get("quality"),
    )
    build_corpus(
        spec,
        out_path=snakemake.output.passages,
        stats_path=snakemake.output.stats,
        ledger_path=snakemake.output.get("ledger"),
        corpus_path=inputs.corpus,
        queries_path=inputs.queries,
        qrels_path=inputs.qrels,
        cache_path=snakemake.config["generation"]["cache"],  # not a param: moving it reruns nothing
        pool_path=inputs.get("pool"),
        max_queries=params.max_queries,
        sample_seed=params.sample_seed,
        evaluation_qrels=list(inputs.get("evaluation_qrels", [])),
        evaluation=evaluation_pairs(inputs.get("order_queries", []), inputs.get("order_qrels", [])),
        dev_queries=params.get("dev_queries", 0),
    )


run(snakemake, main)
