# What the corpus analysis (analysis.smk) reads and which settings reach it: pure functions of the
# config; the logic is synthrank.corpus_stats (statistics, judge, map) and synthrank.corpus_report
# (the table, the examples page).

ANALYSIS = config["analysis"]
# the bi-encoder whose untuned base model embeds the samples and judges the passages
ENCODER = ANALYSIS["encoder"] or BI_ENCODERS[0]
CORPUS_FIGURES = ["corpus-lengths", "corpus-map", "overlap-vs-effectiveness"]


def analysed_corpora():
    """Every corpus of the config, in config order (mixtures included: their passages are what
    their models are trained on)."""
    return list(config["corpora"])


def human_reference():
    """The human corpus novelty is measured against: the first covering every training query (the
    largest if each names a size); None if the config has no human corpus."""
    humans = [c for c, f in FACETS.items() if f.paradigm == HUMAN]
    if not humans:
        return None
    return max(
        humans, key=lambda c: float("inf") if FACETS[c].size is None else FACETS[c].size
    )


def analysis_file(corpus, name):
    return f"results/analysis/{TRAIN['dataset']}/{corpus}/{name}"


def reference_passages(wildcards):
    """The human corpus's passages, for the novelty of a corpus of another paradigm (a human corpus
    has none: its passages are the reference's)."""
    human = human_reference()
    if human is None or FACETS[wildcards.corpus].paradigm == HUMAN:
        return {}
    return {"human": f"results/corpora/{wildcards.train_dataset}/{human}.jsonl"}


def encoder_setting(key):
    return ARCHS[ENCODER][key]


def corpus_facet_params():
    """Corpus -> {paradigm, generator}: the table's facet columns."""
    return {
        c: {"paradigm": f.paradigm, "generator": ", ".join(f.generators)}
        for c, f in FACETS.items()
    }


def example_corpora():
    """The corpora the examples page shows side by side: every corpus that is not a mixture (a
    mixture's passages are its components'), with its file and paradigm."""
    return {
        c: {
            "path": f"results/corpora/{TRAIN['dataset']}/{c}.jsonl",
            "paradigm": f.paradigm,
        }
        for c, f in FACETS.items()
        if f.paradigm != MIXTURE
    }


def example_inputs(wildcards):
    """The corpora of the page, the training queries, and where few-shot exemplars come from: the
    exemplar pool (supervised) and the training collection (unsupervised)."""
    shown = example_corpora()
    inputs = {
        "corpora": [spec["path"] for spec in shown.values()],
        "queries": dataset_file(TRAIN["dataset"], "queries.jsonl"),
    }
    kinds = {PARADIGMS[spec["paradigm"]].exemplars for spec in shown.values()}
    if "pairs" in kinds:
        inputs["pool"] = POOL_FILE.format(train_dataset=TRAIN["dataset"])
    if "passages" in kinds:
        inputs["collection"] = dataset_file(TRAIN["dataset"], "corpus.jsonl")
    return inputs


def analysis_targets():
    """The corpus table, the three corpus figures and the examples page: part of `all`."""
    targets = expand("results/tables/corpora.{ext}", ext=["csv", "md", "tex", "html"])
    targets += expand(
        "figures/{figure}.{ext}", figure=CORPUS_FIGURES, ext=["png", "pdf"]
    )
    return targets + [
        f"results/analysis/{TRAIN['dataset']}/examples.md",
        f"results/analysis/{TRAIN['dataset']}/examples.html",
    ]
