# The corpus analysis: what each corpus's passages look like (length, query overlap, diversity,
# near-duplicates, novelty against the human passages, an untuned bi-encoder's judgement), one
# table, three figures and an examples page. Per corpus, under results/analysis/{train_dataset}/:
# statistics.json (one streamed pass over the corpus), sample.npz and judge.json (a seeded sample
# embedded by the untuned bi-encoder). The examples page is no local rule: for few-shot-unsupervised
# exemplars it streams the training collection (MS MARCO: 8.8M passages).


include: "analysis_inputs.smk"


rule corpus_statistics:
    input:
        unpack(reference_passages),
        passages="results/corpora/{train_dataset}/{corpus}.jsonl",
        queries="results/datasets/{train_dataset}/queries.jsonl",
    output:
        "results/analysis/{train_dataset}/{corpus}/statistics.json",
    log:
        "logs/corpus_statistics/{train_dataset}/{corpus}.log",
    benchmark:
        "benchmarks/corpus_statistics/{train_dataset}/{corpus}.tsv"
    conda:
        "../envs/reporting.yaml"
    params:
        novelty_ngram=ANALYSIS["novelty_ngram"],
        shingle=ANALYSIS["near_duplicate_shingle"],
        threshold=ANALYSIS["near_duplicate_threshold"],
        seed=ANALYSIS["seed"],
    script:
        "../scripts/corpus_statistics.py"


rule corpus_sample_embeddings:
    input:
        passages="results/corpora/{train_dataset}/{corpus}.jsonl",
        queries="results/datasets/{train_dataset}/queries.jsonl",
    output:
        sample="results/analysis/{train_dataset}/{corpus}/sample.npz",
        judge="results/analysis/{train_dataset}/{corpus}/judge.json",
    log:
        "logs/corpus_sample_embeddings/{train_dataset}/{corpus}.log",
    benchmark:
        "benchmarks/corpus_sample_embeddings/{train_dataset}/{corpus}.tsv"
    conda:
        "../envs/models.yaml"
    params:
        model=encoder_setting("base_model"),
        max_length=encoder_setting("max_length"),
        query_prefix=encoder_setting("query_prefix"),
        passage_prefix=encoder_setting("passage_prefix"),
        batch_size=encoder_setting("batch_size"),
        precision=encoder_setting("precision"),
        size=ANALYSIS["sample"],
        seed=ANALYSIS["seed"],
    script:
        "../scripts/corpus_sample_embeddings.py"


rule corpus_table:
    input:
        statistics=[analysis_file(c, "statistics.json") for c in analysed_corpora()],
        judge=[analysis_file(c, "judge.json") for c in analysed_corpora()],
    output:
        **table_outputs("corpora"),
    log:
        "logs/corpus_table.log",
    benchmark:
        "benchmarks/corpus_table.tsv"
    localrule: True
    conda:
        "../envs/reporting.yaml"
    params:
        corpora=corpus_facet_params(),
        caption="The passage corpora: passages, training queries, length in tokens (mean, median, "
        "5th and 95th percentile), query overlap (share of the query's terms in its passage), "
        "distinct-1/2 (distinct word uni-/bigrams over all), near-duplicates (share of passages "
        f"with another whose word-{ANALYSIS['near_duplicate_shingle']}-gram sets have a Jaccard "
        f"similarity >= {ANALYSIS['near_duplicate_threshold']}), novelty vs human (share of a "
        f"passage's word {ANALYSIS['novelty_ngram']}-grams in no passage of the human corpus "
        f"'{human_reference()}' for its query), how often the untuned base model of the "
        f"bi-encoder '{ENCODER}' ranks "
        f"a passage first for its query among a seeded sample's (at most {ANALYSIS['sample']}) "
        "passages of other queries, and its MRR; the quality flags of the kept passages. Tokens: "
        "lower case, punctuation as spaces, split on whitespace.",
    script:
        "../scripts/corpus_table.py"


rule corpus_length_figure:
    input:
        [analysis_file(c, "statistics.json") for c in analysed_corpora()],
    output:
        **figure_outputs("corpus-lengths"),
    log:
        "logs/corpus_length_figure.log",
    benchmark:
        "benchmarks/corpus_length_figure.tsv"
    localrule: True
    conda:
        "../envs/reporting.yaml"
    params:
        corpora=analysed_corpora(),
        paradigms=paradigms(),
        caption="Passage length in tokens per corpus (box: quartiles and median; whiskers: 5th "
        "and 95th percentile); colour: the corpus paradigm.",
    script:
        "../scripts/corpus_length_figure.py"


rule corpus_map_figure:
    input:
        [analysis_file(c, "sample.npz") for c in analysed_corpora()],
    output:
        **figure_outputs("corpus-map"),
    log:
        "logs/corpus_map_figure.log",
    benchmark:
        "benchmarks/corpus_map_figure.tsv"
    localrule: True
    conda:
        "../envs/reporting.yaml"
    params:
        corpora=analysed_corpora(),
        paradigms=paradigms(),
        reference=human_reference(),
        caption=f"Passage embeddings of the untuned bi-encoder ({ENCODER}) for a seeded sample of "
        f"at most {ANALYSIS['sample']} passages per corpus, in one 2-D projection shared by all "
        "corpora (the first two principal components of all samples together); each panel shows "
        "one corpus over the human corpus's sample (grey).",
    script:
        "../scripts/corpus_map_figure.py"


rule overlap_figure:
    input:
        metrics=metric_files(),
        statistics=[analysis_file(c, "statistics.json") for c in analysed_corpora()],
    output:
        **figure_outputs("overlap-vs-effectiveness"),
    log:
        "logs/overlap_figure.log",
    benchmark:
        "benchmarks/overlap_figure.tsv"
    localrule: True
    conda:
        "../envs/reporting.yaml"
    params:
        entries=metric_entries(),
        corpora=analysed_corpora(),
        paradigms=paradigms(),
        metric_label="official measure",
        caption="Effectiveness of each trained model (domain averages, mean over seeds; bars: "
        "±1 std) against the query overlap of its training corpus (the share of a query's terms "
        "its passage repeats, averaged over the corpus); colour: the corpus paradigm.",
    script:
        "../scripts/overlap_figure.py"


rule corpus_examples:
    input:
        unpack(example_inputs),
    output:
        markdown="results/analysis/{train_dataset}/examples.md",
        html=report(
            "results/analysis/{train_dataset}/examples.html",
            caption="../report/examples.rst",
            category="Corpora",
        ),
    log:
        "logs/corpus_examples/{train_dataset}.log",
    benchmark:
        "benchmarks/corpus_examples/{train_dataset}.tsv"
    conda:
        "../envs/reporting.yaml"
    params:
        corpora=example_corpora(),
        examples=ANALYSIS["examples"],
        seed=ANALYSIS["seed"],
        caption=f"For {ANALYSIS['examples']} training queries drawn with seed {ANALYSIS['seed']} "
        "among those every corpus answers: each corpus's passage side by side (mixtures left out: "
        "their passages are their components'), with the exemplars a few-shot prompt showed.",
    script:
        "../scripts/corpus_examples.py"
