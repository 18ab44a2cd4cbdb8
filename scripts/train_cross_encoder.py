from synthrank.step import run
from synthrank.train import train_cross_encoder

run(
    snakemake,
    lambda: train_cross_encoder(
        snakemake.input[0],
        snakemake.params.base_model,
        snakemake.output[0],
        seed=int(snakemake.wildcards.seed),
        hyper=snakemake.params.hyper,
    ),
)
