"""Fine-tune a cross-encoder on a training set."""

from synthrank.step import run
from synthrank.train import train_cross_encoder


def main() -> None:
    p = snakemake.params
    train_cross_encoder(
        snakemake.input[0], p.base_model, snakemake.output[0], seed=int(snakemake.wildcards.seed), hyper=p.hyper
    )


run(snakemake, main)
