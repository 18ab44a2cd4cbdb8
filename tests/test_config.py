from copy import deepcopy
from pathlib import Path

import pytest
import yaml

from synthrank import config
from synthrank.errors import SynthrankError

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # template paths are relative to the repository


@pytest.mark.parametrize("name", ["config.yaml", "demo.yaml", "micro.yaml", "shared-data.yaml", "pilot-wikiqa.yaml"])
def test_shipped_configs_are_valid(name: str) -> None:
    cfg = config.load(REPO / "config" / name)
    assert cfg["bm25"]["k1"] > 0  # defaults filled in
    assert all("metric" in c for c in cfg["evaluation"]["in_domain"])


def demo() -> dict:
    return yaml.safe_load((REPO / "config" / "demo.yaml").read_text())


def check(cfg: dict) -> str:
    with pytest.raises(SynthrankError) as info:
        config.validate(deepcopy(cfg), "demo.yaml")
    message = str(info.value)
    assert "\n" not in message
    return message


def test_unknown_key_is_named() -> None:
    cfg = demo()
    cfg["architectures"]["bi-encoder"]["train"]["epoch"] = 3
    msg = check(cfg)
    assert msg.startswith("demo.yaml: architectures.bi-encoder.train.epoch: unknown key")


def test_wrong_type_is_named() -> None:
    cfg = demo()
    cfg["architectures"]["bi-encoder"]["train"]["epochs"] = "two"
    assert check(cfg) == "demo.yaml: architectures.bi-encoder.train.epochs: 'two' is not of type 'number'"


def test_missing_required_key() -> None:
    cfg = demo()
    del cfg["seeds"]
    assert "'seeds' is a required property" in check(cfg)


def test_dataset_needs_exactly_one_source() -> None:
    cfg = demo()
    cfg["datasets"]["demo-cooking"]["irds"] = {"train": "x", "test": "y"}
    assert "datasets.demo-cooking: give exactly one of 'path'" in check(cfg)


def test_cross_references() -> None:
    cfg = demo()
    cfg["corpora"]["zero-shot-smollm2"]["generator"] = "gpt-5"
    assert "corpora.zero-shot-smollm2.generator: 'gpt-5' is not defined under generators" in check(cfg)
    cfg = demo()
    cfg["evaluation"]["out_of_domain"][0]["split"] = "dev"
    assert "evaluation.out_of_domain.0.split: dataset 'demo-astronomy' has no split 'dev'" in check(cfg)
    cfg = demo()
    cfg["corpora"]["zero-shot-smollm2"]["template"] = "config/prompts/nope.txt"
    assert "template: file config/prompts/nope.txt does not exist" in check(cfg)
    cfg = demo()
    cfg["training"]["dataset"] = "msmarco"
    assert "training.dataset: 'msmarco' is not defined under datasets" in check(cfg)
    cfg = demo()
    cfg["training"]["held_out"] = ["demo-cooking", "msmarco"]
    assert "training.held_out.1: 'msmarco' is not defined under datasets" in check(cfg)
    cfg = demo()
    cfg["architectures"]["bi-encoder"]["trained_on"] = ["demo-cooking", "nq"]
    assert "architectures.bi-encoder.trained_on.1: 'nq' is not defined under datasets" in check(cfg)
    cfg = demo()
    cfg["significance"] = {"equivalence_margin": 0}
    assert "significance.equivalence_margin" in check(cfg)


def test_held_out_collections_default_to_the_training_dataset() -> None:
    from synthrank.grid import held_out_collections

    cfg = demo()
    cfg["training"].pop("held_out", None)
    assert [c["dataset"] for c in held_out_collections(cfg)] == ["demo-cooking"]
    cfg["training"]["held_out"] = ["demo-cooking", "demo-astronomy"]
    assert [c["dataset"] for c in held_out_collections(cfg)] == ["demo-cooking", "demo-astronomy"]
    cfg["training"]["held_out"] = []
    assert held_out_collections(cfg) == []


