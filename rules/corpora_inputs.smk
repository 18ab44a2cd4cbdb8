# Inputs and params of the corpus rules (rules/corpora.smk, which includes this file): which
# corpora exist, which files each needs, whether a generation job needs a GPU or an API key.

import os

from synthrank import gpus
from synthrank.config import corpus_settings
from synthrank.paradigms import (
    GENERATED,
    HUMAN,
    MIXTURE,
    PARADIGMS,
    RELEASE,
    TRAINING_KEYS,
)

CORPORA = config["corpora"]
GENERATION = config["generation"]
POOL = TRAIN["exemplar_pool"]


def corpora_of(*paradigms):
    return [name for name, spec in CORPORA.items() if spec["paradigm"] in paradigms]


GENERATED_CORPORA = corpora_of(*GENERATED)
TRAIN_FILES = {
    "corpus": "results/datasets/{train_dataset}/corpus.jsonl",
    "queries": "results/datasets/{train_dataset}/queries.jsonl",
    "qrels": qrels_file(TRAIN["dataset"], TRAIN["split"]),
}
# what the training-query order reads besides TRAIN_FILES (synthrank.queries.training_order): the
# queries and qrels of the evaluation collections whose query texts it leaves out
# (training.exclude_evaluation_queries: every one, or the held-out ones)
ORDER_FILES = {
    "order_queries": evaluation_files("queries", grid.order_collections(config)),
    "order_qrels": evaluation_files("qrels", grid.order_collections(config)),
}
# what it leaves out besides: the dev split (training.dev_queries, a param only when set, so that a
# grid without one keeps its corpus jobs' params), written to a file of its own
ORDER_PARAMS = {
    "max_queries": TRAIN.get("max_queries"),
    "sample_seed": TRAIN["sample_seed"],
    **({"dev_queries": TRAIN["dev_queries"]} if TRAIN["dev_queries"] else {}),
}
DEV_FILE = "results/datasets/{train_dataset}/dev-queries.jsonl"
# what every corpus rule writes (a generated corpus also its ledger)
CORPUS_FILES = {
    "passages": "results/corpora/{train_dataset}/{corpus}.jsonl",
    "stats": "results/corpora/{train_dataset}/{corpus}.stats.json",
}
POOL_FILE = "results/exemplars/{train_dataset}/pool.jsonl"


def pool_input(wildcards):
    """Queries held out for few-shot-supervised prompts are in no corpus: every corpus reads the pool."""
    return {"pool": POOL_FILE} if POOL["size"] > 0 else {}


def generated_inputs(wildcards):
    spec = CORPORA[wildcards.corpus]
    inputs = {"template": spec["template"], **pool_input(wildcards)}
    if GENERATORS[spec["generator"]]["backend"] == "local":
        inputs["gguf"] = f"resources/llm/{spec['generator']}.gguf"
    if (
        PARADIGMS[spec["paradigm"]].exemplars == "passages"
    ):  # never a passage judged for evaluation
        inputs["evaluation_qrels"] = held_out_files("qrels")
    return inputs


def corpus_from_release_inputs(wildcards):
    """The files of the release folder a `release` corpus reads (release_files is defined in
    rules/release_inputs.smk, included later: this runs only once the DAG is built)."""
    return release_files(CORPORA[wildcards.corpus]["path"])


def corpus_spec_of(name, fetch_settings=True):
    """A corpus's config with its generator's resolved in (what build_corpus needs). Without
    fetch_settings, the generator's settings that only change how answers are fetched
    (synthrank.generator.FETCH_SETTINGS) are left out: the corpus jobs' params, so that changing
    them reruns nothing (the job reads them from the config). A corpus's training settings
    (synthrank.paradigms.TRAINING_KEYS: its `negatives`) are never part of it: they change its
    training set, not its passages."""
    spec = {
        "name": name,
        **{k: v for k, v in CORPORA[name].items() if k not in TRAINING_KEYS},
    }
    if "generator" in spec:
        settings = GENERATORS[spec["generator"]]
        if not fetch_settings:
            settings = corpus_settings(settings)
        spec["generator"] = {"name": spec["generator"], **settings}
    return spec


def corpus_spec(wildcards):
    return corpus_spec_of(wildcards.corpus, fetch_settings=False)


def mixture_components(wildcards):
    return [
        c if isinstance(c, str) else c["corpus"]
        for c in CORPORA[wildcards.corpus]["components"]
    ]


def missing_api_keys():
    """(variable, corpus) for each corpus still to generate whose API key is not set."""
    if os.environ.get("SYNTHRANK_OFFLINE", "") not in ("", "0", "false", "no"):
        return []
    missing = []
    for name in GENERATED_CORPORA:
        if os.path.exists(f"results/corpora/{TRAIN['dataset']}/{name}.jsonl"):
            continue
        env = GENERATORS[CORPORA[name]["generator"]].get("api_key_env")
        if env and not os.environ.get(env):
            missing.append((env, name))
    return missing


def generation_env(wildcards):
    """vLLM generation runs in its own environment (vLLM pins its own CUDA torch)."""
    return "../envs/vllm.yaml" if needs_gpu(wildcards) else "../envs/generation.yaml"


def needs_gpu(wildcards):
    """vLLM generation holds its tensor x pipeline parallel GPUs; API-bound generation none."""
    generator = GENERATORS[CORPORA[wildcards.corpus]["generator"]]
    return gpus.generation_gpus(generator["backend"], generator["options"])
