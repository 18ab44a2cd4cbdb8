"""The 2-D map of every corpus's sampled passage embeddings (one shared projection)."""

from synthrank.corpus_stats import corpus_map
from synthrank.figures import corpus_map_figure
from synthrank.step import run


def main() -> None:
    p = snakemake.params
    coords = corpus_map(dict(zip(p.corpora, snakemake.input, strict=True)))
    corpus_map_figure(coords, p.paradigms, p.reference, snakemake.output.png, snakemake.output.pdf)


run(snakemake, main)
