"""The `synthrank` console command and the packaging metadata it comes with."""

import subprocess
import sys
import tomllib

import yaml

import synthrank
from synthrank.cli import main

from .conftest import REPO


def test_usage_version_and_unknown_command(capsys) -> None:
    assert main([]) == 2 and "release" in capsys.readouterr().out
    assert main(["--version"]) == 0 and capsys.readouterr().out.strip() == f"synthrank {synthrank.__version__}"
    assert main(["relase"]) == 2
    assert (
        capsys.readouterr().err.strip()
        == "synthrank: unknown command 'relase' (one of: release, reproduce, llm, resources)"
    )


def test_subcommand_errors_are_one_line(tmp_path) -> None:
    """The installed command, as a user types it."""
    command = REPO / ".venv" / "bin" / "synthrank"
    argv = [str(command)] if command.exists() else [sys.executable, "-m", "synthrank.cli"]
    done = subprocess.run([*argv, "release", "verify", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.startswith("synthrank: ") and len(done.stderr.splitlines()) == 1, done.stderr


def test_one_version() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"] and pyproject["tool"]["setuptools"]["dynamic"]["version"]
    citation = yaml.safe_load((REPO / "CITATION.cff").read_text())
    assert citation["version"] == synthrank.__version__
    assert (REPO / "LICENSE").read_text().startswith("MIT License")
