# Results: significance tests, tables (CSV, Markdown, LaTeX, HTML), figures (PNG, PDF), the
# expected-score check, and what `snakemake --report report.html` shows. Each target rebuilds
# alone: `snakemake results/tables/<name>.tex` needs only the metric files of its rows.


include: "report_inputs.smk"


# Per collection (ranx's paired test), and the claims' unit (synthrank.claims): every collection
# and domain average against every reference, by a paired bootstrap over seeds and queries, with
# the difference's interval and the equivalence test.
rule significance_tests:
    input:
        lambda wildcards: [e["path"] for e in arch_entries(wildcards.arch)],
    output:
        tests="results/significance/{arch}.csv",
        claims="results/significance/claims/{arch}.csv",
    log:
        "logs/significance_tests/{arch}.log",
    benchmark:
        "benchmarks/significance_tests/{arch}.tsv"
    localrule: True
    conda:
        "../envs/evaluation.yaml"
    params:
        entries=lambda wildcards: arch_entries(wildcards.arch),
        references=lambda wildcards: arch_references(wildcards.arch),
        claims=lambda wildcards: claims_references(wildcards.arch),
        trained_on=lambda wildcards: {
            wildcards.arch: grid.trained_on(ARCHS[wildcards.arch])
        },
        test=SIGNIFICANCE["test"],
        alpha=SIGNIFICANCE["alpha"],
        correction=SIGNIFICANCE["correction"],
        margin=SIGNIFICANCE["equivalence_margin"],
        resamples=SIGNIFICANCE["resamples"],
        seed=SIGNIFICANCE["bootstrap_seed"],
    script:
        "../scripts/significance_tests.py"


# Did each row learn? Its in-domain scores against its floor (synthrank.training_check): the
# tables mark a row that is not significantly above it.
rule floor_tests:
    input:
        lambda wildcards: [e["path"] for e in floor_test_entries(wildcards.arch)],
    output:
        "results/significance/floor/{arch}.csv",
    log:
        "logs/floor_tests/{arch}.log",
    benchmark:
        "benchmarks/floor_tests/{arch}.tsv"
    localrule: True
    conda:
        "../envs/evaluation.yaml"
    params:
        entries=lambda wildcards: floor_test_entries(wildcards.arch),
        floors=lambda wildcards: {wildcards.arch: FLOORS[wildcards.arch]},
        test=SIGNIFICANCE["test"],
        alpha=SIGNIFICANCE["alpha"],
    script:
        "../scripts/floor_tests.py"


# Every trained model, one line each: steps, final loss against a constant predictor's, in-domain
# scores against the floor's (paired test) with BM25's beside them. Reports; never fails the run.
rule check_training:
    input:
        training_check_inputs(),
    output:
        json=report(
            TRAINING_CHECK[0],
            caption="../report/check_training.rst",
            category="Checks",
        ),
        markdown=TRAINING_CHECK[1],
    log:
        "logs/check_training.log",
    benchmark:
        "benchmarks/check_training.tsv"
    localrule: True
    conda:
        "../envs/evaluation.yaml"
    params:
        models=training_check_models(),
        significance=SIGNIFICANCE,
    script:
        "../scripts/check_training.py"


# Level 2's tolerance (synthrank.reproduce): the spread of each architecture's scores over seeds,
# pooled over its cells (reproduce.pool).
rule seed_variance:
    input:
        [e["path"] for e in trained_entries()],
    output:
        "results/significance/seed-variance.csv",
    log:
        "logs/seed_variance.log",
    benchmark:
        "benchmarks/seed_variance.tsv"
    localrule: True
    conda:
        "../envs/evaluation.yaml"
    params:
        entries=trained_entries(),
        pool=config["reproduce"]["pool"],
    script:
        "../scripts/seed_variance.py"


rule overview_table:
    input:
        metrics=metric_files(),
        floor=floor_test_files(ARCHS),
        claims=claims_files(ARCHS),
    output:
        **table_outputs("overview"),
    log:
        "logs/overview_table.log",
    benchmark:
        "benchmarks/overview_table.tsv"
    localrule: True
    conda:
        "../envs/reporting.yaml"
    params:
        entries=metric_entries(),
        order=system_order(),
        seeds=len(SEEDS),
        significance=SIGNIFICANCE,
        trained_on=TRAINED_ON,
        caption=overview_caption(),
    script:
        "../scripts/overview_table.py"


rule effectiveness_table:
    input:
        metrics=lambda wildcards: [e["path"] for e in table_entries(wildcards.table)],
        tests=lambda wildcards: table_tests(wildcards.table),
        claims=lambda wildcards: claims_files(table_archs(wildcards.table)),
        floor=lambda wildcards: floor_test_files(table_archs(wildcards.table)),
    output:
        **table_outputs("{table}"),
    log:
        "logs/effectiveness_table/{table}.log",
    benchmark:
        "benchmarks/effectiveness_table/{table}.tsv"
    wildcard_constraints:
        table=alternatives(TABLES),
    localrule: True
    conda:
        "../envs/reporting.yaml"
    params:
        entries=lambda wildcards: table_entries(wildcards.table),
        table=table_params,
        seeds=len(SEEDS),
        significance=SIGNIFICANCE,
        trained_on=TRAINED_ON,
        caption=lambda wildcards: table_params(wildcards)["caption"],
    script:
        "../scripts/effectiveness_table.py"


