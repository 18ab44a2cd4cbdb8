"""Fine-tune a bi-encoder on a training set."""

from synthrank.step import run
from synthrank.train import train_bi_encoder


def main() -> None:
    p = snakemake.params
    train_bi_encoder(
        snakemake.input[0],
        p.base_model,
        snakemake.output[0],
        seed=int(snakemake.wildcards.seed),
        hyper=p.hyper,
        query_prefix=p.query_prefix,
        passage_prefix=p.passage_prefix,
    )


run(snakemake, main)
