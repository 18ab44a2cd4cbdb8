"""Corpus facets, reference corpora and table rows, on plain config dicts."""

import pytest

from synthrank.errors import SynthrankError
from synthrank.grid import (
    EFFECTIVENESS_TABLES,
    corpus_facets,
    facet_values,
    numeric_sizes,
    reference_corpora,
    series_label,
    table_spec,
)

CORPORA = {
    "human": {"paradigm": "human"},
    "human-1k": {"paradigm": "human", "queries": 1000},
    "human-5k": {"paradigm": "human", "queries": 5000},
    "zs-gpt": {"paradigm": "zero-shot", "generator": "gpt", "template": "t"},
    "zs-gpt-1k": {"paradigm": "zero-shot", "generator": "gpt", "template": "t", "queries": 1000},
    "fsu-qwen": {"paradigm": "few-shot-unsupervised", "generator": "qwen", "template": "t", "exemplars": {}},
    "fss-gpt": {"paradigm": "few-shot-supervised", "generator": "gpt", "template": "t", "exemplars": {}},
    "human+zs-gpt": {"paradigm": "mixture", "components": ["human", "zs-gpt"]},
    "human-1k+fss-gpt-5k": {
        "paradigm": "mixture",
        "components": [{"corpus": "human", "queries": 1000}, {"corpus": "fss-gpt", "queries": 5000}],
    },
}


def grid_config(corpora: dict = CORPORA, out_of_domain: bool = True) -> dict:
    return {
        "corpora": corpora,
        "training": {"dataset": "ms", "split": "train"},
        "evaluation": {
            "in_domain": [{"dataset": "ms", "split": "dev"}, {"dataset": "ms", "split": "dl19"}],
            "out_of_domain": [{"dataset": "scifact", "split": "test"}] if out_of_domain else [],
        },
        "architectures": {
            "ce": {"kind": "cross-encoder"},
            "be": {"kind": "bi-encoder", "untuned_baseline": True},
        },
    }


def test_facets() -> None:
    f = corpus_facets(CORPORA)
    assert (f["human"].paradigm, f["human"].size, f["human"].limited) == ("human", None, False)
    assert (f["human-1k"].size, f["human-1k"].limited) == (1000, True)
    assert f["zs-gpt"].generators == ("gpt",) and f["zs-gpt"].size_label == "all"
    mix = f["human+zs-gpt"]
    assert (mix.paradigm, mix.size, mix.generators, mix.limited) == ("mixture", None, ("gpt",), False)
    # all corpora take the first N of one seeded query order: slices from 0 overlap, so this mixture
    # covers the queries of its larger component
    enrich = f["human-1k+fss-gpt-5k"]
    assert (enrich.size, enrich.limited, enrich.generators) == (5000, True, ("gpt",))
    assert [(c.corpus, c.queries) for c in enrich.components] == [("human", 1000), ("fss-gpt", 5000)]


def test_training_sample_caps_every_size() -> None:
    f = corpus_facets(CORPORA, max_queries=2000)
    assert f["human"].size == 2000 and not f["human"].limited  # the whole (sampled) training set
    assert f["human-5k"].size == 2000 and not f["human-5k"].limited
    assert f["human-1k"].size == 1000 and f["human-1k"].limited
    assert f["human-1k+fss-gpt-5k"].size == 2000 and f["human-1k+fss-gpt-5k"].limited


def test_the_full_size_is_the_largest_when_every_corpus_names_one() -> None:
    # the thesis grid: every corpus names its size; 10k is the full grid, 1k/2k/5k are small-corpus cells
    sized = {
        "human": {"paradigm": "human", "queries": 10000},
        "human-1k": {"paradigm": "human", "queries": 1000},
        "zs-gpt": {"paradigm": "zero-shot", "generator": "gpt", "template": "t", "queries": 10000},
        "human+zs-gpt": {"paradigm": "mixture", "components": ["human", "zs-gpt"]},
        "human-1k+zs-gpt-2k": {
            "paradigm": "mixture",
            "components": [{"corpus": "human", "queries": 1000}, {"corpus": "zs-gpt", "queries": 1000, "offset": 1000}],
        },
    }
    f = corpus_facets(sized)
    assert {name: f[name].limited for name in sized} == {
        "human": False,
        "human-1k": True,
        "zs-gpt": False,
        "human+zs-gpt": False,
        "human-1k+zs-gpt-2k": True,
    }
    small = table_spec("small-corpus", grid_config(sized))
    assert list(dict.fromkeys(c for _, c in small.rows)) == ["human-1k", "human-1k+zs-gpt-2k", "human"]


