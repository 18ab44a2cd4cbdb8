"""One effectiveness table (with significance marks against the human corpus and the floor mark)."""

from synthrank.claims import read_claims
from synthrank.report import collect_scores, effectiveness_table, write_effectiveness_table
from synthrank.significance import read_tests
from synthrank.step import run
from synthrank.training_check import floor_caption, not_above_floor, read_floor_tests


def main() -> None:
    p = snakemake.params
    spec = p.table["spec"]
    out = dict(snakemake.output.items())
    table = None
    floor = read_floor_tests(list(snakemake.input.floor))
    caption = p.table["caption"]
    if spec["rows"]:
        table = effectiveness_table(
            collect_scores(p.entries),
            read_tests(list(snakemake.input.tests)),
            [tuple(row) for row in spec["rows"]],
            spec["collections"],
            spec["averages"],
            read_claims(list(snakemake.input.claims)),
            p.trained_on,
        )
        caption += floor_caption(floor, p.significance)
    write_effectiveness_table(
        table, p.table["facets"], out, caption, p.seeds, empty=spec["empty"], not_above_floor=not_above_floor(floor)
    )


run(snakemake, main)
