"""The training-query order (synthrank.queries) and the exemplar pool it excludes."""

from pathlib import Path

from synthrank.collection import normalise_text
from synthrank.exemplars import build_exemplar_pool
from synthrank.io import iter_jsonl, write_jsonl
from synthrank.queries import query_order


def test_query_order_prefixes_and_exemplar_pool(demo_files: dict[str, str], tmp_path: Path) -> None:
    q, r = demo_files["cooking-queries"], demo_files["cooking-train"]
    full = query_order(q, r, seed=3).order
    assert list(query_order(q, r, max_queries=10, seed=3).order) == list(full)[:10]  # nested small corpora
    # the pool skips any query whose text is an evaluation query
    eval_queries = tmp_path / "eval.jsonl"
    first = list(full)  # the pool's own order uses its seed
    pool_order = query_order(q, r, seed=5).order
    clash = next(iter(pool_order))
    write_jsonl(eval_queries, [{"_id": "e1", "text": pool_order[clash].upper() + "?"}, {"_id": "e2", "text": "x"}])
    (tmp_path / "eval.tsv").write_text("e1\td1\t1\n")
    evaluation = [(str(eval_queries), str(tmp_path / "eval.tsv"))]
    build_exemplar_pool(str(tmp_path / "pool.jsonl"), demo_files["cooking-corpus"], q, r, evaluation, 5, 5)
    pool = list(iter_jsonl(tmp_path / "pool.jsonl"))
    assert len(pool) == 5 and clash not in {p["query_id"] for p in pool}
    assert all(p["passage"] for p in pool)
    rest = query_order(q, r, seed=3, exclude={p["query_id"] for p in pool}).order
    assert not set(rest) & {p["query_id"] for p in pool} and len(rest) == len(first) - 5


def eval_collection(tmp_path: Path, name: str, texts: dict[str, str], judged: list[str]) -> tuple[str, str]:
    """An evaluation collection's queries file and qrels file (only ``judged`` queries are its own)."""
    write_jsonl(tmp_path / f"{name}.jsonl", [{"_id": qid, "text": text} for qid, text in texts.items()])
    (tmp_path / f"{name}.tsv").write_text("".join(f"{qid}\td1\t1\n" for qid in judged))
    return str(tmp_path / f"{name}.jsonl"), str(tmp_path / f"{name}.tsv")


def test_the_order_leaves_out_training_queries_equal_to_an_evaluation_query(
    demo_files: dict[str, str], tmp_path: Path, caplog
) -> None:
    import logging

    from synthrank.queries import evaluation_texts, training_order

    q, r = demo_files["cooking-queries"], demo_files["cooking-train"]
    full = query_order(q, r, seed=3).order
    ids = list(full)
    # an in-domain set repeats the 3rd training query, cased and spaced otherwise; an out-of-domain
    # set the 6th; a query in a queries file but not judged by the split is no evaluation query
    texts = {"a": "  " + full[ids[2]].upper().replace(" ", "   "), "b": "unrelated"}
    in_domain = eval_collection(tmp_path, "in", texts, ["a", "b"])
    out_of_domain = eval_collection(tmp_path, "out", {"c": full[ids[5]], "d": full[ids[7]]}, ["c"])
    evaluation = [in_domain, out_of_domain]
    assert evaluation_texts(evaluation) == {normalise_text(full[ids[2]]), "unrelated", normalise_text(full[ids[5]])}
    with caplog.at_level(logging.INFO, logger="synthrank.queries"):
        pool, order = training_order(q, r, None, None, 3, evaluation)
    assert pool == [] and list(order) == [
        qid for qid in ids if qid not in (ids[2], ids[5])
    ]  # the rest keep their order
    assert "excluded 2 training queries whose text equals an evaluation query's" in caplog.text
    # nothing to exclude: the order is the one before this rule
    assert list(training_order(q, r, None, None, 3, [eval_collection(tmp_path, "no", {"z": "zzz"}, ["z"])])[1]) == ids
    assert list(training_order(q, r, None, 4, 3, evaluation)[1]) == [ids[0], ids[1], ids[3], ids[4]]


def test_the_dev_split_is_the_end_of_the_order_and_no_corpus_takes_it(
    demo_files: dict[str, str], tmp_path: Path
) -> None:
    import pytest

    from synthrank.errors import SynthrankError
    from synthrank.queries import write_dev_queries

    q, r = demo_files["cooking-queries"], demo_files["cooking-train"]
    ids = list(query_order(q, r, seed=3).order)
    evaluation = [eval_collection(tmp_path, "in", {"a": query_order(q, r, seed=3).order[ids[-1]]}, ["a"])]
    texts = {normalise_text(query_order(q, r, seed=3).order[ids[-1]])}
    order, dev = query_order(q, r, None, 3, exclude_texts=texts, dev_queries=5)
    assert list(dev) == ids[-6:-1]  # the last 5 of the de-duplicated order (the last query was excluded)
    assert list(order) == ids[:-6] and not set(order) & set(dev)
    # the corpora's small prefixes are the same as without a dev split
    assert list(query_order(q, r, 10, 3, dev_queries=5).order) == ids[:10]
    n = write_dev_queries(str(tmp_path / "dev.jsonl"), q, r, None, 3, evaluation, 5)
    assert n == 5 and [d["query_id"] for d in iter_jsonl(tmp_path / "dev.jsonl")] == list(dev)
    with pytest.raises(SynthrankError, match=r"^training.dev_queries: 60 leaves no training query \(60 judged"):
        query_order(q, r, None, 3, dev_queries=60)
