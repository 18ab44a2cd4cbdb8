from synthrank.report import collect_scores, results_table, write_table
from synthrank.step import run


def main() -> None:
    p = snakemake.params
    means, stds = results_table(collect_scores(p.entries), [tuple(key) for key in p.order])
    o = snakemake.output
    write_table(means, stds, o.csv, o.markdown, o.latex, caption=p.caption, seeds=p.seeds, html=o.html)


run(snakemake, main)
