"""Did a generated corpus see or copy evaluation data?"""

from synthrank.leakage import leakage_report
from synthrank.step import run


def main() -> None:
    inputs = snakemake.input
    collections = [
        {**c, "corpus": corpus, "queries": queries, "qrels": qrels}
        for c, corpus, queries, qrels in zip(
            snakemake.params.collections, inputs.corpora, inputs.queries, inputs.qrels, strict=True
        )
    ]
    leakage_report(
        inputs.passages,
        snakemake.output[0],
        collections,
        train_dataset=snakemake.wildcards.train_dataset,
        paradigm=snakemake.params.paradigm,
        pool_path=inputs.get("pool"),
        n=snakemake.params.ngram,
    )


run(snakemake, main)
