"""One effectiveness table (with significance marks against the human corpus)."""

from synthrank.report import collect_scores, effectiveness_table, write_effectiveness_table
from synthrank.significance import read_tests
from synthrank.step import run


def main() -> None:
    p = snakemake.params
    spec = p.table["spec"]
    out = dict(snakemake.output.items())
    table = None
    if spec["rows"]:
        table = effectiveness_table(
            collect_scores(p.entries),
            read_tests(list(snakemake.input.tests)),
            [tuple(row) for row in spec["rows"]],
            spec["collections"],
            spec["averages"],
        )
    write_effectiveness_table(table, p.table["facets"], out, p.table["caption"], p.seeds, empty=spec["empty"])


run(snakemake, main)
