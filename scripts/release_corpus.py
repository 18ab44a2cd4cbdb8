"""A corpus as a datasets-loadable release folder."""

from synthrank.release import release_corpus
from synthrank.step import run


def main() -> None:
    inputs, params, wildcards = snakemake.input, snakemake.params, snakemake.wildcards
    release_corpus(
        out_dir=str(snakemake.output.card).rsplit("/", 1)[0],
        corpus=wildcards.corpus,
        train_dataset=wildcards.train_dataset,
        corpus_path=inputs.passages,
        stats_path=inputs.stats,
        queries_path=inputs.queries,
        spec=params.spec,
        source=params.source,
        template_path=inputs.get("template"),
        quality=params.quality,
        training=params.training,
        thesis=params.thesis,
        generator_licences=params.generator_licences,
    )


run(snakemake, main)
