"""Thesis figures (seaborn; PNG and PDF, byte-identical for the same data).

Each figure takes the scores of ``synthrank.report.collect_scores`` (one row per metric file:
arch, corpus, seed, collection, domain, metric, score) and, where it needs them, the tests of
``synthrank.significance`` or the costs of ``synthrank.cost_measured``. A figure whose category the grid
lacks (no out-of-domain collection, no generated corpus...) is drawn as a panel that says so.
The corpus analysis's figures (lengths, the embedding map, query overlap against effectiveness)
take :mod:`synthrank.corpus_stats`' numbers. A paradigm has one colour in every figure
(:func:`paradigm_palette`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from synthrank.grid import BASELINES
from synthrank.io import atomic_write

DOMAIN_LABELS = {"in_domain": "ID", "out_of_domain": "OOD"}
BASELINE = "baseline"


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="paper")
    return plt


def _no_dates(fmt: str) -> dict[str, Any]:
    """Figure metadata without timestamps, so the same scores give byte-identical files."""
    if fmt == "pdf":
        return {"CreationDate": None, "ModDate": None}
    if fmt == "png":
        return {"Software": None}
    return {}


def save(figure: Any, png: str, pdf: str) -> None:
    for path in (png, pdf):
        suffix = Path(path).suffix.lstrip(".")
        with atomic_write(path, "wb") as handle:
            figure.savefig(handle, format=suffix, dpi=150, bbox_inches="tight", metadata=_no_dates(suffix))
    _pyplot().close(figure)


def message_figure(text: str, png: str, pdf: str) -> None:
    """A figure target for a category the grid lacks: one panel with the reason."""
    plt = _pyplot()
    figure, ax = plt.subplots(figsize=(4.5, 1.2))
    ax.axis("off")
    ax.text(0.5, 0.5, text, ha="center", va="center", wrap=True)
    save(figure, png, pdf)


def paradigm_palette(paradigms: Sequence[str]) -> dict[str, Any]:
    """One colour per paradigm for every figure: a paradigm of :data:`synthrank.grid.PARADIGM_ORDER`
    always has the same colour of seaborn's colourblind palette (human blue, zero-shot orange, ...),
    the baselines grey; in that order (baselines first), for legends."""
    import seaborn as sns

    from synthrank.grid import PARADIGM_ORDER

    colours = sns.color_palette("colorblind", 10)
    fixed = {p: colours[i] for i, p in enumerate(PARADIGM_ORDER)} | {BASELINE: colours[7]}
    spare = [colours[i] for i in (8, 9, 6)]
    present = set(paradigms)
    order = [p for p in (BASELINE, *PARADIGM_ORDER) if p in present] + sorted(present - set(fixed))
    extra = iter(spare * len(order))
    return {p: fixed[p] if p in fixed else next(extra) for p in order}


def domain_averages(scores: pd.DataFrame) -> pd.DataFrame:
    """One row per (arch, corpus, seed, domain): the mean over that domain's collections.

    Measures of different scales are never averaged: where a domain's collections have different
    official measures (MS MARCO dev's MRR@10, TREC DL's nDCG@10), the figure's point is the mean
    over the collections of the measure most of them use (the first listed, on a tie), as the
    tables' per-measure average columns show it."""
    data = scores.copy()
    data["domain"] = data["domain"].map(DOMAIN_LABELS)
    keep = []
    for _, rows in data.groupby("domain", sort=False):
        per_collection = rows.drop_duplicates("collection")["metric"]
        counts = per_collection.value_counts(sort=False)
        keep.append(rows[rows["metric"] == counts.idxmax()])
    data = pd.concat(keep) if keep else data
    return data.groupby(["arch", "corpus", "seed", "domain"], as_index=False, sort=False)["score"].mean()


def _paradigm(arch: str, corpus: str, paradigms: Mapping[str, str]) -> str:
    if arch == "bm25" or corpus in BASELINES:
        return BASELINE
    return paradigms.get(corpus, "trained")


