from synthrank.release import write_manifest
from synthrank.step import run

run(
    snakemake,
    lambda: write_manifest(
        list(snakemake.params.folders),
        snakemake.output.csv,
        snakemake.output.markdown,
        snakemake.wildcards.train_dataset,
    ),
)
