import re
import sys

from synthrank import config as config_schema
from synthrank import grid, groups
from synthrank.errors import SynthrankError

try:
    config_schema.validate(config, "config")
except SynthrankError as exc:
    sys.exit(f"synthrank: {exc}")


def alternatives(names):
    """A wildcard constraint that matches exactly one of the given names. For no names it is
    "$^" (end of string, then start), which matches no wildcard value: a rule constrained to an
    empty set (e.g. no cross-encoder, no mixture corpus configured) then never runs."""
    if not names:
        return "$^"
    return "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))


def names_of_kind(kind):
    return [n for n, a in config["architectures"].items() if a["kind"] == kind]


TRAIN = config["training"]
GENERATORS = config["generators"]
ARCHS = config["architectures"]
CROSS_ENCODERS = names_of_kind("cross-encoder")
BI_ENCODERS = names_of_kind("bi-encoder")
SEEDS = config["seeds"]


wildcard_constraints:
    dataset=alternatives(config["datasets"]),
    split="[^/]+",
    train_dataset=re.escape(TRAIN["dataset"]),
    corpus=alternatives(config["corpora"]),
    arch=alternatives(ARCHS),
    seed=r"\d+",
    generator=alternatives(GENERATORS),
    # a run's model: the untuned base model, or a checkpoint <train_dataset>/<corpus>/seed<seed>
    model=rf"untuned|{re.escape(TRAIN['dataset'])}/({alternatives(config['corpora'])})/seed\d+",
    # an evaluated system: bm25, or <arch>/<model>
    system=rf"bm25|({alternatives(ARCHS)})/(untuned|{re.escape(TRAIN['dataset'])}/({alternatives(config['corpora'])})/seed\d+)",


# ---------------------------------------------------------------- paths


def dataset_file(dataset, name):
    return f"results/datasets/{dataset}/{name}"


def qrels_file(dataset, split):
    return f"results/datasets/{dataset}/qrels/{split}.tsv"


def checkpoint_dir(wildcards):
    """The trained checkpoint a run needs (none for the untuned base model)."""
    if wildcards.model == "untuned":
        return []
    return f"results/models/{wildcards.arch}/{wildcards.model}"


def model_ref(wildcards):
    """What the run loads: the checkpoint, or the architecture's base model."""
    if wildcards.model == "untuned":
        return ARCHS[wildcards.arch]["base_model"]
    return f"results/models/{wildcards.arch}/{wildcards.model}"


# Dense retrieval. A dataset with `shards: n > 1` is encoded by n jobs per model, one per
# shard (document j goes to shard j % n), so they run side by side and a failed one reruns
# alone; the search job then reads the shards one at a time. A dataset with one shard (the
# default: small collections) is encoded inside the search job, which saves a start-up per job.
def embedding_shards(dataset, arch, model):
    shards = config["datasets"][dataset]["shards"]
    if shards == 1:
        return []
    return [
        f"results/embeddings/{dataset}/{arch}/{model}/shard{shard}-of-{shards}.npy"
        for shard in range(shards)
    ]


def dataset_embeddings(wildcards):
    """The embedding shard files of the {dataset}'s corpus for the run's model ([] = encoded in
    the search job)."""
    return embedding_shards(wildcards.dataset, wildcards.arch, wildcards.model)


# ---------------------------------------------------------------- rule inputs and params


def dataset_source(wildcards):
    spec = config["datasets"][wildcards.dataset]
    return spec.get("path") or spec["irds"]


def arch_setting(*keys):
    """A params function: the {arch} wildcard's architecture setting at ``keys``, e.g.
    arch_setting("train", "max_length") is architectures.<arch>.train.max_length."""

    def setting(wildcards):
        value = ARCHS[wildcards.arch]
        for key in keys:
            value = value[key]
        return value

    return setting


# ---------------------------------------------------------------- the grid


def test_collections():
    """(domain, collection config) for every evaluation collection."""
    evaluation = config["evaluation"]
    return [(d, c) for d in ("in_domain", "out_of_domain") for c in evaluation[d]]


COLLECTIONS = [f"{c['dataset']}/{c['split']}" for _, c in test_collections()]


def reported_collections():
    """(domain, collection config) of every column of the results: test_collections(), with the
    members of a group (``group:``, e.g. CQADupStack's 12 forums) replaced by one entry whose
    "dataset" is the group's name (synthrank.groups); its metric files are group_metrics'.
    """
    return groups.reported_collections(config["evaluation"])


# the results' columns (collections and groups), and each group's members
REPORTED_COLLECTIONS = [
    f"{c['dataset']}/{c['split']}" for _, c in reported_collections()
]
GROUP_MEMBERS = groups.group_members(config["evaluation"])
GROUPS = sorted({column.split("/")[0] for column in GROUP_MEMBERS})


