"""GPU throughput of the workflow's model steps, for BENCHMARKS.md ("GPU throughput").

Runs synthrank's own functions (the ones the rules' scripts call) on synthetic data with models
of the thesis shapes, randomly initialised (throughput does not depend on the weights, and a GPU
machine here cannot download the real checkpoints):

- bi-encoder: E5-base-v2's shape (BERT-base: 12 layers, 768 hidden), ``train.train_bi_encoder``
  (MultipleNegativesRankingLoss, 7 hard negatives, batch 64, max_length 256) and
  ``dense.encode_corpus_shard`` (batch 256, max_length 512, in fp32, bf16 and fp16: the
  ``precision`` of ``architectures.<a>``);
- cross-encoder: MiniLM-L12-H384's shape, ``train.train_cross_encoder`` (batch 64 pairs,
  max_length 512) and ``CrossEncoder.predict`` as ``retrieve.rerank`` calls it (batch 256; the
  model loaded in each precision as ``retrieve.rerank_collections`` loads it).

Passages are 70 words drawn from the tokenizer's vocabulary (about MS MARCO's length), queries 8.
Usage (on the GPU machine; ``--tokenizer`` a BERT uncased tokenizer folder)::

    python bench/gpu.py --tokenizer TOKENIZER_DIR --out OUT_DIR [--rows 3200 --passages 100000]
"""

from __future__ import annotations

import argparse
import json
import random
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tokenizer", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--rows", type=int, default=3200, help="training queries (each: positive + 7 negatives)")
    parser.add_argument("--passages", type=int, default=100_000, help="passages to encode")
    parser.add_argument("--pairs", type=int, default=50_000, help="query-passage pairs to rerank")
    args = parser.parse_args()

    import torch

    from synthrank.dense import encode_corpus_shard
    from synthrank.models import load_cross_encoder
    from synthrank.train import train_bi_encoder, train_cross_encoder

    try:  # the GPU image here: Python 3.12 + pyarrow 26 + dill 0.4.1 cannot pickle pyarrow's
        # MonthDayNano, which datasets' fingerprint of Dataset.from_dict does; a random fingerprint
        # (what datasets itself falls back to for unhashable transforms) changes no computation
        import uuid

        import datasets.arrow_dataset

        datasets.arrow_dataset.generate_fingerprint = lambda dataset: uuid.uuid4().hex
    except ImportError:
        pass
    rng = random.Random(0)
    vocab = words(args.tokenizer)
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "CPU (a smoke test, not a benchmark)"
    results: dict[str, Any] = {"device": gpu, "torch": torch.__version__}
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        bi, ce = make_models(args.tokenizer, root)
        trainset = root / "trainset.jsonl"
        with trainset.open("w") as handle:
            for i in range(args.rows):
                row = {"query_id": str(i), "query": text(rng, vocab, 8), "positive": text(rng, vocab, 70)}
                row["negatives"] = [text(rng, vocab, 70) for _ in range(7)]
                handle.write(json.dumps(row) + "\n")
        corpus = root / "corpus.jsonl"
        with corpus.open("w") as handle:
            for i in range(args.passages):
                handle.write(json.dumps({"_id": str(i), "title": "", "text": text(rng, vocab, 70)}) + "\n")

        def record(name: str, unit: str, n: int, seconds: float) -> None:
            results[name] = {unit: n, "seconds": seconds, "per_s": n / seconds}
            print(json.dumps(results), flush=True)

        for precision in ("fp32", "bf16") if torch.cuda.is_available() else ("fp32",):
            hyper = {"epochs": 1, "batch_size": 64, "learning_rate": 2e-5, "max_length": 256, "precision": precision}
            out = str(root / f"be-{precision}")
            seconds = timed(lambda h=hyper, o=out: train_bi_encoder(str(trainset), bi, o, 1, h))
            record(f"bi-encoder training {precision}", "queries", args.rows, seconds)
            hyper = hyper | {"max_length": 512}
            out = str(root / f"ce-{precision}")
            seconds = timed(lambda h=hyper, o=out: train_cross_encoder(str(trainset), ce, o, 1, h))
            record(f"cross-encoder training {precision}", "pairs", args.rows * 8, seconds)

        # inference in each precision the config allows (architectures.<a>.precision), the thesis'
        # inference length (512; the passages are ~100 tokens, so it does not cut them)
        batch = [(text(rng, vocab, 8), text(rng, vocab, 70)) for _ in range(args.pairs)]
        for precision in ("fp32", "bf16", "fp16") if torch.cuda.is_available() else ("fp32",):
            shard = str(root / f"shard-{precision}.npy")
            seconds = timed(
                lambda p=precision, s=shard: encode_corpus_shard(
                    bi, str(corpus), s, 0, 1, "passage: ", 512, 256, precision=p
                )
            )
            record(f"encoding {precision} (encode_corpus_shard)", "passages", args.passages, seconds)
            model = load_cross_encoder(ce, max_length=512, precision=precision)
            model.predict(batch[:512], batch_size=256)  # warm-up
            seconds = timed(lambda m=model: m.predict(batch, batch_size=256, show_progress_bar=False))
            record(f"rerank {precision} (CrossEncoder.predict, as retrieve.rerank)", "pairs", args.pairs, seconds)

    (args.out / "gpu.json").write_text(json.dumps(results, indent=1))
    lines = [
        f"device: {results.pop('device')}, torch {results.pop('torch')}",
        "",
        "| step | items | s | items/s |",
        "|---|---:|---:|---:|",
    ]
    for name, r in results.items():
        unit = next(k for k in r if k not in ("seconds", "per_s"))
        lines.append(f"| {name} | {r[unit]:,} {unit} | {r['seconds']:.1f} | {r['per_s']:,.0f} |")
    (args.out / "gpu.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
