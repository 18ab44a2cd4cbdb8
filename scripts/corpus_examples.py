"""The examples page: a seeded sample of training queries, each corpus's passage side by side."""

from synthrank.corpus_report import examples, write_examples
from synthrank.step import run


def main() -> None:
    i, p, o = snakemake.input, snakemake.params, snakemake.output
    found = examples(p.corpora, i.queries, p.examples, p.seed, i.get("pool"), i.get("collection"))
    write_examples(found, o.markdown, o.html, p.caption)


run(snakemake, main)
