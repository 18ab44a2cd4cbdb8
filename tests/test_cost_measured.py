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
