# What the results rules (report.smk) read: table rows, metric files, ledgers, benchmark files;
# and the files of each table and figure they write. Pure functions of the config; the logic
# behind them is synthrank.grid.
from dataclasses import asdict

from synthrank import grid
from synthrank.checks import dense_checked, dense_settings
from synthrank.cost_measured import cost_caption
from synthrank.report import overview_table_caption, system_label, table_caption

FACETS = grid.corpus_facets(
    config["corpora"], TRAIN.get("max_queries"), grid.default_negatives(config)
)
REFERENCES = grid.reference_corpora(FACETS)
SIGNIFICANCE = config["significance"]
TABLES = grid.EFFECTIVENESS_TABLES
FIGURES = [
    "id-vs-ood",
    "gain-over-human",
    "effectiveness-vs-size",
    "cost-vs-effectiveness",
]
EXPECTED_BM25 = config.get("expected", {}).get("bm25", [])
EXPECTED_DENSE = config.get("expected", {}).get("dense", [])
DOMAINS = {"ID": "in_domain", "OOD": "out_of_domain"}
# each architecture's floor row (random order of the candidates, or the untuned model; None: none)
FLOORS = {arch: grid.floor_of(spec) for arch, spec in ARCHS.items()}
TRAINING_CHECK = ["results/checks/training.json", "results/checks/training.md"]
# each architecture's base-model training sets (the tables' "OOD avg unseen"), where it names any
TRAINED_ON = {
    arch: grid.trained_on(spec) for arch, spec in ARCHS.items() if grid.trained_on(spec)
}


def report_targets():
    """Every table, figure and check: the `all` target."""
    targets = expand(
        "results/tables/{table}.{ext}",
        table=["overview", *TABLES, "cost"],
        ext=["csv", "md", "tex", "html"],
    )
    targets += expand("figures/{figure}.{ext}", figure=FIGURES, ext=["png", "pdf"])
    targets += ["results/checks/bm25.json"] if EXPECTED_BM25 else []
    return targets + (["results/checks/dense.json"] if EXPECTED_DENSE else [])


def training_check_targets():
    """The training check (every trained model against its floor), in `all` where models are
    trained: not a report target, since it reads the model folders a results bundle lacks.
    """
    return TRAINING_CHECK if trained_entries() else []


def floor_test_files(archs):
    """The floor tests (synthrank.training_check) of these architectures."""
    return [f"results/significance/floor/{arch}.csv" for arch in archs]


def floor_test_entries(arch):
    """The in-domain metric entries of an architecture's trained corpora and of its floor."""
    corpora = set(grid.arch_corpora(config, arch)) | {FLOORS[arch]}
    return [
        e
        for e in arch_entries(arch)
        if e["domain"] == "in_domain" and e["corpus"] in corpora
    ]


def training_check_models():
    """Every trained model with its folder, its floor and, per in-domain collection, the metric
    files of the model, of its floor and of BM25."""
    t, floors = TRAIN["dataset"], FLOORS
    in_domain = [c for d, c in reported_collections() if d == "in_domain"]
    models = []
    for arch in ARCHS:
        for corpus in grid.arch_corpora(config, arch):
            for seed in SEEDS:
                collections = []
                for c in in_domain:
                    collection = f"{c['dataset']}/{c['split']}"
                    metrics = f"results/metrics/{collection}"
                    collections.append(
                        {
                            "collection": collection,
                            "metric": c["metric"],
                            "path": f"{metrics}/{arch}/{t}/{corpus}/seed{seed}.json",
                            "floor_path": (
                                f"{metrics}/{arch}/{floors[arch]}.json"
                                if floors[arch]
                                else None
                            ),
                            "bm25_path": f"{metrics}/bm25.json",
                        }
                    )
                models.append(
                    {
                        "arch": arch,
                        "corpus": corpus,
                        "seed": seed,
                        "model": f"results/models/{arch}/{t}/{corpus}/seed{seed}",
                        "floor": floors[arch],
                        "collections": collections,
                    }
                )
    return models


def training_check_inputs():
    models = training_check_models()
    files = [m["model"] for m in models]
    files += [
        path
        for m in models
        for c in m["collections"]
        for path in (c["path"], c["floor_path"], c["bm25_path"])
        if path
    ]
    return list(dict.fromkeys(files))


def table_outputs(name):
    """A table's CSV, Markdown, LaTeX and HTML files; the HTML is shown in the report."""
    return {
        "csv": f"results/tables/{name}.csv",
        "markdown": f"results/tables/{name}.md",
        "latex": f"results/tables/{name}.tex",
        "html": report(
            f"results/tables/{name}.html",
            caption="../report/table.rst",
            category="Tables",
            labels={"table": name},
        ),
    }