def id_ood_figure(
    scores: pd.DataFrame, png: str, pdf: str, metric_label: str, paradigms: Mapping[str, str] | None = None
) -> None:
    """ID average (x) against OOD average (y), one panel per architecture, colour = paradigm.

    Points are means over seeds with ±1 std bars; BM25, the untuned model and the random order of
    a reranker's candidates are baselines."""
    paradigms = paradigms or {}
    avgs = domain_averages(scores)
    if "OOD" not in set(avgs["domain"]):
        message_figure("no out-of-domain collection in this config", png, pdf)
        return
    wide = avgs.pivot_table(index=["arch", "corpus", "seed"], columns="domain", values="score").reset_index()
    stats = wide.groupby(["arch", "corpus"], sort=False).agg(
        id_mean=("ID", "mean"), id_std=("ID", "std"), ood_mean=("OOD", "mean"), ood_std=("OOD", "std")
    )
    stats = stats.fillna(0.0).reset_index()
    stats["paradigm"] = [_paradigm(a, c, paradigms) for a, c in zip(stats["arch"], stats["corpus"], strict=True)]
    archs = [a for a in dict.fromkeys(scores["arch"]) if a != "bm25"]  # in the grid's order
    bm25 = stats[stats["arch"] == "bm25"]
    plt = _pyplot()

    palette = paradigm_palette(list(stats["paradigm"]))
    hue_order = list(palette)
    figure, axes = plt.subplots(1, max(1, len(archs)), figsize=(3.6 * max(1, len(archs)), 3.4), squeeze=False)
    for ax, arch in zip(axes[0], archs, strict=False):
        panel = pd.concat([bm25, stats[stats["arch"] == arch]])
        for row in panel.itertuples(index=False):
            ax.errorbar(
                row.id_mean,
                row.ood_mean,
                xerr=row.id_std,
                yerr=row.ood_std,
                fmt="*" if row.arch == "bm25" else "o",
                color=palette[row.paradigm],
                markersize=7,
                capsize=2,
                label=row.paradigm,
            )
            label = "BM25" if row.arch == "bm25" else row.corpus
            ax.annotate(label, (row.id_mean, row.ood_mean), xytext=(4, 3), textcoords="offset points", fontsize=7)
        ax.set_title(arch)
        ax.set_xlabel(f"ID average ({metric_label})")
        ax.set_ylabel(f"OOD average ({metric_label})")
    handles = {}
    for ax in axes[0]:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    ordered = [label for label in hue_order if label in handles]
    figure.legend([handles[k] for k in ordered], ordered, loc="lower center", ncol=len(ordered), frameon=False)
    figure.tight_layout(rect=(0, 0.08, 1, 1))
    save(figure, png, pdf)


def gain_heatmap(tests: pd.DataFrame, png: str, pdf: str, collections: Sequence[str], metric_label: str) -> None:
    """Per collection, each model's gain over its human reference; * marks significance."""
    if tests.empty:
        message_figure("no generated or mixed corpus with a human reference of its size", png, pdf)
        return
    data = tests.copy()
    data["model"] = data["arch"] + " / " + data["corpus"]
    order = list(dict.fromkeys(data["model"]))
    columns = [c for c in collections if c in set(data["collection"])]
    gain = data.pivot(index="model", columns="collection", values="difference").reindex(index=order, columns=columns)
    star = data.pivot(index="model", columns="collection", values="significant").reindex(index=order, columns=columns)
    text = gain.map(lambda v: "" if pd.isna(v) else f"{v:+.3f}") + star.map(lambda s: "*" if s is True else "")
    plt = _pyplot()
    import seaborn as sns

    limit = max(0.01, float(gain.abs().max().max()))
    figure, ax = plt.subplots(figsize=(1.0 + 0.9 * len(columns), 0.9 + 0.38 * len(order)))
    sns.heatmap(
        gain,
        annot=text,
        fmt="",
        cmap="vlag_r",
        center=0.0,
        vmin=-limit,
        vmax=limit,
        linewidths=0.5,
        cbar_kws={"label": f"gain over human ({metric_label})"},
        ax=ax,
        annot_kws={"fontsize": 7},
    )
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.tick_params(axis="x", rotation=30)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")
    save(figure, png, pdf)


