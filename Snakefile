# synthrank: fine-tuning dense rankers on synthetic passages.
#
# The path is the data flow (wildcards: {dataset} a configured dataset, {split} one of its
# qrels splits, {train_dataset} the training dataset, {corpus} a configured passage corpus,
# {arch} a configured architecture, {seed} a training seed, {model} "untuned" or
# <train_dataset>/<corpus>/seed<seed>):
#
#   results/datasets/{dataset}/{corpus,queries}.jsonl, qrels/{split}.tsv    data.smk
#   results/exemplars/{train_dataset}/pool.jsonl                           corpora.smk
#   results/datasets/{train_dataset}/dev-queries.jsonl (training.dev_queries)  corpora.smk
#   results/corpora/{train_dataset}/{corpus}.jsonl, .stats.json            corpora.smk
#   results/ledgers/{train_dataset}/{corpus}.jsonl (one line per LLM request)
#   results/leakage/{train_dataset}/{corpus}.json, results/costs/{train_dataset}/estimate.md
#   results/export/{train_dataset}/llm-requests.jsonl.gz (every paid-for answer)
#   results/negatives/{train_dataset}/{corpus}/bm25-{human,corpus}.trec    train.smk
#   results/indexes/bm25-corpus/{train_dataset}/{corpus}/ (source corpus)  train.smk
#   results/trainsets/{train_dataset}/{corpus}.jsonl                       train.smk
#   results/models/{arch}/{train_dataset}/{corpus}/seed{seed}/             train.smk
#   results/indexes/bm25/{dataset}/, results/runs/{dataset}/{split}/bm25.trec
#   results/embeddings/{dataset}/{arch}/{model}/shard{shard}-of-{shards}.npy  retrieve.smk
#   results/runs/{dataset}/{split}/{arch}/{model}.trec                     retrieve.smk
#   results/metrics/{dataset}/{split}/<run path>.json                      evaluate.smk
#   results/significance/{arch}.csv, results/checks/bm25.json              report.smk
#   results/tables/{table}.{csv,md,tex,html}, figures/{figure}.{png,pdf}   report.smk
#   results/analysis/{train_dataset}/{corpus}/statistics.json, sample.npz, judge.json,
#   results/analysis/{train_dataset}/examples.{md,html}; table corpora, figures corpus-*  analysis.smk
#   results/release/{train_dataset}/{corpus}/ (Parquet, card), manifest.{csv,md}  release.smk
#   results/release/{train_dataset}/results/ (results bundle), .../checkpoints/{arch}/{corpus}/seed{seed}/
#   results/significance/seed-variance.csv, results/reproduce/{tables,models}.md  report/reproduce.smk
#
# Logs mirror outputs under logs/<rule>/, timings under benchmarks/<rule>/. Input functions:
# corpora.smk, release.smk, report.smk, analysis.smk and reproduce.smk include theirs from
# <name>_inputs.smk (`snakemake --lint` wants functions and rules in separate files); the other
# rule files' are in common.smk.

from snakemake.utils import min_version

min_version("9.0")


# The thesis grid by default; `--configfile` replaces it (e.g. `make demo`: config/demo.yaml).
if not config:

    configfile: "config/config.yaml"


include: "rules/common.smk"
include: "rules/data.smk"
include: "rules/corpora.smk"
include: "rules/train.smk"
include: "rules/retrieve.smk"
include: "rules/evaluate.smk"
include: "rules/report.smk"
include: "rules/analysis.smk"
include: "rules/release.smk"
include: "rules/reproduce.smk"


report: "report/workflow.rst"


onstart:
    # API keys come from the environment; a missing one stops the run before any job starts.
    for variable, corpus in missing_api_keys():
        sys.exit(
            f"synthrank: corpus {corpus} needs the API key in environment variable {variable} (not set)"
        )


rule all:
    default_target: True
    input:
        report_targets(),
        training_check_targets(),
        analysis_targets(),
        expand(
            "results/leakage/{train_dataset}/{corpus}.json",
            train_dataset=TRAIN["dataset"],
            corpus=GENERATED_CORPORA,
        ),
        expand(
            "results/costs/{train_dataset}/estimate.md", train_dataset=TRAIN["dataset"]
        ),
        expand(
            "results/export/{train_dataset}/llm-requests.jsonl.gz",
            train_dataset=TRAIN["dataset"],
        ),
        rules.release.input,
        # the dev split (training.dev_queries), for choosing recipes and prompts: built, never reported
        (
            expand(DEV_FILE, train_dataset=TRAIN["dataset"])
            if TRAIN["dev_queries"]
            else []
        ),