def figure_outputs(name):
    """A figure's PNG and PDF files; the PNG is shown in the report."""
    return {
        "png": report(
            f"figures/{name}.png",
            caption="../report/figure.rst",
            category="Figures",
            labels={"figure": name},
        ),
        "pdf": f"figures/{name}.pdf",
    }


def corpus_stats(corpus):
    return f"results/corpora/{TRAIN['dataset']}/{corpus}.stats.json"


def unmixed_corpora():
    return [c for c, f in FACETS.items() if f.paradigm != grid.MIXTURE]


def paradigms():
    return {c: f.paradigm for c, f in FACETS.items()}


def arch_references(arch):
    """Each corpus's reference human corpus, where the architecture is trained on both."""
    trained = grid.arch_corpora(config, arch)
    return {c: r for c, r in REFERENCES.items() if c in trained and r in trained}


def claims_references(arch):
    """(arch, corpus, reference, kind) of every claims test of an architecture (synthrank.grid.references)."""
    untuned = grid.floor_of(ARCHS[arch]) == "untuned"
    return [
        [arch, *test]
        for test in grid.references(FACETS, grid.arch_corpora(config, arch), untuned)
    ]


def claims_files(archs):
    """The claims tests (synthrank.claims) of these architectures."""
    return [f"results/significance/claims/{arch}.csv" for arch in archs]


def claims_kinds(archs, rows=None):
    """The second-reference kinds some test of these architectures has (among ``rows``, (arch,
    corpus) pairs, if given), in synthrank.grid.REFERENCE_KINDS order."""
    kinds = {
        kind
        for arch in archs
        for _, corpus, _, kind in claims_references(arch)
        if rows is None or (arch, corpus) in rows
    }
    return [k for k in grid.REFERENCE_KINDS if k in kinds and k != "size"]


def unseen_caption_data(has_ood):
    """The ``unseen`` argument of report.table_caption: None without an OOD average, else arch ->
    its trained_on datasets that are OOD collections of this config."""
    if not has_ood:
        return None
    ood = {c["dataset"] for d, c in test_collections() if d == "out_of_domain"}
    return {
        arch: [d for d in ds if d in ood]
        for arch, ds in TRAINED_ON.items()
        if any(d in ood for d in ds)
    }


def overview_caption():
    return overview_table_caption(
        "Effectiveness (each collection's official measure; mean over seeds) of rankers fine-tuned "
        "on each passage corpus, in-domain (ID) and out-of-domain (OOD).",
        SIGNIFICANCE,
        unseen_caption_data(bool(config["evaluation"]["out_of_domain"])),
    )


def metric_files():
    """Every metric file of the grid (the tables' and figures' input)."""
    return [entry["path"] for entry in metric_entries()]


def trained_entries():
    """The metric entries of the trained models (no baseline): what seed variance is measured on."""
    return [
        e
        for e in metric_entries()
        if e["arch"] in ARCHS and e["corpus"] in grid.arch_corpora(config, e["arch"])
    ]


def arch_entries(arch):
    return [e for e in metric_entries() if e["arch"] == arch]


def table_entries(name):
    """The metric files a table needs: its rows, on its columns' collections and averaged domains."""
    spec = grid.table_spec(name, config)
    rows, domains = set(spec.rows), {DOMAINS[a] for a in spec.averages}
    return [
        e
        for e in metric_entries()
        if (e["arch"], e["corpus"]) in rows
        and (e["collection"] in spec.collections or e["domain"] in domains)
    ]


def table_archs(name):
    return list(
        dict.fromkeys(a for a, _ in grid.table_spec(name, config).rows if a != "bm25")
    )


def table_tests(name):
    return [f"results/significance/{arch}.csv" for arch in table_archs(name)]


def table_params(wildcards):
    spec = grid.table_spec(wildcards.table, config)
    blank = dict.fromkeys(spec.facet_columns, "")
    return {
        "spec": asdict(spec),
        "facets": {
            system_label(a, c): (
                grid.facet_values(FACETS[c], spec.facet_columns, REFERENCES.get(c))
                if c in FACETS
                else blank
            )
            for a, c in spec.rows
        },
        "caption": table_caption(
            spec.title,
            len(SEEDS),
            SIGNIFICANCE,
            spec.empty,
            spec.note,
            kinds=claims_kinds(table_archs(wildcards.table), set(spec.rows)),
            absent=[
                k for k in grid.REFERENCE_KINDS[1:] if k not in claims_kinds(ARCHS)
            ],
            unseen=unseen_caption_data("OOD" in spec.averages),
        ),
    }