def test_references_are_human_corpora_of_the_same_size() -> None:
    refs = reference_corpora(corpus_facets(CORPORA))
    assert refs["zs-gpt"] == "human" and refs["human+zs-gpt"] == "human"
    assert refs["zs-gpt-1k"] == "human-1k"
    assert refs["human-1k+fss-gpt-5k"] == "human-5k"
    assert "human" not in refs and "human-1k" not in refs  # human corpora are the references
    no_5k = {k: v for k, v in CORPORA.items() if k != "human-5k"}
    assert reference_corpora(corpus_facets(no_5k))["human-1k+fss-gpt-5k"] is None


def test_bad_mixtures_are_one_line_errors() -> None:
    with pytest.raises(SynthrankError, match=r"corpora.m.components: 'nope' is not defined"):
        corpus_facets({"m": {"paradigm": "mixture", "components": ["nope"]}})
    with pytest.raises(SynthrankError, match="cannot contain itself"):
        corpus_facets({"m": {"paradigm": "mixture", "components": ["m"]}})


def test_kind_tables() -> None:
    spec = table_spec("cross-encoder-id", grid_config())
    assert spec.collections == ("ms/dev", "ms/dl19") and spec.averages == ("ID",)
    assert spec.rows[0] == ("bm25", "BM25") and ("ce", "human") in spec.rows
    assert all(arch in ("bm25", "ce") for arch, _ in spec.rows)
    ood = table_spec("bi-encoder-ood", grid_config())
    assert ood.collections == ("scifact/test",) and ood.averages == ("OOD",)
    assert ood.rows[:2] == (("bm25", "BM25"), ("be", "untuned"))
    empty = table_spec("bi-encoder-ood", grid_config(out_of_domain=False))
    assert empty.rows == () and "out-of-domain" in empty.empty


def test_comparison_tables() -> None:
    mixtures = table_spec("mixtures", grid_config())
    ce_rows = [c for a, c in mixtures.rows if a == "ce"]
    # the references and whole components first, then the mixtures
    assert ce_rows == ["human", "human-5k", "zs-gpt", "human+zs-gpt", "human-1k+fss-gpt-5k"]
    assert mixtures.averages == ("ID", "OOD") and mixtures.facet_columns == ("components", "reference")
    small = [c for a, c in table_spec("small-corpus", grid_config()).rows if a == "be"]
    assert small == ["human-1k", "zs-gpt-1k", "human-5k", "human-1k+fss-gpt-5k", "human"]
    gens = [c for a, c in table_spec("generators", grid_config()).rows if a == "ce"]
    assert gens == ["human", "human-1k", "zs-gpt", "zs-gpt-1k", "fsu-qwen", "fss-gpt"]


def test_absent_categories_give_an_explained_empty_table() -> None:
    demo_like = {"human": {"paradigm": "human"}, "zs": {"paradigm": "zero-shot", "generator": "g", "template": "t"}}
    cfg = grid_config(demo_like)
    for name in ("mixtures", "small-corpus"):
        spec = table_spec(name, cfg)
        assert spec.rows == () and spec.empty.startswith("no ")
    assert table_spec("generators", cfg).rows == (("ce", "human"), ("ce", "zs"), ("be", "human"), ("be", "zs"))
    assert set(EFFECTIVENESS_TABLES) >= {"mixtures", "small-corpus", "generators"}
    with pytest.raises(SynthrankError, match="no table named 'nope'"):
        table_spec("nope", cfg)


def test_numeric_sizes_and_series() -> None:
    f = corpus_facets(CORPORA)
    counted = {c: 500_000 for c, x in f.items() if x.paradigm != "mixture"}
    sizes = numeric_sizes(f, counted)
    assert sizes["human"] == 500_000 and sizes["human-1k"] == 1000
    assert sizes["human+zs-gpt"] == 500_000 and sizes["human-1k+fss-gpt-5k"] == 5000
    assert series_label(f["zs-gpt"]) == "zero-shot / gpt" and series_label(f["human"]) == "human"


