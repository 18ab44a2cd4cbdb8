"""Cost table: ledgers, prices, Snakemake benchmark files, mixtures charged by share."""

import math
from pathlib import Path

import pandas as pd
import pytest

from synthrank.cost_measured import api_dollars, benchmark_seconds, cost_table, model_costs, write_cost_table
from synthrank.errors import SynthrankError
from synthrank.io import write_json

HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def bench(path: Path, seconds: float) -> str:
    path.write_text(HEADER + f"{seconds}\t0:00:01\t1\t1\t1\t1\t0\t0\t0\t1\n")
    return str(path)


def test_benchmark_seconds(tmp_path: Path) -> None:
    assert benchmark_seconds(bench(tmp_path / "b.tsv", 7.5)) == 7.5
    (tmp_path / "bad.tsv").write_text("x\ty\n1\t2\n")
    with pytest.raises(SynthrankError, match=r"bad.tsv: no 's' column"):
        benchmark_seconds(str(tmp_path / "bad.tsv"))


def test_api_dollars() -> None:
    price = {"backend": "openai", "price": {"input_per_mtok": 0.4, "output_per_mtok": 1.6}}
    tokens = {"prompt_tokens": 2_000_000, "completion_tokens": 500_000}
    assert api_dollars({**tokens, "cost_usd": 3.0}, price) == 3.0  # the ledger wins
    assert api_dollars(tokens, price) == pytest.approx(0.8 + 0.8)
    assert api_dollars(tokens, {"backend": "local"}) == 0.0
    assert api_dollars({"passages": 3}, None) == 0.0  # human
    assert math.isnan(api_dollars(tokens, {"backend": "openai"}))  # unknown, never a silent 0


def test_cost_table_charges_mixtures_their_share(tmp_path: Path) -> None:
    write_json(tmp_path / "human.json", {"queries": 100, "passages": 110})
    write_json(
        tmp_path / "zs.json",
        {"queries": 100, "passages": 100, "prompt_tokens": 1000, "completion_tokens": 4000, "cost_usd": 2.0},
    )
    gen = {"name": "gpt", "backend": "openai"}
    corpora = [
        {
            "name": "human",
            "paradigm": "human",
            "generator": None,
            "stats": str(tmp_path / "human.json"),
            "corpus_benchmark": bench(tmp_path / "c-h.tsv", 36),
            "trainset_benchmark": bench(tmp_path / "t-h.tsv", 72),
        },
        {
            "name": "zs",
            "paradigm": "zero-shot",
            "generator": gen,
            "stats": str(tmp_path / "zs.json"),
            "corpus_benchmark": bench(tmp_path / "c-z.tsv", 3600),
            "trainset_benchmark": bench(tmp_path / "t-z.tsv", 72),
        },
        {
            "name": "mix",
            "paradigm": "mixture",
            "generator": None,
            "stats": None,
            "corpus_benchmark": None,
            "trainset_benchmark": bench(tmp_path / "t-m.tsv", 36),
            "components": [{"corpus": "human", "queries": None}, {"corpus": "zs", "queries": 25}],
        },
    ]
    models = [
        {
            "arch": "ce",
            "corpus": c,
            "seed": s,
            "train_benchmark": bench(tmp_path / f"tr-{c}-{s}.tsv", 1800),
            "inference_benchmarks": [bench(tmp_path / f"in-{c}-{s}-{x}.tsv", 180) for x in ("a", "b")],
        }
        for c in ("human", "zs", "mix")
        for s in (1, 2)
    ]
    table = cost_table(corpora, models)
    assert list(table.index) == ["human", "zs", "mix"]
    assert table.loc["zs", "USD"] == 2.0 and table.loc["zs", "corpus h"] == 1.0
    assert table.loc["human", "USD"] == 0.0 and table.loc["human", "generator"] == "-"
    mix = table.loc["mix"]
    assert mix["USD"] == pytest.approx(0.5) and mix["completion tokens"] == pytest.approx(1000)
    assert mix["corpus h"] == pytest.approx(0.01 + 0.25) and mix["queries"] == 100 and mix["generator"] == "gpt"
    assert table.loc["mix", "training set h"] == pytest.approx(0.01)
    assert table.loc["zs", "ce training h"] == pytest.approx(1.0) and table.loc[
        "zs", "ce inference h"
    ] == pytest.approx(0.2)
    per_model = model_costs(table, ["ce"], seeds=2).set_index("corpus")
    assert per_model.loc["zs", "hours"] == pytest.approx(1.0 + 0.02 + 0.5)
    out = {k: str(tmp_path / f"cost.{k}") for k in ("csv", "markdown", "latex", "html")}
    write_cost_table(table, out, "Cost.")
    again = pd.read_csv(out["csv"], index_col=0)
    assert again.loc["zs", "USD"] == 2.0
    md = Path(out["markdown"]).read_text()
    assert "| zs " in md and "2.00" in md and "4,000" in md
    assert r"\toprule" in Path(out["latex"]).read_text()