def test_api_key_is_named_not_given() -> None:
    cfg = demo()
    cfg["generators"]["smollm2"]["api_key_env"] = "sk-abc123"
    assert "generators.smollm2.api_key_env" in check(cfg)


def test_bad_yaml_file(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("datasets: [\n")
    with pytest.raises(SynthrankError, match=r"c\.yaml: not valid YAML"):
        config.load(path)


def test_a_rerank_must_reach_the_tables_measure() -> None:
    cfg = demo()
    cfg["architectures"]["cross-encoder"]["depth"] = 5  # the demo's collections are scored by ndcg@10
    assert check(cfg) == (
        "demo.yaml: architectures.cross-encoder.depth: 5 is shallower than evaluation.in_domain.0.metric "
        "'ndcg@10': a rerank of the top 5 cannot be scored there (raise the depth or pick a measure with a "
        "cutoff within it)"
    )
    cfg["evaluation"]["in_domain"][0]["metric"] = "ndcg@5"
    cfg["evaluation"]["out_of_domain"][0]["metric"] = "mrr"  # no cutoff: the whole ranking
    assert "evaluation.out_of_domain.0.metric 'mrr'" in check(cfg)


def test_the_random_floor_is_a_cross_encoder_row() -> None:
    cfg = demo()
    cfg["architectures"]["bi-encoder"]["random_baseline"] = True
    assert "architectures.bi-encoder.random_baseline: a random order of BM25's candidates" in check(cfg)


def test_hard_negative_sources_and_their_errors() -> None:
    cfg = demo()
    valid = config.validate(deepcopy(cfg), "demo.yaml")
    assert valid["training"]["hard_negatives"]["source"] == "human"  # the thesis default
    cfg["training"]["hard_negatives"]["source"] = "labels"
    assert check(cfg) == (
        "demo.yaml: training.hard_negatives.source: 'labels' is not one of ['human', 'corpus', 'both']"
    )
    cfg = demo()
    cfg["corpora"]["human"]["negatives"] = {"source": "mined"}
    assert check(cfg).startswith("demo.yaml: corpora.human.negatives.source: 'mined' is not one of")
    cfg["corpora"]["human"]["negatives"] = {"sorce": "corpus"}
    assert check(cfg).startswith("demo.yaml: corpora.human.negatives.sorce: unknown key")
    cfg["corpora"]["human"]["negatives"] = {"count": 50}  # the demo mines BM25's top 20
    assert check(cfg) == (
        "demo.yaml: corpora.human.negatives.count: 50 negatives cannot be sampled from BM25's top 20 (depth)"
    )
    cfg = demo()
    cfg["training"]["hard_negatives"]["count"] = 21
    assert check(cfg).startswith("demo.yaml: training.hard_negatives.count: 21 negatives cannot be sampled")


def test_a_copy_of_a_corpus_must_train_differently() -> None:
    cfg = demo()
    cfg["corpora"]["copy"] = {"paradigm": "mixture", "components": ["human"]}
    assert check(cfg) == (
        "demo.yaml: corpora.copy: a mixture of the one whole corpus 'human' is a copy of it and would train the "
        "same models; give it its own 'negatives' (e.g. {source: corpus}) or remove it"
    )
    cfg["corpora"]["copy"]["components"] = [{"corpus": "human"}]
    assert "corpora.copy: a mixture of the one whole corpus 'human'" in check(cfg)
    cfg["corpora"]["copy"]["negatives"] = {"source": "corpus"}
    valid = config.validate(deepcopy(cfg), "demo.yaml")
    assert valid["corpora"]["copy"]["negatives"] == {"source": "corpus"}
    cfg["corpora"]["copy"]["components"] = [{"corpus": "human", "queries": 10}]  # a slice, not a copy
    del cfg["corpora"]["copy"]["negatives"]
    config.validate(deepcopy(cfg), "demo.yaml")


def test_a_loss_is_chosen_for_cross_encoders_only() -> None:
    cfg = demo()
    cfg["architectures"]["cross-encoder"]["train"].pop("in_batch_negatives")  # the demo's mnrl setting
    cfg["architectures"]["cross-encoder"]["train"]["loss"] = "lambda"
    config.validate(deepcopy(cfg), "demo.yaml")
    cfg["architectures"]["cross-encoder"]["train"]["loss"] = "hinge"
    assert "architectures.cross-encoder.train.loss: 'hinge' is not one of" in check(cfg)
    cfg = demo()
    cfg["architectures"]["bi-encoder"]["train"]["loss"] = "bce"
    assert "architectures.bi-encoder.train.loss: a bi-encoder always trains with" in check(cfg)


def test_in_batch_negatives_belong_to_the_mnrl_loss() -> None:
    cfg = demo()
    ce = cfg["architectures"]["cross-encoder"]["train"]
    assert (ce["loss"], ce["in_batch_negatives"]) == ("mnrl", 2)  # the demo's recipe
    valid = config.validate(deepcopy(cfg), "demo.yaml")
    assert valid["architectures"]["cross-encoder"]["train"]["in_batch_negatives"] == 2
    ce["in_batch_negatives"] = 0
    assert "architectures.cross-encoder.train.in_batch_negatives: 0 is less than the minimum of 1" in check(cfg)
    ce.update(loss="bce", in_batch_negatives=2)
    assert check(cfg).endswith(
        "architectures.cross-encoder.train.in_batch_negatives: only the mnrl loss samples in-batch negatives "
        "(train.loss is bce)"
    )
    cfg = demo()
    cfg["architectures"]["bi-encoder"]["train"]["in_batch_negatives"] = 2
    assert "architectures.bi-encoder.train.in_batch_negatives: a bi-encoder always trains with" in check(cfg)


def test_analysis_encoder_must_be_a_bi_encoder() -> None:
    cfg = demo()
    assert config.validate(deepcopy(cfg))["analysis"] == {
        "encoder": None,
        "sample": 1000,
        "seed": 0,
        "examples": 3,
        "novelty_ngram": 3,
        "near_duplicate_shingle": 5,
        "near_duplicate_threshold": 0.8,
    }
    cfg["analysis"] = {"encoder": "cross-encoder"}
    assert check(cfg) == "demo.yaml: analysis.encoder: 'cross-encoder' is not a bi-encoder under architectures"
    cfg = demo()
    del cfg["architectures"]["bi-encoder"]
    assert check(cfg).startswith("demo.yaml: analysis.encoder: no bi-encoder architecture to embed and judge")


def test_training_length_is_epochs_or_steps() -> None:
    cfg = demo()
    be = cfg["architectures"]["bi-encoder"]["train"]
    assert be["steps"] == 8 and "epochs" not in be  # the demo's budget
    be["epochs"] = 2
    assert check(cfg).endswith("architectures.bi-encoder.train: give epochs or steps (optimiser steps), not both")
    del be["epochs"], be["steps"]
    assert check(cfg).endswith("architectures.bi-encoder.train: give epochs or steps (optimiser steps), not neither")
    be["steps"] = 0
    assert "architectures.bi-encoder.train.steps: 0 is less than the minimum of 1" in check(cfg)
    be["steps"] = 1.5
    assert "architectures.bi-encoder.train.steps: 1.5 is not of type 'integer'" in check(cfg)


def test_pos_weight_belongs_to_bce_and_scale_to_mnrl() -> None:
    cfg = demo()
    ce, be = (cfg["architectures"][a]["train"] for a in ("cross-encoder", "bi-encoder"))
    ce["scale"], be["scale"] = 20, 100  # the mnrl losses' temperature
    config.validate(deepcopy(cfg), "demo.yaml")
    ce["pos_weight"] = 7
    assert check(cfg).endswith(
        "architectures.cross-encoder.train.pos_weight: only binary cross-entropy weighs its positives "
        "(train.loss is mnrl)"
    )
    ce.pop("in_batch_negatives")
    ce["loss"] = "bce"
    assert check(cfg).endswith(
        "architectures.cross-encoder.train.scale: only the mnrl loss has a similarity scale (train.loss is bce)"
    )
    del ce["scale"]
    config.validate(deepcopy(cfg), "demo.yaml")  # bce with pos_weight: the thesis' recipe
    be["pos_weight"] = 7
    assert "train.pos_weight: only binary cross-entropy weighs its positives (train.loss is mnrl, a bi-encoder)" in (
        check(cfg)
    )


VLLM_SAMPLING = {
    "temperature": 0.6,
    "top_p": 0.95,
    "max_tokens": 200,
    "seed": 7,
    "top_k": 20,
    "min_p": 0.05,
    "repetition_penalty": 1.05,
    "presence_penalty": 0.5,
    "frequency_penalty": 0.1,
    "stop": ["\n\n"],
}


def test_every_sampling_key_the_vllm_transport_passes_is_accepted() -> None:
    from synthrank.llm.vllm_offline import SAMPLING_KEYS

    assert set(VLLM_SAMPLING) == SAMPLING_KEYS
    cfg = demo()
    cfg["generators"]["qwen3"] = {
        "backend": "vllm",
        "model": "Qwen/Qwen3-8B",
        "sampling": VLLM_SAMPLING,
        "chat_template_kwargs": {"enable_thinking": False},
        "options": {"tensor_parallel_size": 2},
    }
    # the same through `vllm serve`: backend openai with a base_url
    cfg["generators"]["qwen3-server"] = {**cfg["generators"]["qwen3"], "backend": "openai", "base_url": "http://h/v1"}
    del cfg["generators"]["qwen3-server"]["options"]
    validated = config.validate(deepcopy(cfg), "demo.yaml")
    assert validated["generators"]["qwen3"]["sampling"] == VLLM_SAMPLING


@pytest.mark.parametrize(
    ("generator", "message"),
    [
        (
            {"backend": "openai", "api_key_env": "OPENAI_API_KEY", "sampling": {"top_k": 20}},
            "generators.g.sampling.top_k: the OpenAI API has none (a server by base_url, e.g. vllm serve, takes it)",
        ),
        (
            {"backend": "gemini", "api_key_env": "GEMINI_API_KEY", "sampling": {"stop": "END"}},
            "generators.g.sampling.stop: Gemini calls it stop_sequences: options.stop_sequences",
        ),
        (
            {"backend": "gemini", "api_key_env": "GEMINI_API_KEY", "chat_template_kwargs": {"enable_thinking": False}},
            "generators.g.chat_template_kwargs: only a model's own chat template takes arguments",
        ),
        (
            {"backend": "vllm", "options": {"tensor_parallel_size": 0}},
            "generators.g.options.tensor_parallel_size: 0 is not a GPU count (a whole number >= 1)",
        ),
        (
            {"backend": "vllm", "options": {"pipeline_parallel_size": "2"}},
            "generators.g.options.pipeline_parallel_size: '2' is not a GPU count (a whole number >= 1)",
        ),
        ({"backend": "vllm", "sampling": {"top_k": -2}}, "generators.g.sampling.top_k: -2 is less than the minimum"),
    ],
)
def test_a_setting_the_backend_would_not_honour_is_named(generator: dict, message: str) -> None:
    cfg = demo()
    cfg["generators"]["g"] = {"model": "m", **generator}
    assert message in check(cfg)


def test_a_vllm_generation_job_holds_its_tensor_x_pipeline_parallel_gpus() -> None:
    from synthrank.gpus import generation_gpus

    assert generation_gpus("vllm", {}) == 1
    assert generation_gpus("vllm", {"tensor_parallel_size": 4}) == 4
    assert generation_gpus("vllm", {"tensor_parallel_size": 2, "pipeline_parallel_size": 2}) == 4
    assert generation_gpus("openai", {"tensor_parallel_size": 4}) == 0
