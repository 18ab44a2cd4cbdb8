"""Every shell command of README.md, and where each is accounted for (tests/test_readme.py).

A command is what a user types at a shell: the README's fenced blocks whose info string is
``bash``, ``sh``, ``shell`` or ``console`` (``text``, ``yaml`` and bare blocks are output, config or
layout, never commands). In such a block:

- a line that ends with ``\\`` continues on the next: the backslash and the next line's leading
  blanks become one space;
- a ``#`` at the start of a line or after a blank, outside quotes, starts a comment, dropped;
- a leading ``$ `` prompt is dropped (in a ``console`` block only the lines with it are commands;
  the others are the output shown);
- what is left, stripped of surrounding blanks, is one command, unless it is empty.

Each command is in exactly one of two places: ``RUN`` (command -> the test that runs it word for
word, through ``run_readme`` with ``shell=True``; the test finds its commands here with
``commands_run_by(request.node.nodeid)``) or ``DECLARED`` (command -> why no test can run it
here). ``tests/test_readme.py`` fails on a README command in neither, on an entry the README no
longer has, and on a ``RUN`` entry whose test does not exist or does not read its commands here.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHELL_BLOCKS = ("bash", "sh", "shell", "console")
_FENCE = re.compile(r"^```\s*([\w-]*)\s*$")


def strip_comment(line: str) -> str:
    """``line`` without its shell comment: a ``#`` at the start or after a blank, outside quotes."""
    quote = ""
    for i, char in enumerate(line):
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i]
    return line


def extract(markdown: str) -> list[str]:
    """The shell commands of ``markdown``, in order (the rules: this module's docstring)."""
    commands: list[str] = []
    block: str | None = None  # the info string of the open fence, None outside a fence
    pending = ""
    for line in markdown.splitlines():
        fence = _FENCE.match(line)
        if fence and block is None:
            block = fence.group(1)
            continue
        if fence and not fence.group(1):
            block = None
            pending = ""
            continue
        if block not in SHELL_BLOCKS:
            continue
        if line.endswith("\\"):
            pending += line[:-1].lstrip() if pending else line[:-1]
            continue
        line = pending + (line.lstrip() if pending else line)
        pending = ""
        if block == "console" and not line.startswith("$ "):
            continue
        command = strip_comment(line.removeprefix("$ ")).strip()
        if command:
            commands.append(command)
    return commands


def readme_commands() -> list[str]:
    return extract((REPO / "README.md").read_text())


DEMO_TEST = "tests/test_demo_workflow.py::test_readme_commands_run_as_written_on_the_finished_demo"
CLUSTER_TEST = "tests/test_readme.py::test_cluster_commands_plan_the_thesis_grid_as_written"
LINK_TEST = "tests/test_readme.py::test_profile_link_command_as_written"

#: command -> the test that runs it word for word (in README order within a test)
RUN: dict[str, str] = {
    # on a finished demo, in a hard-linked copy of it (tests/test_demo_workflow.py)
    "make demo": DEMO_TEST,
    ".venv/bin/snakemake --workflow-profile profiles/demo results/tables/overview.tex": DEMO_TEST,
    ".venv/bin/snakemake --workflow-profile profiles/demo results/metrics/demo-astronomy/test/bm25.json": DEMO_TEST,
    ".venv/bin/snakemake --workflow-profile profiles/demo -n": DEMO_TEST,
    ".venv/bin/snakemake --workflow-profile profiles/demo results/tables/mixtures.tex": DEMO_TEST,
    ".venv/bin/snakemake --workflow-profile profiles/demo figures/gain-over-human.png": DEMO_TEST,
    "make report": DEMO_TEST,
    ".venv/bin/snakemake --workflow-profile profiles/demo results/costs/demo-cooking/estimate.md": DEMO_TEST,
    ".venv/bin/synthrank llm export all-answers.jsonl.gz": DEMO_TEST,
    ".venv/bin/snakemake --workflow-profile profiles/demo release": DEMO_TEST,
    "cat results/release/demo-cooking/manifest.md": DEMO_TEST,
    '.venv/bin/python -c \'import datasets; print(datasets.load_dataset("results/release/demo-cooking/human", '
    'split="train"))\'': DEMO_TEST,
    ".venv/bin/synthrank release verify results/release/demo-cooking/human": DEMO_TEST,
    "make release-results": DEMO_TEST,
    ".venv/bin/synthrank release verify results/release/demo-cooking/results": DEMO_TEST,
    "make reproduce-models BUNDLE=results/release/demo-cooking/results CELLS=bi-encoder/human/seed1": DEMO_TEST,
    # the thesis grid planned through the SLURM profile, with the README's exports (no job runs)
    "export SYNTHRANK_SLURM_ACCOUNT=myproject SYNTHRANK_SLURM_PARTITION=gpu": CLUSTER_TEST,
    "export OPENAI_API_KEY=... GEMINI_API_KEY=...": CLUSTER_TEST,
    ".venv/bin/snakemake --profile profiles/slurm -n all": CLUSTER_TEST,
    "PYTHONPATH=$PWD .venv/bin/python bench/slurm_submissions.py": CLUSTER_TEST,
    'mkdir -p ~/.config/snakemake && ln -sfn "$PWD/profiles/slurm" ~/.config/snakemake/slurm': LINK_TEST,
}