def group_member_metrics(wildcards):
    """Member collection -> its metric file, for a group's metric file (rule group_metrics)."""
    members = GROUP_MEMBERS[f"{wildcards.group}/{wildcards.split}"]
    return groups.member_files(members, wildcards.system)


def evaluation_files(name, collections=None):
    """One file per test collection (default every one, in test_collections() order): "qrels",
    or the dataset's "corpus" or "queries"."""
    if collections is None:
        collections = [c for _, c in test_collections()]
    if name == "qrels":
        return [qrels_file(c["dataset"], c["split"]) for c in collections]
    return [dataset_file(c["dataset"], f"{name}.jsonl") for c in collections]


def systems():
    """(arch, corpus, seed, system path) of every evaluated system, in table order."""
    rows = [("bm25", "BM25", 0, "bm25")]
    for arch, spec in ARCHS.items():
        for name in grid.baselines(spec):
            rows.append((arch, name, 0, f"{arch}/{name}"))
        for corpus in grid.arch_corpora(config, arch):
            for seed in SEEDS:
                rows.append(
                    (
                        arch,
                        corpus,
                        seed,
                        f"{arch}/{TRAIN['dataset']}/{corpus}/seed{seed}",
                    )
                )
    return rows


def metric_entries():
    """Every metric file of the grid with the labels a table or figure groups by."""
    return [
        {
            "path": f"results/metrics/{c['dataset']}/{c['split']}/{system}.json",
            "arch": arch,
            "corpus": corpus,
            "seed": seed,
            "collection": f"{c['dataset']}/{c['split']}",
            "domain": domain,
            "metric": c["metric"],
        }
        for domain, c in reported_collections()
        for arch, corpus, seed, system in systems()
    ]


def system_order():
    return list(dict.fromkeys((arch, corpus) for arch, corpus, _, _ in systems()))


def dataset_setting(key):
    """A params function: the {dataset} wildcard's setting ``key`` (datasets.<name>.<key>)."""
    return lambda wildcards: config["datasets"][wildcards.dataset][key]


def collection_setting(key, default):
    """A params function: the {dataset}/{split} evaluation collection's setting ``key``
    (``default`` for a split that is no evaluation collection, e.g. the training split).
    """

    def setting(wildcards):
        for _, c in test_collections():
            if (c["dataset"], c["split"]) == (wildcards.dataset, wildcards.split):
                return c.get(key, default)
        return default

    return setting


def rerank_depth(wildcards):
    """A params function: the reranking depth of the {system} wildcard's architecture when it is a
    cross-encoder (None for first-stage runs): measures beyond it are not reported."""
    arch = wildcards.system.split("/")[0]
    return ARCHS[arch]["depth"] if arch in CROSS_ENCODERS else None


def held_out_files(name):
    """evaluation_files of the collections held out of training data (training.held_out): the
    only evaluation files a corpus job reads."""
    return evaluation_files(name, grid.held_out_collections(config))


# ---------------------------------------------------------------- hard negatives
# Mined per corpus, for the queries it answers only, from the source its settings name
# (synthrank.train): adding a corpus mines for it alone and reruns no other training set.


def negatives(wildcards):
    """A params function: the {corpus} wildcard's hard-negative settings, training.hard_negatives
    with the corpus's own `negatives` over it (synthrank.grid.negatives_settings)."""
    return grid.negatives_settings(config, wildcards.corpus)


def trainset_negatives(wildcards):
    """What a training set's negatives come from, by source: the training collection and BM25's
    run over it (human), BM25's run over the corpus's own passages (corpus), or both."""
    runs = f"results/negatives/{wildcards.train_dataset}/{wildcards.corpus}"
    sources = grid.mined_sources(negatives(wildcards)["source"])
    inputs = {}
    if "human" in sources:
        inputs["collection"] = dataset_file(wildcards.train_dataset, "corpus.jsonl")
        inputs["collection_run"] = f"{runs}/bm25-human.trec"
    if "corpus" in sources:
        inputs["corpus_run"] = f"{runs}/bm25-corpus.trec"
    return inputs


def negatives_index(wildcards):
    """The BM25 index a mining run searches: the training collection's (source human) or the
    corpus's own passages' (source corpus)."""
    if wildcards.source == "human":
        return f"results/indexes/bm25/{wildcards.train_dataset}"
    return f"results/indexes/bm25-corpus/{wildcards.train_dataset}/{wildcards.corpus}"


def negatives_remove_query(wildcards):
    """A params function: over the training collection, its dataset's `remove_query` (as its own
    BM25 runs); over a corpus's passages never (a passage id is no query id)."""
    dataset = config["datasets"][wildcards.train_dataset]
    return wildcards.source == "human" and dataset["remove_query"]
