import gzip
from pathlib import Path

import pytest

from synthrank.errors import SynthrankError
from synthrank.io import (
    atomic_dir,
    atomic_write,
    iter_jsonl,
    read_qrels,
    read_run,
    write_jsonl,
    write_qrels,
    write_run,
)


def test_atomic_write_keeps_nothing_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    with pytest.raises(RuntimeError), atomic_write(target) as handle:
        handle.write("half")
        raise RuntimeError("killed")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_replaces_on_success(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    with atomic_write(target) as handle:
        handle.write("new")
    assert target.read_text() == "new"


def test_atomic_dir_only_appears_complete(tmp_path: Path) -> None:
    target = tmp_path / "model"
    with pytest.raises(RuntimeError), atomic_dir(target) as tmp:
        (tmp / "weights").write_text("partial")
        raise RuntimeError("killed")
    assert not target.exists()
    with atomic_dir(target) as tmp:
        (tmp / "weights").write_text("done")
    assert (target / "weights").read_text() == "done"
    assert [p.name for p in tmp_path.iterdir()] == ["model"]


def test_jsonl_errors_name_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "corpus.jsonl"
    path.write_text('{"_id": "a", "text": "x"}\n{"_id": "b", "text": \n')
    with pytest.raises(SynthrankError, match=r"corpus.jsonl:2: not valid JSON"):
        list(iter_jsonl(path))
    path.write_text('{"_id": "a", "text": "x"}\n\n{"_id": "b"}\n')
    with pytest.raises(SynthrankError, match=r"corpus.jsonl:3: missing key\(s\) text"):
        list(iter_jsonl(path, required=("_id", "text")))


def test_jsonl_round_trip(tmp_path: Path) -> None:
    records = [{"_id": "1", "text": "café"}, {"_id": "2", "text": "b"}]
    assert write_jsonl(tmp_path / "x.jsonl", records) == 2
    assert list(iter_jsonl(tmp_path / "x.jsonl")) == records


def test_qrels_round_trip_and_errors(tmp_path: Path) -> None:
    qrels = {"q1": {"d1": 1, "d2": 2}, "q2": {"d3": 1}}
    write_qrels(tmp_path / "q.tsv", qrels)
    assert (tmp_path / "q.tsv").read_text().splitlines()[0] == "query-id\tcorpus-id\tscore"
    assert read_qrels(tmp_path / "q.tsv") == qrels
    (tmp_path / "bad.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\n")
    with pytest.raises(SynthrankError, match=r"bad.tsv:2: expected 3 tab-separated fields"):
        read_qrels(tmp_path / "bad.tsv")
    (tmp_path / "bad.tsv").write_text("q1\td1\thigh\n")
    with pytest.raises(SynthrankError, match=r"bad.tsv:1: score 'high' is not an integer"):
        read_qrels(tmp_path / "bad.tsv")


def test_run_is_sorted_by_score_and_round_trips(tmp_path: Path) -> None:
    write_run(tmp_path / "r.trec", {"q1": {"a": 0.5, "b": 2.0, "c": 0.5}}, tag="sys")
    lines = (tmp_path / "r.trec").read_text().splitlines()
    # trec_eval's order: ties by document id, descending
    assert [line.split()[2] for line in lines] == ["b", "c", "a"]
    assert [line.split()[3] for line in lines] == ["1", "2", "3"]
    assert read_run(tmp_path / "r.trec") == {"q1": {"b": 2.0, "a": 0.5, "c": 0.5}}
    (tmp_path / "bad.trec").write_text("q1 Q0 a 1 0.5\n")
    with pytest.raises(SynthrankError, match=r"bad.trec:1: expected 6 fields"):
        read_run(tmp_path / "bad.trec")


def test_bad_bytes_and_broken_gzip_are_one_line_naming_the_line(tmp_path: Path) -> None:
    (tmp_path / "corpus.jsonl").write_bytes(b'{"_id": "d1", "text": "ok"}\n{"_id": "d2", "text": "caf\xe9"}\n')
    with pytest.raises(SynthrankError) as err:
        list(iter_jsonl(tmp_path / "corpus.jsonl"))
    assert str(err.value) == f"{tmp_path / 'corpus.jsonl'}:2: not valid UTF-8 (byte 0xe9 at column 27)"
    whole = gzip.compress(b"".join(b'{"_id": "d%d", "text": "t"}\n' % i for i in range(2000)))
    (tmp_path / "cut.jsonl.gz").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(SynthrankError, match=r"cut.jsonl.gz:\d+: cannot read") as err:
        list(iter_jsonl(tmp_path / "cut.jsonl.gz"))
    assert "\n" not in str(err.value)
    (tmp_path / "plain.jsonl.gz").write_bytes(b'{"_id": "d1"}\n')
    with pytest.raises(SynthrankError, match=r"plain.jsonl.gz:1: cannot read"):
        list(iter_jsonl(tmp_path / "plain.jsonl.gz"))


def test_windows_line_ends_read_like_unix_ones(tmp_path: Path) -> None:
    (tmp_path / "q.tsv").write_bytes(b"query-id\tcorpus-id\tscore\r\nq1\td1\t1\r\n")
    assert read_qrels(tmp_path / "q.tsv") == {"q1": {"d1": 1}}