def size_figure(
    scores: pd.DataFrame,
    sizes: Mapping[str, int],
    series: Mapping[str, str],
    png: str,
    pdf: str,
    metric_label: str,
) -> None:
    """Domain average against the number of training queries; one line per corpus family.

    ``sizes`` maps a corpus to its number of training queries, ``series`` to its family label
    (paradigm and generator); BM25 is a dashed line."""
    avgs = domain_averages(scores)
    trained = avgs[(avgs["arch"] != "bm25") & avgs["corpus"].isin(list(sizes))].copy()
    if trained.empty:
        message_figure("no trained model in this config", png, pdf)
        return
    trained["training queries"] = trained["corpus"].map(sizes)
    trained["corpus family"] = trained["corpus"].map(series)
    bm25 = avgs[avgs["arch"] == "bm25"].groupby("domain")["score"].mean()
    plt = _pyplot()
    import seaborn as sns

    archs = list(dict.fromkeys(trained["arch"]))
    domains = [d for d in ("ID", "OOD") if d in set(trained["domain"])]
    hue_order = list(dict.fromkeys(series[c] for c in sizes))
    figure, axes = plt.subplots(
        len(domains), len(archs), figsize=(3.6 * len(archs), 2.8 * len(domains)), squeeze=False, sharex=True
    )
    values = sorted(set(trained["training queries"]))
    for i, domain in enumerate(domains):
        for j, arch in enumerate(archs):
            ax = axes[i][j]
            panel = trained[(trained["arch"] == arch) & (trained["domain"] == domain)]
            sns.lineplot(
                data=panel,
                x="training queries",
                y="score",
                hue="corpus family",
                hue_order=hue_order,
                style="corpus family",
                style_order=hue_order,
                markers=True,
                dashes=False,
                errorbar="sd",
                palette="colorblind",
                ax=ax,
                legend=(i == 0 and j == 0),
            )
            if domain in bm25:
                ax.axhline(bm25[domain], color="grey", linestyle="--", linewidth=1, label="BM25")
            if values[-1] > 20 * values[0]:
                ax.set_xscale("log")
            ax.set_title(f"{arch}, {domain}")
            ax.set_ylabel(f"{domain} average ({metric_label})")
    legend = axes[0][0].get_legend()
    if legend is not None:
        handles, labels = axes[0][0].get_legend_handles_labels()
        legend.remove()
        figure.legend(handles, labels, loc="lower center", ncol=min(4, len(labels)), frameon=False)
    figure.tight_layout(rect=(0, 0.1, 1, 1))
    save(figure, png, pdf)


def cost_figure(
    costs: pd.DataFrame, scores: pd.DataFrame, paradigms: Mapping[str, str], png: str, pdf: str, metric_label: str
) -> None:
    """Domain average (mean over seeds) against the API dollars and the compute hours of each model.

    ``costs``: one row per (arch, corpus) with ``usd`` and ``hours`` (corpus + training set +
    training of one seed)."""
    avgs = domain_averages(scores)
    means = avgs.groupby(["arch", "corpus", "domain"], as_index=False, sort=False)["score"].mean()
    data = means.merge(costs, on=["arch", "corpus"], how="inner")
    if data.empty:
        message_figure("no trained model in this config", png, pdf)
        return
    data["paradigm"] = data["corpus"].map(lambda c: paradigms.get(c, "trained"))
    plt = _pyplot()
    import seaborn as sns

    domains = [d for d in ("ID", "OOD") if d in set(data["domain"])]
    measures = [("usd", "API cost (USD)"), ("hours", "compute hours (corpus + training, one seed)")]
    figure, axes = plt.subplots(len(domains), 2, figsize=(7.6, 2.9 * len(domains)), squeeze=False)
    palette = paradigm_palette(list(data["paradigm"]))
    for i, domain in enumerate(domains):
        for j, (measure, label) in enumerate(measures):
            ax = axes[i][j]
            panel = data[data["domain"] == domain]
            sns.scatterplot(
                data=panel,
                x=measure,
                y="score",
                hue="paradigm",
                hue_order=list(palette),
                style="arch",
                palette=palette,
                s=50,
                ax=ax,
                legend=(i == 0 and j == 1),
            )
            for row in panel.itertuples(index=False):
                ax.annotate(
                    row.corpus,
                    (getattr(row, measure), row.score),
                    xytext=(4, 3),
                    textcoords="offset points",
                    fontsize=6,
                )
            ax.set_xlabel(label)
            ax.set_ylabel(f"{domain} average ({metric_label})")
    legend = axes[0][1].get_legend()
    if legend is not None:
        handles, labels = axes[0][1].get_legend_handles_labels()
        legend.remove()
        figure.legend(handles, labels, loc="center right", frameon=False)
    figure.tight_layout(rect=(0, 0, 0.8, 1))
    save(figure, png, pdf)


# ---------------------------------------------------------------- the corpus analysis


def length_figure(lengths: Mapping[str, Mapping[int, int]], paradigms: Mapping[str, str], png: str, pdf: str) -> None:
    """Passage lengths (tokens) per corpus, one box per corpus in one panel, coloured by paradigm.

    ``lengths``: corpus -> {length: number of passages} (the corpus statistics' ``length_counts``)."""
    rows = [
        (corpus, paradigms[corpus], int(length))
        for corpus, counts in lengths.items()
        for length, count in counts.items()
        for _ in range(int(count))
    ]
    data = pd.DataFrame(rows, columns=["corpus", "paradigm", "tokens"])
    plt = _pyplot()
    import seaborn as sns

    palette = paradigm_palette(list(paradigms.values()))
    figure, ax = plt.subplots(figsize=(6.0, 0.9 + 0.35 * len(lengths)))
    sns.boxplot(
        data=data,
        x="tokens",
        y="corpus",
        hue="paradigm",
        order=list(lengths),
        hue_order=list(palette),
        palette=palette,
        dodge=False,
        whis=(5, 95),
        fliersize=1.5,
        ax=ax,
    )
    ax.set_xlabel("passage length (tokens)")
    ax.set_ylabel("")
    if ax.get_legend() is not None:
        sns.move_legend(ax, "upper left", bbox_to_anchor=(1.01, 1), fontsize=7, title=None, frameon=False)
    figure.tight_layout()
    save(figure, png, pdf)


