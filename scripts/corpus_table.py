"""The corpus-statistics table: one row per corpus."""

from synthrank.corpus_report import corpus_rows, write_corpus_table
from synthrank.step import run


def main() -> None:
    p, i = snakemake.params, snakemake.input
    names = list(p.corpora)
    rows = corpus_rows(p.corpora, dict(zip(names, i.statistics, strict=True)), dict(zip(names, i.judge, strict=True)))
    write_corpus_table(rows, dict(snakemake.output.items()), p.caption)


run(snakemake, main)
