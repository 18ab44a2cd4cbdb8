"""A corpus's training set: its positives and BM25-mined hard negatives."""

from synthrank.step import run
from synthrank.train import build_trainset


def main() -> None:
    i, negatives = snakemake.input, snakemake.params.negatives
    build_trainset(
        passages_path=i.passages,
        corpus_path=i.corpus,
        queries_path=i.queries,
        qrels_path=i.qrels,
        bm25_run_path=i.bm25,
        out_path=snakemake.output[0],
        negatives=negatives["count"],
        depth=negatives["depth"],
        seed=negatives["seed"],
    )


run(snakemake, main)
