"""A corpus's seeded passage sample embedded by the untuned bi-encoder, and its judge's verdict."""

from synthrank.corpus_stats import embed_sample
from synthrank.step import run


def main() -> None:
    i, o, p = snakemake.input, snakemake.output, snakemake.params
    embed_sample(
        i.passages,
        i.queries,
        o.sample,
        o.judge,
        model=p.model,
        size=p.size,
        seed=p.seed,
        max_length=p.max_length,
        query_prefix=p.query_prefix,
        passage_prefix=p.passage_prefix,
        batch_size=p.batch_size,
        precision=p.precision,
    )


run(snakemake, main)