def bm25_metric_files():
    """Collection -> the BM25 metric file, for every collection with expected scores."""
    collections = dict.fromkeys(c for e in EXPECTED_BM25 for c in e["scores"])
    return {c: f"results/metrics/{c}/bm25.json" for c in collections}


def dense_check_architectures():
    """Every bi-encoder architecture with an untuned baseline -> the settings its published
    scores depend on (synthrank.checks.dense_settings)."""
    return {
        name: dense_settings(spec)
        for name, spec in ARCHS.items()
        if spec["kind"] == "bi-encoder" and spec["untuned_baseline"]
    }


def dense_metric_files():
    """Architecture -> collection -> the untuned model's metric file, for every collection an
    applicable expected.dense entry names."""
    return {
        arch: {c: f"results/metrics/{c}/{arch}/untuned.json" for c in collections}
        for arch, collections in dense_checked(EXPECTED_DENSE, ARCHS).items()
    }


def by_kind(arch, *, cross_encoder, bi_encoder):
    """The value for the architecture's kind: ``cross_encoder`` or ``bi_encoder``."""
    return cross_encoder if ARCHS[arch]["kind"] == "cross-encoder" else bi_encoder


def cost_inputs():
    """The ledgers and the benchmark files the cost table reads (paths as the rules write them)."""
    t = TRAIN["dataset"]
    corpora = [
        {
            "name": c,
            "paradigm": f.paradigm,
            "generator": (
                {
                    "name": f.generators[0],
                    **corpus_settings(GENERATORS[f.generators[0]]),
                }
                if f.generators and f.paradigm != grid.MIXTURE
                else None
            ),
            "stats": None if f.components else corpus_stats(c),
            "corpus_benchmark": (
                None
                if f.components
                else f"benchmarks/{corpus_rule(f.paradigm)}/{t}/{c}.tsv"
            ),
            "trainset_benchmark": f"benchmarks/training_set/{t}/{c}.tsv",
            "components": [asdict(p) for p in f.components],
        }
        for c, f in FACETS.items()
    ]
    models = [
        {
            "arch": arch,
            "corpus": corpus,
            "seed": seed,
            "train_benchmark": f"benchmarks/{train_rule(arch)}/{arch}/{t}/{corpus}/seed{seed}.tsv",
            "inference_benchmarks": inference_benchmarks(
                arch, f"{t}/{corpus}/seed{seed}"
            ),
        }
        for arch in ARCHS
        for corpus in grid.arch_corpora(config, arch)
        for seed in SEEDS
    ]
    return corpora, models


def cost_generators():
    """Name -> settings of each generator a corpus uses (its pricing: synthrank.cost_measured)."""
    used = dict.fromkeys(g for f in FACETS.values() for g in f.generators)
    return {name: corpus_settings(GENERATORS[name]) for name in used}


def corpus_rule(paradigm):
    """The rule that builds a corpus of this paradigm (its benchmark path names it)."""
    rules = {
        HUMAN: "human_corpus",
        MIXTURE: "mixture_corpus",
        RELEASE: "corpus_from_release",
    }
    return rules.get(paradigm, "generated_corpus")


def train_rule(arch):
    """The rule that trains a model of this architecture (its benchmark path names it)."""
    return by_kind(
        arch, cross_encoder="train_cross_encoder", bi_encoder="train_bi_encoder"
    )


def inference_rule(arch):
    """The rule that runs a model of this architecture on a test collection."""
    return by_kind(arch, cross_encoder="rerank", bi_encoder="dense_retrieve")


def inference_benchmarks(arch, model):
    """The benchmark files of a model's runs, one per test collection, and of the embedding
    shards its dense runs read (datasets with shards > 1)."""
    runs = [
        f"benchmarks/{inference_rule(arch)}/{c}/{arch}/{model}.tsv" for c in COLLECTIONS
    ]
    if ARCHS[arch]["kind"] != "bi-encoder":
        return runs
    datasets = dict.fromkeys(c["dataset"] for _, c in test_collections())
    shards = [
        path.replace("results/embeddings/", "benchmarks/encode_corpus_shard/")[
            : -len(".npy")
        ]
        + ".tsv"
        for dataset in datasets
        for path in embedding_shards(dataset, arch, model)
    ]
    return runs + shards


def cost_files():
    corpora, models = cost_inputs()
    keys = ("stats", "corpus_benchmark", "trainset_benchmark")
    files = [c[k] for c in corpora for k in keys if c[k]]
    files += [m["train_benchmark"] for m in models]
    return files + [path for m in models for path in m["inference_benchmarks"]]