def test_an_enrichment_mixture_counts_the_queries_of_both_slices(tmp_path: Path) -> None:
    write_json(tmp_path / "human.json", {"queries": 100, "passages": 100})
    write_json(tmp_path / "zs.json", {"queries": 100, "passages": 100, "cost_usd": 2.0})
    corpora = [
        {"name": name, "paradigm": p, "generator": g, "stats": str(tmp_path / f"{name}.json")}
        | {
            "corpus_benchmark": bench(tmp_path / f"c-{name}.tsv", 36),
            "trainset_benchmark": bench(tmp_path / f"t-{name}.tsv", 36),
        }
        for name, p, g in (("human", "human", None), ("zs", "zero-shot", {"name": "gpt", "backend": "openai"}))
    ]
    corpora.append(
        {
            "name": "h25+zs25",
            "paradigm": "mixture",
            "generator": None,
            "stats": None,
            "corpus_benchmark": None,
            "trainset_benchmark": bench(tmp_path / "t-m.tsv", 36),
            # human queries 0..24, generated passages for queries 25..49 of the same order
            "components": [{"corpus": "human", "queries": 25}, {"corpus": "zs", "queries": 25, "offset": 25}],
        }
    )
    table = cost_table(corpora, [])
    assert table.loc["h25+zs25", "queries"] == 50 and table.loc["h25+zs25", "USD"] == pytest.approx(0.5)


def test_annotation_dollars_charge_the_judged_queries_a_corpus_needs(tmp_path: Path) -> None:
    from synthrank.cost_measured import annotated_queries

    assert annotated_queries("human", {"queries": 100}) == 100
    assert annotated_queries("few-shot-supervised", {"queries": 50, "exemplars": {"pool": 10}}) == 10
    assert annotated_queries("few-shot-unsupervised", {"queries": 50, "exemplars": {"pool": 1000}}) == 0
    assert annotated_queries("zero-shot", {"queries": 50}) == 0
    assert annotated_queries("release", {"paradigm": "human", "queries": 7}) == 7  # as its released stats say
    write_json(tmp_path / "human.json", {"queries": 100, "passages": 100})
    write_json(tmp_path / "fss.json", {"queries": 100, "passages": 100, "cost_usd": 2.0, "exemplars": {"pool": 10}})
    corpora = [
        {"name": name, "paradigm": p, "generator": g, "stats": str(tmp_path / f"{name}.json")}
        | {
            "corpus_benchmark": bench(tmp_path / f"c-{name}.tsv", 36),
            "trainset_benchmark": bench(tmp_path / f"t-{name}.tsv", 36),
        }
        for name, p, g in (
            ("human", "human", None),
            ("fss", "few-shot-supervised", {"name": "gpt", "backend": "openai"}),
        )
    ]
    corpora.append(
        {
            "name": "copy",  # a copy of human (the negatives ablation): the same annotation
            "paradigm": "mixture",
            "generator": None,
            "stats": None,
            "corpus_benchmark": None,
            "trainset_benchmark": bench(tmp_path / "t-c.tsv", 36),
            "components": [{"corpus": "human", "queries": None}, {"corpus": "fss", "queries": 50, "offset": 0}],
        }
    )
    table = cost_table(corpora, [], annotation_per_query=0.5)
    assert table.loc["human", "annotation USD"] == pytest.approx(50.0)  # 100 queries x $0.50
    assert table.loc["fss", "annotation USD"] == pytest.approx(5.0) and table.loc["fss", "USD"] == 2.0
    assert table.loc["copy", "annotation USD"] == pytest.approx(50.0 + 2.5)  # its share of each component
    assert cost_table(corpora, []).loc["human", "annotation USD"] == 0.0  # unset: uncharged, and the caption says so
    out = {k: str(tmp_path / f"cost.{k}") for k in ("csv", "markdown", "latex", "html")}
    write_cost_table(table, out, "Cost.")
    assert "50.00" in Path(out["markdown"]).read_text()


def test_the_cost_caption_says_how_each_generator_is_priced() -> None:
    from synthrank.cost_measured import cost_caption, pricing_modes

    price = {"input_per_mtok": 0.4, "output_per_mtok": 1.6}
    generators = {
        "gpt": {"backend": "openai", "price": price, "batch": {}},
        "gem": {"backend": "gemini", "price": {**price, "batch_discount": 0.6}, "batch": {}},
        "online": {"backend": "gemini", "price": price},
        "qwen": {"backend": "vllm"},
        "free-api": {"backend": "openai"},
    }
    assert pricing_modes(generators) == (
        "gpt through its Batch API (x0.5 the online price); gem through its Batch API (x0.6 the online price); "
        "online online (its list price); qwen self-hosted (no API bill; its GPU time is in the hours); "
        "free-api unpriced (n/a unless its ledger has cost_usd)"
    )
    caption = cost_caption({"gpt": generators["gpt"]}, {"annotation_per_query": 0.5, "source": "assumed"})
    assert "priced as: gpt through its Batch API" in caption
    assert "Annotation USD: $0.5 per human-judged training query (source: assumed)" in caption
    assert "priced as" not in cost_caption({}, {})


def test_the_thesis_grid_prices_every_api_generator_the_same_way() -> None:
    from synthrank import config as config_schema
    from synthrank.cost_measured import pricing_modes

    from .conftest import REPO

    cfg = config_schema.load(REPO / "config" / "config.yaml")
    api = {n: g for n, g in cfg["generators"].items() if g["backend"] in ("openai", "gemini")}
    assert len(api) == 2 and all(g.get("batch") is not None for g in api.values())  # both through a Batch API
    assert pricing_modes(api).count("through its Batch API (x0.5 the online price)") == 2
    assert cfg["costs"]["annotation_per_query"] > 0 and cfg["costs"]["source"]
