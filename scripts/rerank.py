from synthrank.retrieve import rerank_collections
from synthrank.step import run

p = snakemake.params
i = snakemake.input
run(
    snakemake,
    lambda: rerank_collections(
        p.model,
        list(zip(i.first_stage, i.corpus, i.queries, i.qrels, snakemake.output, strict=True)),
        depth=p.depth,
        max_length=p.max_length,
        batch_size=p.batch_size,
        tag=snakemake.wildcards.arch,
    ),
)
