"""Effectiveness against what a model cost."""

import pandas as pd

from synthrank.cost_measured import model_costs
from synthrank.figures import cost_figure
from synthrank.report import collect_scores
from synthrank.step import run


def main() -> None:
    p = snakemake.params
    costs = model_costs(pd.read_csv(snakemake.input.costs, index_col=0), p.archs, p.seeds)
    cost_figure(
        costs,
        collect_scores(p.entries),
        p.paradigms,
        snakemake.output.png,
        snakemake.output.pdf,
        metric_label=p.metric_label,
    )


run(snakemake, main)
