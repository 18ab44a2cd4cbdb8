"""Effectiveness of each trained model against its corpus's query overlap."""

from synthrank.figures import overlap_figure
from synthrank.io import read_json
from synthrank.report import collect_scores
from synthrank.step import run


def main() -> None:
    p, i = snakemake.params, snakemake.input
    overlaps = {c: read_json(path)["query_overlap"] for c, path in zip(p.corpora, i.statistics, strict=True)}
    overlap_figure(
        collect_scores(p.entries),
        overlaps,
        p.paradigms,
        snakemake.output.png,
        snakemake.output.pdf,
        metric_label=p.metric_label,
    )


run(snakemake, main)
