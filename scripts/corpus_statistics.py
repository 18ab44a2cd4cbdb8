"""The text statistics of one passage corpus (one streamed pass over it)."""

from synthrank.corpus_stats import corpus_statistics
from synthrank.io import write_json
from synthrank.step import run


def main() -> None:
    i, p = snakemake.input, snakemake.params
    stats = corpus_statistics(
        i.passages,
        i.queries,
        i.get("human"),
        novelty_ngram=p.novelty_ngram,
        shingle=p.shingle,
        threshold=p.threshold,
        seed=p.seed,
    )
    write_json(snakemake.output[0], stats)


run(snakemake, main)
