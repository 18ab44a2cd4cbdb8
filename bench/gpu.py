"""GPU throughput of the workflow's model steps and of vLLM generation, and the grid's GPU-hours
from those rates, for BENCHMARKS.md ("GPU throughput"). One GPU, one command.

Runs synthrank's own functions (the ones the rules' scripts call) on synthetic data with models
of the thesis shapes, randomly initialised (throughput does not depend on the weights, and a GPU
machine here cannot download the real checkpoints):

- **training, the thesis recipe**: each architecture of ``--config`` (default
  config/config.yaml) with its ``train`` settings (batch size, learning rate, loss, max_length and
  precision; one pass over the synthetic rows) and the config's hard negatives per query, through
  ``train.train_bi_encoder`` (E5-base-v2's shape: BERT-base, 12 layers, 768 hidden) and ``train.train_cross_encoder``
  (MiniLM-L12-H384's shape): steps/s and examples/s;
- **encoding** through ``dense.encode_corpus_shard`` (E5-base's shape, the architecture's batch
  size and max_length) and **reranking** through ``CrossEncoder.predict`` as ``retrieve.rerank``
  calls it, in fp32, bf16 and fp16 (the ``precision`` of ``architectures.<a>``): passages/s, pairs/s;
- **vLLM generation** (``--llm``: a small open model's local folder, e.g. Qwen2.5-0.5B-Instruct):
  synthrank's ``VllmOffline`` transport, what a ``generated_corpus`` job of a vllm generator
  runs, ``--prompts`` requests of at most ``--max-tokens`` each, in a child process of
  ``--vllm-python`` (the vLLM environment's Python: vLLM pins its own torch): output tokens/s,
  model loading apart;
- **the grid's GPU-hours**: ``cost_estimate.gpu_hours`` on the config's grid
  (``grid.gpu_workload``) with the rates measured here in place of ``GPU_THROUGHPUT``'s, and the
  generation of its self-hosted-LLM corpora (backend vllm, or openai with a base_url) at the
  measured tokens/s and ``max_tokens`` per passage (a small model's rate: a floor for a larger one).

Passages are 70 words drawn from the tokenizer's vocabulary (about MS MARCO's length), queries 8.
Usage (on the GPU machine; ``--tokenizer`` a BERT uncased tokenizer folder)::

    python bench/gpu.py --tokenizer TOKENIZER_DIR --out OUT_DIR [--rows 3200 --passages 100000 --pairs 50000]
        [--llm MODEL_DIR --vllm-python VLLM_ENV/bin/python --prompts 512 --max-tokens 256]

Without a CUDA GPU it runs everything in fp32 as a smoke test (the device line says so).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def words(tokenizer_dir: Path) -> list[str]:
    vocab = (tokenizer_dir / "vocab.txt").read_text().split("\n")
    return [w for w in vocab if w.isalpha() and w.isascii() and len(w) > 2]


def text(rng: random.Random, vocab: list[str], n: int) -> str:
    return " ".join(rng.choices(vocab, k=n))


def make_models(tokenizer_dir: Path, root: Path) -> tuple[str, str]:
    """A BERT-base bi-encoder (mean pooling, normalised) and a MiniLM-L12-H384 cross-encoder."""
    import torch
    from sentence_transformers import SentenceTransformer, models
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification, BertModel

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    base = root / "bert-base"
    BertModel(BertConfig()).save_pretrained(base)
    tokenizer.save_pretrained(base)
    word = models.Transformer(str(base), max_seq_length=256)
    bi = root / "bi-encoder"
    SentenceTransformer(modules=[word, models.Pooling(768, "mean"), models.Normalize()]).save(str(bi))
    ce = root / "cross-encoder"
    config = BertConfig(
        hidden_size=384, num_hidden_layers=12, num_attention_heads=12, intermediate_size=1536, num_labels=1
    )
    BertForSequenceClassification(config).save_pretrained(ce)
    tokenizer.save_pretrained(ce)
    return str(bi), str(ce)


def timed(fn: Any) -> float:
    import torch

    sync = torch.cuda.synchronize if torch.cuda.is_available() else (lambda: None)
    sync()
    began = time.perf_counter()
    fn()
    sync()
    return time.perf_counter() - began


def measure_vllm(model: str, prompts: int, max_tokens: int) -> dict[str, Any]:
    """Output tokens/s of the vllm backend's transport on ``prompts`` requests (in this process)."""
    import torch

    from synthrank.llm.cache import RequestCache
    from synthrank.llm.fetch import Fetcher
    from synthrank.llm.vllm_offline import VllmOffline

    options: dict[str, Any] = {"max_model_len": 2048, "seed": 0, "chunk_size": prompts}
    if not torch.cuda.is_available():
        options["enforce_eager"] = True  # no torch.compile on a CPU smoke test
    transport = VllmOffline(model, **options)
    topics = ["a river delta", "tax law", "protein folding", "jazz", "volcanoes", "databases", "sleep", "tides"]
    requests = [
        {
            "backend": "vllm",
            "model": model,
            "messages": [{"role": "user", "content": f"Write a passage that answers: what is {topics[i % 8]}? ({i})"}],
            "seed": i,
            "temperature": 0.7,
            "top_p": 0.9,
            "max_tokens": max_tokens,
        }
        for i in range(prompts)
    ]
    load = timed(transport._engine)
    with tempfile.TemporaryDirectory() as tmp:
        fetcher = Fetcher(transport, RequestCache(Path(tmp) / "cache.sqlite"), name="bench")
        began = time.perf_counter()
        answers = fetcher.fetch(requests)
        seconds = time.perf_counter() - began
    tokens = sum(a.response["usage"]["completion_tokens"] for a in answers)
    return {"tokens": tokens, "seconds": seconds, "per_s": tokens / seconds, "load_seconds": load, "requests": prompts}


