"""Bad input, many ways: the demo collection's files corrupted at random (seeded), then ingested as
the workflow ingests them. Each corruption either still ingests, or stops with one line that
names the file (and line, where there is one): a SynthrankError, which the rule turns into one
`synthrank error in rule ...` line. Anything else (a traceback) fails the test, naming the case."""

import json
import random
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from synthrank.data import ingest_collection, ingest_qrels
from synthrank.errors import SynthrankError

from .conftest import DEMO

FILES = ["corpus.jsonl", "queries.jsonl", "qrels/test.tsv"]
VALUES = [None, 7, 3.5, True, [], ["x"], {}, {"a": 1}, "", "ok", "\u00e9\u4e2d"]


def _json_line(rng: random.Random, lines: list[bytes]) -> tuple[int, dict]:
    i = rng.randrange(len(lines))
    return i, json.loads(lines[i])


def truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(len(data))]


def bad_bytes(rng: random.Random, data: bytes) -> bytes:
    at = rng.randrange(len(data))
    return data[:at] + rng.choice([b"\xff", b"\xc3", b"\xe9t\xe9", b"\x00", b"\xed\xa0\x80"]) + data[at:]


def wrong_type(rng: random.Random, data: bytes) -> bytes:
    lines = data.splitlines()
    if b"\t" in lines[0]:  # qrels: a score that is no integer, a row with another number of fields
        i = rng.randrange(1, len(lines))
        fields = lines[i].split(b"\t")
        fields[rng.randrange(3)] = rng.choice([b"x", b"1.5", b"", b"-"])
        lines[i] = b"\t".join(fields + ([b"extra"] if rng.random() < 0.3 else []))
    else:
        i, record = _json_line(rng, lines)
        record[rng.choice(["_id", "text", "title"])] = rng.choice(VALUES)
        lines[i] = json.dumps(record).encode() if rng.random() < 0.8 else b"[1, 2]"
    return b"\n".join(lines) + b"\n"


def missing_field(rng: random.Random, data: bytes) -> bytes:
    lines = data.splitlines()
    if b"\t" in lines[0]:
        i = rng.randrange(1, len(lines))
        lines[i] = b"\t".join(lines[i].split(b"\t")[:2])
    else:
        i, record = _json_line(rng, lines)
        record.pop(rng.choice(["_id", "text"]), None)
        lines[i] = json.dumps(record).encode()
    return b"\n".join(lines) + b"\n"


def duplicate_id(rng: random.Random, data: bytes) -> bytes:
    lines = data.splitlines()
    i = rng.randrange(1 if b"\t" in lines[0] else 0, len(lines))
    return b"\n".join([*lines, lines[i]]) + b"\n"


def unknown_id(rng: random.Random, data: bytes) -> bytes:
    lines = data.splitlines()
    if b"\t" in lines[0]:
        i = rng.randrange(1, len(lines))
        fields = lines[i].split(b"\t")
        fields[rng.randrange(2)] = b"nobody-%d" % rng.randrange(1000)
        lines[i] = b"\t".join(fields)
    return b"\n".join(lines) + b"\n"


def huge_line(rng: random.Random, data: bytes) -> bytes:
    if data.startswith(b"query-id"):
        return data + b"q\td\t" + b"9" * 2_000_000 + b"\n"
    record = {"_id": f"huge{rng.randrange(100)}", "text": "word " * 400_000}
    return data + json.dumps(record).encode() + b"\n"


def empty(rng: random.Random, data: bytes) -> bytes:
    return rng.choice([b"", b"\n\n", b"   \n"])


def not_json(rng: random.Random, data: bytes) -> bytes:
    return rng.choice([b"<html>not found</html>\n", b"\x1f\x8b\x08\x00binary", b"{" * 10 + b"\n"])


MUTATIONS: list[Callable[[random.Random, bytes], bytes]] = [
    truncate,
    bad_bytes,
    wrong_type,
    missing_field,
    duplicate_id,
    unknown_id,
    huge_line,
    empty,
    not_json,
]
CASES = [(seed, mutation.__name__, FILES[seed % len(FILES)]) for seed in range(8) for mutation in MUTATIONS]


@pytest.mark.parametrize(("seed", "mutation", "name"), CASES, ids=[f"{m}-{n}-{s}" for s, m, n in CASES])
def test_corrupted_collection_is_ingested_or_refused_in_one_line(
    seed: int, mutation: str, name: str, tmp_path: Path
) -> None:
    folder = tmp_path / "cooking"
    shutil.copytree(DEMO / "cooking", folder)
    target = folder / name
    rng = random.Random(f"{seed}-{mutation}-{name}")
    target.write_bytes(globals()[mutation](rng, target.read_bytes()))
    out = tmp_path / "out"
    try:
        ingest_collection(str(folder), out / "corpus.jsonl", out / "queries.jsonl")
        ingest_qrels(str(folder), "test", out / "corpus.jsonl", out / "queries.jsonl", out / "qrels.tsv")
    except SynthrankError as exc:
        message = str(exc)
        assert "\n" not in message and len(message) < 500, message
        assert str(folder) in message, message  # names the file or folder
