from synthrank.step import run
from synthrank.train import build_trainset

negatives = snakemake.params.negatives
run(
    snakemake,
    lambda: build_trainset(
        passages_path=snakemake.input.passages,
        corpus_path=snakemake.input.corpus,
        queries_path=snakemake.input.queries,
        qrels_path=snakemake.input.qrels,
        bm25_run_path=snakemake.input.bm25,
        out_path=snakemake.output[0],
        negatives=negatives["count"],
        depth=negatives["depth"],
        seed=negatives["seed"],
    ),
)
