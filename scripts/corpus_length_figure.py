"""Passage length distributions per corpus, one panel."""

from synthrank.figures import length_figure
from synthrank.io import read_json
from synthrank.step import run


def main() -> None:
    p = snakemake.params
    lengths = {c: read_json(path)["length_counts"] for c, path in zip(p.corpora, snakemake.input, strict=True)}
    length_figure(lengths, p.paradigms, snakemake.output.png, snakemake.output.pdf)


run(snakemake, main)
