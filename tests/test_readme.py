"""README.md: its structure (first screen, contents) and every shell command in it run by a test
word for word or declared with the reason no test can (tests/readme_commands.py)."""

from __future__ import annotations

import importlib
import inspect
import re
import shutil
from pathlib import Path

import pytest

from .conftest import REPO, copy_workflow
from .readme_commands import (
    CLUSTER_TEST,
    DECLARED,
    LINK_TEST,
    RUN,
    commands_run_by,
    extract,
    link_venv,
    readme_commands,
    run_readme,
)

README = REPO / "README.md"


def test_extract_commands_from_shell_blocks() -> None:
    markdown = "\n".join(
        [
            "make x   # not in a block",
            "```bash",
            "make demo   # a comment",
            "# a whole-line comment",
            "",
            "echo 'a # inside quotes' \"and # here\" # but this goes",
            "snakemake --profile p \\",
            "  --jobs 2 \\",
            "  target",
            "$ prompt --stripped",
            "```",
            "```yaml",
            "key: value  # not a command",
            "```",
            "```console",
            "$ synthrank --help",
            "usage: synthrank ...",
            "```",
            "```text",
            "# Level 1",
            "```",
            "```",
            "layout/   not a command",
            "```",
            "```sh",
            "A=1 cmd#notacomment",
            "```",
        ]
    )
    assert extract(markdown) == [
        "make demo",
        "echo 'a # inside quotes' \"and # here\"",
        "snakemake --profile p --jobs 2 target",
        "prompt --stripped",
        "synthrank --help",
        "A=1 cmd#notacomment",
    ]


def test_every_readme_command_is_run_by_a_test_or_declared() -> None:
    commands = set(readme_commands())
    neither = sorted(commands - set(RUN) - set(DECLARED))
    assert not neither, (
        f"README commands no test runs and none declared: {neither}; add each to RUN (with the test that "
        "runs it word for word) or DECLARED (with why none can) in tests/readme_commands.py"
    )
    assert not set(RUN) & set(DECLARED), set(RUN) & set(DECLARED)
    gone = sorted((set(RUN) | set(DECLARED)) - commands)
    assert not gone, f"tests/readme_commands.py lists commands README.md no longer has: {gone}"
    assert all(reason.strip() for reason in DECLARED.values())


def test_each_registered_test_runs_its_commands_from_the_registry() -> None:
    """A RUN entry names a test that exists and takes its commands from the registry by its own node
    id, so that the entry is exactly what that test runs."""
    for nodeid in sorted(set(RUN.values())):
        path, name = nodeid.split("::")
        module = importlib.import_module("tests." + Path(path).stem)
        function = getattr(module, name, None)
        assert callable(function), f"{nodeid}: no such test"
        source = inspect.getsource(function)
        assert "commands_run_by(request.node.nodeid)" in source and "run_readme(" in source, nodeid
        assert commands_run_by(nodeid)


def anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation but '-' dropped, blanks to '-'."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_first_screen_and_contents() -> None:
    """The first 45 lines: the two commands, the demo's table as make demo prints it, one figure
    committed in the repository; a contents list linking every level-2 section."""
    text = README.read_text()
    lines = text.splitlines()
    prose = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S).splitlines()  # headings are outside code
    first = "\n".join(lines[:45])
    assert "make install" in first and "make demo" in first
    assert re.search(r"^\| system +\| demo-cooking/test +\| demo-astronomy/test +\| ID avg", first, re.M)
    figures = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", first)
    assert len(figures) == 1 and (REPO / figures[0]).is_file(), figures
    assert not re.search(r"\b[0-9a-f]{7}\b", first), "commit hashes belong in BENCHMARKS.md"
    sections = [line[3:] for line in prose if line.startswith("## ")]
    contents = text.split("## Contents", 1)[1].split("\n## ", 1)[0]
    links = set(re.findall(r"\]\(#([^)]+)\)", contents))
    headings = {anchor(line.lstrip("#")) for line in prose if line.startswith("#")}
    for section in sections:
        if section != "Contents":
            assert anchor(section) in links, f"the contents do not link section {section!r}"
    assert links <= headings, links - headings
    for reader in ("reviewer", "thesis author", "cluster", "open-LLM"):
        assert reader in contents, reader


def test_profile_link_command_as_written(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """The habitual `--profile slurm` spelling: the README's link, made in a home folder of the test's."""
    done = run_readme(commands_run_by(request.node.nodeid), REPO, env={"HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr[-2000:]
    link = tmp_path / ".config" / "snakemake" / "slurm"
    assert link.is_symlink() and (link / "config.yaml").samefile(REPO / "profiles" / "slurm" / "config.yaml")


@pytest.mark.slow
def test_cluster_commands_plan_the_thesis_grid_as_written(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """The cluster section's exports, dry run and submission count, in a copy of the repository
    (the thesis grid is planned, nothing runs; the exported key is the README's placeholder)."""
    (tmp_path / "clone").mkdir()
    workdir = copy_workflow(tmp_path / "clone")
    shutil.copytree(REPO / "bench", workdir / "bench")
    shutil.copytree(REPO / "synthrank", workdir / "synthrank")
    link_venv(workdir)
    commands = commands_run_by(request.node.nodeid)
    assert commands == [c for c, test in RUN.items() if test == CLUSTER_TEST]
    done = run_readme(commands, workdir)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert "train_cross_encoder" in done.stdout + done.stderr
    assert "submissions" in done.stdout


assert LINK_TEST.endswith(test_profile_link_command_as_written.__name__)
assert CLUSTER_TEST.endswith(test_cluster_commands_plan_the_thesis_grid_as_written.__name__)
