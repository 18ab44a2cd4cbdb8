"""A trained model as a Hub model repository: its files, a model card, checksums."""

from synthrank.bundle import write_checkpoint_bundle
from synthrank.step import run


def main() -> None:
    inputs, params, wildcards = snakemake.input, snakemake.params, snakemake.wildcards
    write_checkpoint_bundle(
        snakemake.output[0],
        inputs.model,
        inputs.trainset,
        params.release,
        arch=wildcards.arch,
        arch_spec=params.arch_spec,
        corpus=wildcards.corpus,
        paradigm=params.paradigm,
        train_dataset=wildcards.train_dataset,
        seed=int(wildcards.seed),
        metrics=dict(zip(params.collections, inputs.metrics, strict=True)),
        thesis=params.thesis,
        source=params.source,
        generator_licences=params.generator_licences,
        datasets=params.datasets,
    )


run(snakemake, main)