def test_a_mixture_is_sized_by_the_queries_its_slices_cover() -> None:
    """Enrichment: 1k human queries plus generated passages for the next queries of the same order."""
    corpora = {
        "human": {"paradigm": "human"},
        "human-1k": {"paradigm": "human", "queries": 1000},
        "human-2k": {"paradigm": "human", "queries": 2000},
        "fss-gpt": {"paradigm": "few-shot-supervised", "generator": "gpt", "template": "t", "exemplars": {}},
        "h1k+fss-2k": {
            "paradigm": "mixture",
            "components": [
                {"corpus": "human", "queries": 1000},
                {"corpus": "fss-gpt", "queries": 1000, "offset": 1000},
            ],
        },
        "h1k+fss-5k": {
            "paradigm": "mixture",
            "components": [
                {"corpus": "human", "queries": 1000},
                {"corpus": "fss-gpt", "queries": 4000, "offset": 1000},
            ],
        },
        "h1k+fss-overlap": {
            "paradigm": "mixture",
            "components": [{"corpus": "human", "queries": 1000}, {"corpus": "fss-gpt", "queries": 1000, "offset": 500}],
        },
    }
    f = corpus_facets(corpora)
    assert (f["h1k+fss-2k"].size, f["h1k+fss-5k"].size, f["h1k+fss-overlap"].size) == (2000, 5000, 1500)
    refs = reference_corpora(f)
    assert refs["h1k+fss-2k"] == "human-2k"
    assert refs["h1k+fss-5k"] is None  # no human corpus of 5000 queries: shown without a test
    assert refs["h1k+fss-overlap"] is None
    capped = corpus_facets(corpora, max_queries=3000)
    assert (capped["h1k+fss-2k"].size, capped["h1k+fss-5k"].size) == (2000, 3000)
    sizes = numeric_sizes(f, {"human": 9000, "fss-gpt": 9000})
    assert (sizes["h1k+fss-2k"], sizes["h1k+fss-5k"], sizes["h1k+fss-overlap"]) == (2000, 5000, 1500)
    columns = table_spec("mixtures", grid_config(corpora))
    assert ("ce", "h1k+fss-2k") in columns.rows and columns.facet_columns[-1] == "reference"
    # the table says which human corpus a row is tested against, and where the grid has none
    assert facet_values(f["h1k+fss-2k"], ["reference"], refs["h1k+fss-2k"]) == {"reference": "human-2k"}
    assert facet_values(f["h1k+fss-5k"], ["reference"], None) == {"reference": "none: no human corpus of 5000 queries"}
    assert facet_values(f["human-2k"], ["reference", "queries"]) == {"reference": "-", "queries": "2000"}


def test_covered_counts_distinct_queries() -> None:
    from synthrank.grid import covered

    assert covered([(0, 10), (10, 20)]) == 20
    assert covered([(0, 10), (5, 15), (30, 31)]) == 16
    assert covered([(0, 10), (3, None)]) is None
    assert covered([]) == 0


def test_the_negatives_table_sets_each_other_source_beside_its_default_twin() -> None:
    from synthrank.grid import copy_of, mined_sources, negatives_settings
    from synthrank.paradigms import DEFAULT_NEGATIVES, NEGATIVE_SOURCES

    assert DEFAULT_NEGATIVES == "human" and list(NEGATIVE_SOURCES) == ["human", "corpus", "both"]
    spec = table_spec("negatives", grid_config())
    assert spec.rows == () and spec.empty == (
        "no corpus takes its hard negatives from another source than the default (human) in this config"
    )
    corpora = {
        **CORPORA,
        "zs-gpt-own": {"paradigm": "mixture", "components": ["zs-gpt"], "negatives": {"source": "corpus"}},
        "fss-gpt": {**CORPORA["fss-gpt"], "negatives": {"source": "both", "count": 2}},  # no default twin
    }
    cfg = grid_config(corpora)
    cfg["training"]["hard_negatives"] = {"count": 7, "depth": 100, "seed": 42, "source": "human"}
    spec = table_spec("negatives", cfg)
    assert [c for a, c in spec.rows if a == "ce"] == ["fss-gpt", "zs-gpt", "zs-gpt-own"]  # config order
    assert spec.facet_columns == ("positives", "negatives", "components", "reference")
    assert spec.averages == ("ID", "OOD")
    facets = corpus_facets(corpora)
    assert copy_of(facets["zs-gpt-own"]) == "zs-gpt" and copy_of(facets["human+zs-gpt"]) is None
    assert facet_values(facets["zs-gpt-own"], spec.facet_columns, "human") == {
        "positives": "generated",
        "negatives": "corpus",
        "components": "zs-gpt",
        "reference": "human",
    }
    assert facet_values(facets["zs-gpt"], ("negatives",)) == {"negatives": "human"}
    # the positives facet: whose passages; a mixture names its components' kinds
    assert [facets[c].positives for c in ("human", "zs-gpt", "human+zs-gpt", "zs-gpt-own")] == [
        "human",
        "generated",
        "human + generated",
        "generated",
    ]
    # a copy is no mixture: the mixtures table leaves it to this one
    assert "zs-gpt-own" not in {c for _, c in table_spec("mixtures", cfg).rows}
    assert series_label(facets["zs-gpt-own"]) == "mixture / gpt, corpus negatives"
    assert negatives_settings(cfg, "fss-gpt") == {"count": 2, "depth": 100, "seed": 42, "source": "both"}
    assert negatives_settings(cfg, "zs-gpt")["source"] == "human"
    assert mined_sources("both") == ("human", "corpus") and mined_sources("corpus") == ("corpus",)

    # with label-free mining as the default, the corpora mined from the human collection are the others
    cfg["training"]["hard_negatives"]["source"] = "corpus"
    cfg["corpora"] = {
        **CORPORA,
        "zs-gpt-human": {"paradigm": "mixture", "components": ["zs-gpt"], "negatives": {"source": "human"}},
    }
    assert [c for a, c in table_spec("negatives", cfg).rows if a == "be"] == ["zs-gpt", "zs-gpt-human"]
    assert corpus_facets(cfg["corpora"], None, "corpus")["zs-gpt"].negatives == "corpus"


