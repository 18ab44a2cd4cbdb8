"""``synthrank llm import|export``: move answers between the request cache and JSONL files."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from synthrank.errors import SynthrankError
from synthrank.llm.cache import RequestCache

DEFAULT_CACHE = "results/cache/llm-requests"


def main(argv: Sequence[str] | None = None) -> None:
    """``synthrank llm import FILE [--cache PATH]``: load an exported answer file into the
    request cache; then ``SYNTHRANK_OFFLINE=1 snakemake ...`` rebuilds the corpora with no API key."""
    import argparse

    parser = argparse.ArgumentParser(prog="synthrank llm", description=main.__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import", help="add an export (.jsonl or .jsonl.gz) to the request cache")
    imp.add_argument("file")
    imp.add_argument("--cache", default=DEFAULT_CACHE)
    exp = sub.add_parser("export", help="write the whole request cache as JSONL")
    exp.add_argument("file")
    exp.add_argument("--cache", default=DEFAULT_CACHE)
    args = parser.parse_args(argv)
    try:
        if args.command == "import":
            with RequestCache(args.cache) as cache:
                print(f"imported {cache.import_(args.file)} answers into {cache.path}")
        else:
            with RequestCache(args.cache) as cache:
                print(f"exported {cache.export(args.file)} answers to {args.file}")
    except SynthrankError as exc:
        sys.exit(f"synthrank: {exc}")


if __name__ == "__main__":
    main()
