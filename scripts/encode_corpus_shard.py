from synthrank.dense import encode_corpus_shard
from synthrank.step import run

p = snakemake.params
w = snakemake.wildcards
run(
    snakemake,
    lambda: encode_corpus_shard(
        p.model,
        snakemake.input.corpus,
        snakemake.output[0],
        shard=int(w.shard),
        shards=int(w.shards),
        passage_prefix=p.passage_prefix,
        max_length=p.max_length,
        batch_size=p.batch_size,
    ),
)
