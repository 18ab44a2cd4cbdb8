from synthrank.generate import Generator, build_corpus
from synthrank.step import run


def main() -> None:
    spec = snakemake.params.generator
    generator = None
    if spec is not None:
        generator = Generator.from_config(
            spec["name"], spec, gguf=snakemake.input.get("gguf"), threads=snakemake.threads
        )
    build_corpus(
        paradigm=snakemake.params.paradigm,
        out_path=snakemake.output.passages,
        stats_path=snakemake.output.stats,
        corpus_path=snakemake.input.corpus,
        queries_path=snakemake.input.queries,
        qrels_path=snakemake.input.qrels,
        generator=generator,
        template_path=snakemake.input.get("template"),
        cache_path=snakemake.params.cache,
        max_queries=snakemake.params.max_queries,
        sample_seed=snakemake.params.sample_seed,
    )


run(snakemake, main)
