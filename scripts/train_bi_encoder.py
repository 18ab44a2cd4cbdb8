from synthrank.step import run
from synthrank.train import train_bi_encoder

run(
    snakemake,
    lambda: train_bi_encoder(
        snakemake.input[0],
        snakemake.params.base_model,
        snakemake.output[0],
        seed=int(snakemake.wildcards.seed),
        hyper=snakemake.params.hyper,
        query_prefix=snakemake.params.query_prefix,
        passage_prefix=snakemake.params.passage_prefix,
    ),
)
