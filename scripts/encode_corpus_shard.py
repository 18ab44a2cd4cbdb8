"""Encode one shard of a corpus with a bi-encoder."""

from synthrank.dense import encode_corpus_shard
from synthrank.step import run


def main() -> None:
    p, w = snakemake.params, snakemake.wildcards
    encode_corpus_shard(
        p.model,
        snakemake.input.corpus,
        snakemake.output[0],
        shard=int(w.shard),
        shards=int(w.shards),
        passage_prefix=p.passage_prefix,
        max_length=p.max_length,
        batch_size=p.batch_size,
        precision=p.precision,
    )


run(snakemake, main)