def self_hosted_generation(cfg: dict[str, Any], workload: dict[str, Any], training_queries: int) -> tuple[int, int]:
    """(passages, output tokens at most) of the config's corpora generated by a self-hosted LLM
    (backend vllm, or an OpenAI-compatible server by base_url)."""
    from synthrank.cost_estimate import training_rows

    passages = tokens = 0
    for name, spec in cfg["corpora"].items():
        generator = cfg["generators"].get(spec.get("generator", ""))
        if generator and (generator["backend"] == "vllm" or "base_url" in generator):
            n = training_rows(workload, name, training_queries)
            passages += n
            tokens += n * int(generator["sampling"]["max_tokens"])
    return passages, tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tokenizer", type=Path, help="a BERT uncased tokenizer folder (vocab.txt)")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--config", type=Path, default=Path("config/config.yaml"), help="the grid and its recipe")
    parser.add_argument("--rows", type=int, default=3200, help="training queries (each: positive + hard negatives)")
    parser.add_argument("--passages", type=int, default=100_000, help="passages to encode")
    parser.add_argument("--pairs", type=int, default=50_000, help="query-passage pairs to rerank")
    parser.add_argument("--llm", help="a small open model's local folder, for vLLM generation")
    parser.add_argument("--vllm-python", default=sys.executable, help="the Python of an environment with vLLM")
    parser.add_argument("--prompts", type=int, default=512, help="generation requests")
    parser.add_argument("--max-tokens", type=int, default=256, help="output tokens per request at most")
    parser.add_argument("--vllm-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.vllm_child:  # the generation measurement, in the vLLM environment
        print(json.dumps(measure_vllm(args.llm, args.prompts, args.max_tokens)), flush=True)
        return
    if args.tokenizer is None or args.out is None:
        parser.error("--tokenizer and --out are required")

    import torch

    from synthrank.config import load
    from synthrank.cost_estimate import GPU_THROUGHPUT, MEASURED_NEGATIVES, collection_size, gpu_hours
    from synthrank.dense import encode_corpus_shard
    from synthrank.grid import gpu_workload
    from synthrank.models import load_cross_encoder
    from synthrank.train import cross_encoder_data, train_bi_encoder, train_cross_encoder

    try:  # the GPU image here: Python 3.12 + pyarrow 26 + dill 0.4.1 cannot pickle pyarrow's
        # MonthDayNano, which datasets' fingerprint of Dataset.from_dict does; a random fingerprint
        # (what datasets itself falls back to for unhashable transforms) changes no computation
        import uuid

        import datasets.arrow_dataset

        datasets.arrow_dataset.generate_fingerprint = lambda dataset: uuid.uuid4().hex
    except ImportError:
        pass
    cfg = load(args.config)
    negatives = int(cfg["training"]["hard_negatives"]["count"])
    cuda = torch.cuda.is_available()
    rng = random.Random(0)
    vocab = words(args.tokenizer)
    gpu = torch.cuda.get_device_name(0) if cuda else "CPU (a smoke test, not a benchmark)"
    results: dict[str, Any] = {}
    rates = dict(GPU_THROUGHPUT)
    basis = f"measured by bench/gpu.py, {gpu}"
    args.out.mkdir(parents=True, exist_ok=True)

    def record(name: str, unit: str, n: int, seconds: float, **extra: float) -> float:
        results[name] = {unit: n, "seconds": seconds, "per_s": n / seconds, **extra}
        print(json.dumps({name: results[name]}), flush=True)
        return n / seconds

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        bi, ce = make_models(args.tokenizer, root)
        rows = []
        for i in range(args.rows):
            row = {"query_id": str(i), "query": text(rng, vocab, 8), "positive": text(rng, vocab, 70)}
            row["negatives"] = [text(rng, vocab, 70) for _ in range(negatives)]
            rows.append(row)
        trainset = root / "trainset.jsonl"
        trainset.write_text("".join(json.dumps(row) + "\n" for row in rows))
        corpus = root / "corpus.jsonl"
        with corpus.open("w") as handle:
            for i in range(args.passages):
                handle.write(json.dumps({"_id": str(i), "title": "", "text": text(rng, vocab, 70)}) + "\n")

        # training: the recipe of each architecture, as the rules run it (one seed)
        for arch, spec in cfg["architectures"].items():
            hyper = dict(spec["train"])
            if not cuda:
                hyper["precision"] = "fp32"
            precision, kind = hyper.get("precision", "fp32"), spec["kind"]
            out = str(root / f"trained-{arch}")
            if kind == "bi-encoder":
                examples, unit = len(rows), "queries"
                # GPU_THROUGHPUT's bi-encoder rate is queries with MEASURED_NEGATIVES negatives each
                per_query = (1 + negatives) / (1 + MEASURED_NEGATIVES)
            else:
                examples = len(next(iter(cross_encoder_data(rows, str(hyper.get("loss", "bce"))).values())))
                unit, per_query = ("pairs" if hyper.get("loss", "bce") == "bce" else "queries"), 1.0
            # one pass over the synthetic rows, whatever length the config trains (train.steps or
            # epochs): the rate per step is what the grid's GPU-hours need
            steps = math.ceil(examples / int(hyper["batch_size"]))
            hyper.pop("epochs", None)
            hyper["steps"] = steps
            train = train_bi_encoder if kind == "bi-encoder" else train_cross_encoder
            model = bi if kind == "bi-encoder" else ce
            seconds = timed(lambda h=hyper, o=out, t=train, m=model: t(str(trainset), m, o, 1, h))
            rate = record(
                f"training {arch} ({precision}, batch {hyper['batch_size']}, {negatives} negatives)",
                unit,
                examples,
                seconds,
                steps=steps,
                steps_per_s=steps / seconds,
            )
            rates[("train", kind, precision)] = (rate * per_query, basis)

        # inference in each precision the config allows (architectures.<a>.precision)
        precisions = ("fp32", "bf16", "fp16") if cuda else ("fp32",)
        for arch, spec in cfg["architectures"].items():
            kind, mark = spec["kind"], spec.get("precision", "fp32")
            for precision in precisions:
                tag = f"{precision}{' (the config)' if precision == mark else ''}"
                if kind == "bi-encoder":
                    shard = str(root / f"shard-{arch}-{precision}.npy")
                    seconds = timed(
                        lambda p=precision, s=shard, a=spec: encode_corpus_shard(
                            bi, str(corpus), s, 0, 1, a.get("passage_prefix", ""), a["max_length"], a["batch_size"], p
                        )
                    )
                    rate = record(f"encoding {arch} {tag} (encode_corpus_shard)", "passages", args.passages, seconds)
                    rates[("encode", kind, precision)] = (rate, basis)
                else:
                    batch = [(text(rng, vocab, 8), text(rng, vocab, 70)) for _ in range(args.pairs)]
                    model = load_cross_encoder(ce, max_length=spec["max_length"], precision=precision)
                    model.predict(batch[:512], batch_size=spec["batch_size"])  # warm-up
                    seconds = timed(
                        lambda m=model, b=batch, a=spec: m.predict(
                            b, batch_size=a["batch_size"], show_progress_bar=False
                        )
                    )
                    rate = record(f"reranking {arch} {tag} (as retrieve.rerank)", "pairs", args.pairs, seconds)
                    rates[("rerank", kind, precision)] = (rate, basis)
                    del model

    generation = None
    if args.llm:
        import subprocess

        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
        child = [args.vllm_python, __file__, "--vllm-child", "--llm", args.llm]
        child += ["--prompts", str(args.prompts), "--max-tokens", str(args.max_tokens)]
        done = subprocess.run(child, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            sys.exit(f"vLLM generation failed:\n{done.stderr[-3000:]}")
        generation = json.loads(done.stdout.strip().splitlines()[-1])
        name = f"vLLM generation, {Path(args.llm).name} (VllmOffline, {args.prompts} requests)"
        record(name, "tokens", generation["tokens"], generation["seconds"], load_seconds=generation["load_seconds"])

    # the grid's GPU-hours at these rates
    train = cfg["training"]
    sizes = collection_size(cfg["datasets"][train["dataset"]], train["split"])
    lines = [f"device: {gpu}, torch {torch.__version__}", "", "| step | items | s | items/s | steps/s |"]
    lines.append("|---|---:|---:|---:|---:|")
    for name, r in results.items():
        unit = next(k for k in r if k not in ("seconds", "per_s", "steps", "steps_per_s", "load_seconds"))
        steps = f"{r['steps_per_s']:.2f} ({r['steps']:,} step{'s' * (r['steps'] != 1)})" if "steps" in r else ""
        lines.append(f"| {name} | {r[unit]:,} {unit} | {r['seconds']:.1f} | {r['per_s']:,.1f} | {steps} |")
    if sizes is None:
        lines += ["", f"GPU-hours: the size of {train['dataset']}/{train['split']} is unknown here"]
    else:
        workload = gpu_workload(cfg)
        hours = gpu_hours(workload, sizes[1], rates)
        lines += [
            "",
            f"GPU-hours of {args.config} (one GPU per job):",
            "",
            "| stage | architecture | models | work | per GPU-second | GPU-hours |",
        ]
        lines.append("|---|---|---:|---:|---|---:|")
        for r in hours["rows"]:
            lines.append(
                f"| {r['stage']} | {r['arch']} | {r['models']:,} | {r['items']:,} {r['unit']} | "
                f"{r['per_second']:,.0f} ({r['basis']}) | {r['gpu_hours']:,.2f} |"
            )
        total = sum(r["gpu_hours"] for r in hours["rows"])
        passages, tokens = self_hosted_generation(cfg, workload, sizes[1])
        if generation is not None and passages:
            gen_hours = tokens / generation["per_s"] / 3600
            total += gen_hours
            lines.append(
                f"| generation | self-hosted LLM corpora | | {passages:,} passages, <= {tokens:,} tokens | "
                f"{generation['per_s']:,.0f} tokens (the small model here) | {gen_hours:,.2f} |"
            )
        lines.append(f"| **total** | | | | | {total:,.2f} |")
        if passages and generation is None:
            lines.append(f"Not counted: generating {passages:,} passages with a self-hosted LLM (no --llm given).")
        if hours["unknown_sizes"]:
            lines.append(f"Left out, sizes unknown: {', '.join(hours['unknown_sizes'])}")
    (args.out / "gpu.json").write_text(json.dumps({"device": gpu, "torch": torch.__version__, **results}, indent=1))
    (args.out / "gpu.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