_THESIS_RUN = "needs the thesis grid's finished run (GPUs and API keys, days: level 3)"
_LOCAL_SLURM = (
    "starts a real SLURM cluster: needs root and apt (tests/test_slurm.py, run as root in CI, does the same "
    "through its own fixture)"
)
#: command -> why no test runs it here
DECLARED: dict[str, str] = {
    "make install": "installs the environment the tests run in; CI's .ci/run runs it in a fresh clone",
    ".venv/bin/snakemake --report report.html": _THESIS_RUN,
    "SYNTHRANK_OFFLINE=1 .venv/bin/snakemake --cores 4 results/costs/msmarco-passage/estimate.md": (
        "ingests MS MARCO through ir_datasets first (a download of gigabytes)"
    ),
    ".venv/bin/synthrank llm import results/export/msmarco-passage/llm-requests.jsonl.gz": (
        "needs the thesis grid's export (its run, or a published results bundle)"
    ),
    "SYNTHRANK_OFFLINE=1 .venv/bin/snakemake --cores 8 results/corpora/msmarco-passage/few-shot-sup-gpt.jsonl": (
        "needs the thesis grid's imported export and MS MARCO (a download of gigabytes)"
    ),
    ".venv/bin/snakemake --profile profiles/slurm all": (
        "submits the thesis grid to a SLURM cluster (GPUs, API keys, days); its dry run above runs in a test"
    ),
    "conda env create -f envs/workflow.yaml && conda activate synthrank-workflow": (
        "needs conda and conda-forge, which the CI machine cannot reach"
    ),
    "snakemake --profile profiles/slurm --software-deployment-method conda all": (
        "needs a SLURM cluster with conda and the thesis grid's API keys and GPUs"
    ),
    "SLURM_LOCAL_NODE_CPUS=16 SLURM_LOCAL_NODE_MEM_MB=64000 .ci/local-slurm/start.sh": _LOCAL_SLURM,
    "export SYNTHRANK_SLURM_ACCOUNT=ci SYNTHRANK_SLURM_PARTITION=debug": _LOCAL_SLURM,
    ".venv/bin/snakemake --profile profiles/slurm --configfile config/demo.yaml --jobs 2 "
    "--slurm-init-seconds-before-status-checks 2 results/metrics/demo-astronomy/test/bm25.json "
    "results/runs/demo-astronomy/test/bi-encoder/untuned.trec": _LOCAL_SLURM,
    "sacct -a -X -o JobID,Comment%50,ReqTRES%50,Timelimit,State": _LOCAL_SLURM,
    ".ci/local-slurm/stop.sh": _LOCAL_SLURM,
    "HF_TOKEN=hf_... .venv/bin/synthrank release push results/release/<train_dataset>/<corpus> <user>/<name> "
    "[--private]": "needs a Hugging Face Hub token and publishes a repository",
    ".venv/bin/snakemake --cores 4 release_results": _THESIS_RUN,
    ".venv/bin/snakemake --cores 4 release_checkpoints": _THESIS_RUN,
    "HF_TOKEN=hf_... .venv/bin/synthrank release push results/release/<train_dataset>/results <user>/<name>": (
        "needs a Hugging Face Hub token and publishes a repository"
    ),
}


def commands_run_by(nodeid: str) -> list[str]:
    """The README commands ``RUN`` assigns to the test ``nodeid``, in README order."""
    mine = [command for command in dict.fromkeys(readme_commands()) if RUN.get(command) == nodeid]
    assert mine, f"no README command is registered for {nodeid} in tests/readme_commands.py"
    return mine


def link_venv(workdir: Path) -> None:
    """Give a copy of the repository this checkout's installed ``.venv``, as a folder of links to
    its entries and an install stamp of its own, newer than the copy's pyproject.toml and pins, so
    that ``make`` there neither reinstalls nor touches this checkout's stamp; and the numba cache."""
    venv = workdir / ".venv"
    venv.mkdir()
    for entry in (REPO / ".venv").iterdir():
        if entry.name != ".synthrank-installed":
            (venv / entry.name).symlink_to(entry.resolve())
    (venv / ".synthrank-installed").touch()
    (REPO / ".cache" / "numba").mkdir(parents=True, exist_ok=True)
    (workdir / ".cache").mkdir(exist_ok=True)
    (workdir / ".cache" / "numba").symlink_to(REPO / ".cache" / "numba", target_is_directory=True)


def run_readme(commands: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``commands``, word for word, one after the other in one bash (``set -e``: the first that
    fails stops it; ``set -x`` shows each), in ``cwd``; ``env`` adds to this process's environment."""
    script = "set -ex\n" + "\n".join(commands) + "\n"
    # a datasets cache of its own: the shared one keys a local folder's dataset by the folder's name
    # and may answer with an earlier run's release of the same name
    cache = str(Path(cwd) / ".hf-datasets-cache")
    full_env = {
        **os.environ,
        "HF_DATASETS_OFFLINE": "1",
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_CACHE": cache,
        **(env or {}),
    }
    return subprocess.run(
        ["bash", "-c", script], cwd=cwd, capture_output=True, text=True, timeout=3600, check=False, env=full_env
    )
