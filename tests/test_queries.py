"""The training-query order (synthrank.queries) and the exemplar pool it excludes."""

from pathlib import Path

from synthrank.exemplars import build_exemplar_pool
from synthrank.io import iter_jsonl, write_jsonl
from synthrank.queries import query_order


def test_query_order_prefixes_and_exemplar_pool(demo_files: dict[str, str], tmp_path: Path) -> None:
    q, r = demo_files["cooking-queries"], demo_files["cooking-train"]
    full = query_order(q, r, seed=3)
    assert list(query_order(q, r, max_queries=10, seed=3)) == list(full)[:10]  # nested small corpora
    # the pool skips any query whose text is an evaluation query
    eval_queries = tmp_path / "eval.jsonl"
    first = list(full)  # the pool's own order uses its seed
    pool_order = query_order(q, r, seed=5)
    clash = next(iter(pool_order))
    write_jsonl(eval_queries, [{"_id": "e1", "text": pool_order[clash].upper() + "?"}, {"_id": "e2", "text": "x"}])
    (tmp_path / "eval.tsv").write_text("e1\td1\t1\n")
    evaluation = [(str(eval_queries), str(tmp_path / "eval.tsv"))]
    build_exemplar_pool(str(tmp_path / "pool.jsonl"), demo_files["cooking-corpus"], q, r, evaluation, 5, 5)
    pool = list(iter_jsonl(tmp_path / "pool.jsonl"))
    assert len(pool) == 5 and clash not in {p["query_id"] for p in pool}
    assert all(p["passage"] for p in pool)
    rest = query_order(q, r, seed=3, exclude={p["query_id"] for p in pool})
    assert not set(rest) & {p["query_id"] for p in pool} and len(rest) == len(first) - 5
