"""Effectiveness against the number of training queries of the corpus."""

from synthrank.figures import size_figure
from synthrank.grid import corpus_facets, numeric_sizes, series_label
from synthrank.io import read_json
from synthrank.report import collect_scores
from synthrank.step import run


def main() -> None:
    p = snakemake.params
    facets = corpus_facets(p.corpora, p.max_queries, p.negatives)
    counted = {c: read_json(path)["queries"] for c, path in zip(p.counted, snakemake.input.stats, strict=True)}
    size_figure(
        collect_scores(p.entries),
        numeric_sizes(facets, counted),
        {name: series_label(f) for name, f in facets.items()},
        snakemake.output.png,
        snakemake.output.pdf,
        metric_label=p.metric_label,
    )


run(snakemake, main)
