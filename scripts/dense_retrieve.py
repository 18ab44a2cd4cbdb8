from synthrank.retrieve import dense_retrieve_collections
from synthrank.step import run

p = snakemake.params
i = snakemake.input
run(
    snakemake,
    lambda: dense_retrieve_collections(
        p.model,
        list(zip(i.corpus, i.queries, i.qrels, snakemake.output, p.embeddings, strict=True)),
        k=p.depth,
        query_prefix=p.query_prefix,
        passage_prefix=p.passage_prefix,
        max_length=p.max_length,
        batch_size=p.batch_size,
        tag=snakemake.wildcards.arch,
    ),
)