rule cost_table:
    input:
        cost_files(),
    output:
        **table_outputs("cost"),
    log:
        "logs/cost_table.log",
    benchmark:
        "benchmarks/cost_table.tsv"
    localrule: True
    conda:
        "../envs/reporting.yaml"
    params:
        corpora=cost_inputs()[0],
        models=cost_inputs()[1],
        costs=config["costs"],
        caption=cost_caption(cost_generators(), config["costs"]),
    script:
        "../scripts/cost_table.py"


rule id_ood_figure:
    input:
        metric_files(),
    output:
        **figure_outputs("id-vs-ood"),
    log:
        "logs/id_ood_figure.log",
    benchmark:
        "benchmarks/id_ood_figure.tsv"
    localrule: True
    conda:
        "../envs/reporting.yaml"
    params:
        entries=metric_entries(),
        paradigms=paradigms(),
        metric_label="official measure",
        caption="In-domain against out-of-domain effectiveness (average of each domain's "
        "collections, official measures) per architecture; colour: the corpus paradigm; "
        "bars: ±1 std over seeds; BM25 (star), the untuned model and a random order of the "
        "reranked candidates are baselines.",
    script:
        "../scripts/id_ood_figure.py"


rule gain_figure:
    input:
        [f"results/significance/{arch}.csv" for arch in ARCHS],
    output:
        **figure_outputs("gain-over-human"),
    log:
        "logs/gain_figure.log",
    benchmark:
        "benchmarks/gain_figure.tsv"
    localrule: True
    conda:
        "../envs/reporting.yaml"
    params:
        collections=REPORTED_COLLECTIONS,
        metric_label="official measure",
        caption="Gain of each model over the same architecture trained on the human corpus of "
        "the same size, per test collection (seed-averaged; * significant after correction, "
        "as in the tables).",
    script:
        "../scripts/gain_figure.py"


rule size_figure:
    input:
        metrics=metric_files(),
        stats=[corpus_stats(c) for c in unmixed_corpora()],
    output:
        **figure_outputs("effectiveness-vs-size"),
    log:
        "logs/size_figure.log",
    benchmark:
        "benchmarks/size_figure.tsv"
    localrule: True
    conda:
        "../envs/reporting.yaml"
    params:
        entries=metric_entries(),
        corpora=config["corpora"],
        max_queries=TRAIN.get("max_queries"),
        negatives=grid.default_negatives(config),
        counted=unmixed_corpora(),
        metric_label="official measure",
        caption="Effectiveness (domain averages) against the number of training queries of "
        "the corpus, per architecture; lines join corpora of one paradigm and generator; "
        "bands: ±1 std over seeds; dashed: BM25.",
    script:
        "../scripts/size_figure.py"


rule cost_figure:
    input:
        costs="results/tables/cost.csv",
        metrics=metric_files(),
    output:
        **figure_outputs("cost-vs-effectiveness"),
    log:
        "logs/cost_figure.log",
    benchmark:
        "benchmarks/cost_figure.tsv"
    localrule: True
    conda:
        "../envs/reporting.yaml"
    params:
        entries=metric_entries(),
        archs=list(ARCHS),
        seeds=len(SEEDS),
        paradigms=paradigms(),
        metric_label="official measure",
        caption="Effectiveness (domain averages, mean over seeds) against what a model cost: "
        "API dollars of its corpus, and compute hours of building the corpus, mining the "
        "training set and training one seed (see the cost table).",
    script:
        "../scripts/cost_figure.py"


rule check_bm25:
    input:
        list(bm25_metric_files().values()),
    output:
        report(
            "results/checks/bm25.json",
            caption="../report/check.rst",
            category="Checks",
        ),
    log:
        "logs/check_bm25.log",
    benchmark:
        "benchmarks/check_bm25.tsv"
    localrule: True
    conda:
        "../envs/reporting.yaml"
    params:
        expected=EXPECTED_BM25,
        files=bm25_metric_files(),
        bm25={"k1": config["bm25"]["k1"], "b": config["bm25"]["b"]},
    script:
        "../scripts/check_bm25.py"


# The untuned bi-encoders against the published scores of their base model (expected.dense).
rule check_dense:
    input:
        [path for files in dense_metric_files().values() for path in files.values()],
    output:
        report(
            "results/checks/dense.json",
            caption="../report/check_dense.rst",
            category="Checks",
        ),
    log:
        "logs/check_dense.log",
    benchmark:
        "benchmarks/check_dense.tsv"
    localrule: True
    conda:
        "../envs/reporting.yaml"
    params:
        expected=EXPECTED_DENSE,
        architectures=dense_check_architectures(),
        files=dense_metric_files(),
    script:
        "../scripts/check_dense.py"