def corpus_map_figure(
    coords: Mapping[str, Any], paradigms: Mapping[str, str], reference: str | None, png: str, pdf: str
) -> None:
    """The samples' passage embeddings in one shared 2-D projection: one panel per corpus, drawn over
    the ``reference`` (human) corpus's sample in grey, all panels on the same axes."""
    plt = _pyplot()
    palette = paradigm_palette(list(paradigms.values()))
    shown = [c for c in coords if c != reference] or list(coords)
    columns = min(4, len(shown))
    rows = -(-len(shown) // columns)
    figure, axes = plt.subplots(
        rows, columns, figsize=(3.2 * columns, 3.0 * rows), squeeze=False, sharex=True, sharey=True
    )
    for ax, corpus in zip(axes.flat, shown, strict=False):
        if reference is not None and reference in coords and corpus != reference:
            ref = coords[reference]
            ax.scatter(ref[:, 0], ref[:, 1], s=6, color="lightgrey", label=f"{reference} (human)")
        points = coords[corpus]
        ax.scatter(points[:, 0], points[:, 1], s=6, color=palette[paradigms[corpus]], label=corpus)
        ax.set_title(f"{corpus} ({paradigms[corpus]})", fontsize=8)
        ax.legend(loc="best", fontsize=6, frameon=False, markerscale=2)
    for ax in list(axes.flat)[len(shown) :]:
        ax.axis("off")
    for ax in axes[-1]:
        ax.set_xlabel("PC 1")
    for ax in axes[:, 0]:
        ax.set_ylabel("PC 2")
    figure.tight_layout()
    save(figure, png, pdf)


def overlap_figure(
    scores: pd.DataFrame,
    overlaps: Mapping[str, float],
    paradigms: Mapping[str, str],
    png: str,
    pdf: str,
    metric_label: str,
) -> None:
    """Each trained model's domain averages (mean over seeds) against its corpus's query overlap: one
    panel per architecture and domain, colour = paradigm."""
    avgs = domain_averages(scores)
    trained = avgs[avgs["corpus"].isin(list(overlaps))]
    if trained.empty:
        message_figure("no trained model in this config", png, pdf)
        return
    data = trained.groupby(["arch", "corpus", "domain"], as_index=False, sort=False)["score"].agg(["mean", "std"])
    data["std"] = data["std"].fillna(0.0)
    data["overlap"] = data["corpus"].map(overlaps)
    data["paradigm"] = data["corpus"].map(paradigms)
    plt = _pyplot()
    palette = paradigm_palette(list(paradigms.values()))
    archs = list(dict.fromkeys(data["arch"]))
    domains = [d for d in ("ID", "OOD") if d in set(data["domain"])]
    figure, axes = plt.subplots(
        len(domains), len(archs), figsize=(3.6 * len(archs), 2.9 * len(domains)), squeeze=False, sharex=True
    )
    for i, domain in enumerate(domains):
        for j, arch in enumerate(archs):
            ax = axes[i][j]
            panel = data[(data["arch"] == arch) & (data["domain"] == domain)]
            for row in panel.itertuples(index=False):
                ax.errorbar(
                    row.overlap,
                    row.mean,
                    yerr=row.std,
                    fmt="o",
                    color=palette[row.paradigm],
                    capsize=2,
                    label=row.paradigm,
                )
                ax.annotate(row.corpus, (row.overlap, row.mean), xytext=(4, 3), textcoords="offset points", fontsize=6)
            ax.set_title(f"{arch}, {domain}")
            ax.set_xlabel("query overlap of the corpus")
            ax.set_ylabel(f"{domain} average ({metric_label})")
    handles: dict[str, Any] = {}
    for ax in axes.flat:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    ordered = [p for p in palette if p in handles]
    figure.legend([handles[p] for p in ordered], ordered, loc="lower center", ncol=len(ordered), frameon=False)
    figure.tight_layout(rect=(0, 0.08, 1, 1))
    save(figure, png, pdf)