@pytest.mark.parametrize("name", ["config.yaml", "demo.yaml", "micro.yaml", "shared-data.yaml"])
def test_every_table_has_a_spec_for_every_shipped_config(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    from synthrank import config

    repo = Path(__file__).resolve().parent.parent
    monkeypatch.chdir(repo)
    cfg = config.load(repo / "config" / name)
    for table in EFFECTIVENESS_TABLES:
        spec = table_spec(table, cfg)
        assert spec.rows or spec.empty, (name, table)
    from synthrank.grid import copy_of, negatives_settings

    ablation = table_spec("negatives", cfg)
    if name == "config.yaml":  # the thesis grid's ablation: the 2x2 of positives x negatives, human positives first
        assert [c for a, c in ablation.rows if a == "cross-encoder"] == [
            "human",
            "human-corpus-negatives",
            "zero-shot-gpt",
            "zero-shot-gpt-corpus-negatives",
        ]
        facets = corpus_facets(cfg["corpora"], None, "human")
        cells = [(facets[c].positives, facets[c].negatives) for a, c in ablation.rows if a == "bi-encoder"]
        assert cells == [("human", "human"), ("human", "corpus"), ("generated", "human"), ("generated", "corpus")]
        assert "is tested against its twin (the same passages" in ablation.note
        # the copy of human mines its corpus negatives from its own passages (its own index and run)
        assert negatives_settings(cfg, "human-corpus-negatives")["source"] == "corpus"
        assert copy_of(facets["human-corpus-negatives"]) == "human"
        assert table_spec("mixtures", cfg).note.startswith("Mixtures are compared at equal optimiser steps")


def test_the_mixtures_caption_says_whether_cells_train_equal_steps() -> None:
    from synthrank.grid import training_length_note

    cfg = grid_config()
    cfg["architectures"]["ce"]["train"] = {"steps": 2500, "batch_size": 64}
    cfg["architectures"]["be"]["train"] = {"steps": 1000, "batch_size": 64}
    assert "at equal optimiser steps" in table_spec("mixtures", cfg).note
    cfg["architectures"]["be"]["train"] = {"epochs": 1, "batch_size": 64}
    note = table_spec("mixtures", cfg).note
    assert note.startswith("Not at equal steps: be train(s) by epochs"), note
    assert training_length_note(cfg, {"ce"}).startswith("Mixtures are compared at equal optimiser steps")


def test_the_order_excludes_queries_of_every_or_the_held_out_evaluation_collections() -> None:
    from synthrank.grid import order_collections

    cfg = grid_config()
    assert [c["dataset"] for c in order_collections(cfg)] == ["ms", "ms", "scifact"]  # default: all
    cfg["training"]["exclude_evaluation_queries"] = "held_out"
    assert [c["dataset"] for c in order_collections(cfg)] == ["ms", "ms"]  # the training dataset's own
