"""A corpus's training set: its positives and BM25-mined hard negatives (from its source)."""

from synthrank.step import run
from synthrank.train import build_trainset


def main() -> None:
    i, negatives = snakemake.input, snakemake.params.negatives
    build_trainset(
        passages_path=i.passages,
        queries_path=i.queries,
        qrels_path=i.qrels,
        out_path=snakemake.output[0],
        count=negatives["count"],
        depth=negatives["depth"],
        seed=negatives["seed"],
        source=negatives["source"],
        collection_path=i.get("collection"),
        collection_run=i.get("collection_run"),
        corpus_run=i.get("corpus_run"),
    )


run(snakemake, main)
