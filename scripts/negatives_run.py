"""BM25's hard-negative candidates for the queries one corpus answers (from one source's index)."""

from synthrank.step import run
from synthrank.train import mine_candidates


def main() -> None:
    i, p = snakemake.input, snakemake.params
    mine_candidates(
        index_dir=i.index,
        passages_path=i.passages,
        queries_path=i.queries,
        out_path=snakemake.output[0],
        depth=p.depth,
        k1=p.k1,
        b=p.b,
        threads=snakemake.threads,
        remove_query=p.remove_query,
    )


run(snakemake, main)
