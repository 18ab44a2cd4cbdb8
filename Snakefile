# synthrank: fine-tuning dense rankers on synthetic passages.
#
# The path is the data flow (wildcards: {dataset} a configured dataset, {split} one of its
# qrels splits, {train_dataset} the training dataset, {corpus} a configured passage corpus,
# {arch} a configured architecture, {seed} a training seed, {model} "untuned" or
# <train_dataset>/<corpus>/seed<seed>):
#
#   results/datasets/{dataset}/{corpus,queries}.jsonl, qrels/{split}.tsv    data.smk
#   results/corpora/{train_dataset}/{corpus}.jsonl                         generate.smk
#   results/trainsets/{train_dataset}/{corpus}.jsonl                       train.smk
#   results/models/{arch}/{train_dataset}/{corpus}/seed{seed}/             train.smk
#   results/indexes/bm25/{dataset}/, results/runs/{dataset}/{split}/bm25.trec
#   results/runs/{dataset}/{split}/{arch}/{model}.trec                     retrieve.smk
#   results/metrics/{dataset}/{split}/<run path>.json                      evaluate.smk
#   results/significance/{arch}.csv, results/checks/bm25.json              report.smk
#   results/tables/{table}.{csv,md,tex,html}, figures/{figure}.{png,pdf}   report.smk
#
# Logs mirror outputs under logs/<rule>/, timings under benchmarks/<rule>/.

from snakemake.utils import min_version

min_version("9.0")


# The thesis grid by default; `--configfile` replaces it (e.g. `make demo`: config/demo.yaml).
if not config:

    configfile: "config/config.yaml"


include: "rules/common.smk"
include: "rules/data.smk"
include: "rules/generate.smk"
include: "rules/train.smk"
include: "rules/retrieve.smk"
include: "rules/evaluate.smk"
include: "rules/report.smk"


report: "report/workflow.rst"


rule all:
    default_target: True
    input:
        report_targets(),
