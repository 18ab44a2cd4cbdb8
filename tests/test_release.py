"""Released corpora: datasets-loadable folders, their cards and checksums, the round trip back to a
corpus, the manifest, and the push command (against a stand-in for the Hub)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from synthrank import config as config_schema
from synthrank import release
from synthrank.corpora import CorpusSpec, build_corpus
from synthrank.errors import SynthrankError
from synthrank.io import write_jsonl

SECRET = "sk-test-0123456789abcdef"
TEMPLATE = "Write a passage that answers: {query}\nUse ``` fences if you must.\n"
GENERATOR = {
    "name": "tiny",
    "backend": "openai",
    "model": "tiny-llm",
    "base_url": "http://10.1.2.3:8000/v1",
    "api_key_env": "SYNTHRANK_RELEASE_KEY",
    "sampling": {"temperature": 0.7, "top_p": 0.9, "max_tokens": 64, "seed": 1234},
    "price": {"input_per_mtok": 0.4, "output_per_mtok": 1.6},
}
SOURCE = {
    "licence": {"id": "other", "name": "toy-licence", "url": "https://example.org/terms", "terms": "Research only."},
    "citation": "@misc{toy, title = {Toy collection}, year = {2026}}",
    "hub": "someone/toy-collection",
}
TINY_LICENCE = {
    "id": "other",
    "name": "tiny-terms",
    "url": "https://example.org/tiny",
    "terms": "Outputs: research only.",
}
#: CITATION.cff's thesis as synthrank.citation.load returns it, filled in
THESIS = {
    "authors": [{"family-names": "Doe", "given-names": "Jane"}],
    "title": release.THESIS,
    "year": 2026,
    "institution": {"name": "Example University"},
    "thesis-type": "Master's thesis",
    "repository": None,
    "version": "0.1.0",
}


def generated_record(qid: str, text: str, version: str | None, flags: list[str]) -> dict[str, Any]:
    """A record with the fields, in the order, that synthrank.generate writes."""
    return {
        "query_id": qid,
        "passage_id": f"{qid}.tiny.zero-shot.0",
        "text": text,
        "paradigm": "zero-shot",
        "generator": "tiny",
        "model": "tiny-llm",
        "model_version": version,
        "template": "zs.txt",
        "template_sha256": "ab" * 32,
        "exemplar_ids": [],
        "sampling": {"temperature": 0.7, "top_p": 0.9, "max_tokens": 64, "seed": 1234},
        "sample": 0,
        "attempt": 0,
        "flags": flags,
        "finish_reason": "stop",
        "prompt_tokens": 12,
        "completion_tokens": 30,
        "request_sha256": "cd" * 32,
    }


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SYNTHRANK_RELEASE_KEY", SECRET)
    queries = [{"_id": "q1", "text": "how long to boil an egg"}, {"_id": "q2", "text": "why does bread rise"}]
    write_jsonl(tmp_path / "queries.jsonl", queries)
    (tmp_path / "qrels.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\n")
    write_jsonl(tmp_path / "corpus.jsonl", [{"_id": "d1", "text": "Boil it."}, {"_id": "d2", "text": "Yeast."}])
    write_jsonl(
        tmp_path / "zs.jsonl",
        [
            generated_record("q1", "Eggs boil in 9 minutes — “soft” in 6.", "tiny-llm-2026-01", []),
            generated_record("q2", "Yeast makes gas.", None, ["truncated"]),
        ],
    )
    stats = {
        "paradigm": "zero-shot",
        "generator": "tiny",
        "backend": "openai",
        "model": "tiny-llm",
        "model_versions": ["None", "tiny-llm-2026-01"],
        "template_sha256": "ab" * 32,
        "requests": 3,
        "api_calls": 3,
        "cache_hits": 0,
        "passages": 2,
        "flags": {"empty": 1, "refused": 0, "truncated": 1, "duplicate": 0, "query_copy": 0},
        "regenerated": 1,
        "dropped": 0,
        "prompt_tokens": 36,
        "completion_tokens": 70,
        "cost_usd": 0.000126,
        "batch_jobs": ["batch_private_123"],
        "queries": 2,
    }
    (tmp_path / "zs.stats.json").write_text(json.dumps(stats))
    write_jsonl(
        tmp_path / "human.jsonl",
        [{"query_id": q, "passage_id": d, "text": t, "paradigm": "human"} for q, d, t in [("q1", "d1", "Boil it.")]],
    )
    (tmp_path / "human.stats.json").write_text(json.dumps({"paradigm": "human", "passages": 1, "queries": 1}))
    (tmp_path / "zs.txt").write_text(TEMPLATE)
    return tmp_path


def release_zs(workdir: Path, out: str = "release/zs", thesis: dict[str, Any] = THESIS) -> Path:
    release.release_corpus(
        out_dir=str(workdir / out),
        corpus="zs",
        train_dataset="toy",
        corpus_path=str(workdir / "zs.jsonl"),
        stats_path=str(workdir / "zs.stats.json"),
        queries_path=str(workdir / "queries.jsonl"),
        spec={"name": "zs", "paradigm": "zero-shot", "generator": GENERATOR, "template": "zs.txt"},
        source=SOURCE,
        template_path=str(workdir / "zs.txt"),
        quality={"empty": "regenerate"},
        training={"max_queries": 2, "sample_seed": 7},
        thesis=thesis,
        generator_licences={"tiny": TINY_LICENCE},
    )
    return workdir / out


def release_human(workdir: Path, source: dict[str, Any] = SOURCE) -> Path:
    release.release_corpus(
        out_dir=str(workdir / "release/human"),
        corpus="human",
        train_dataset="toy",
        corpus_path=str(workdir / "human.jsonl"),
        stats_path=str(workdir / "human.stats.json"),
        queries_path=str(workdir / "queries.jsonl"),
        spec={"name": "human", "paradigm": "human"},
        source=source,
        thesis=THESIS,
    )
    return workdir / "release/human"


def test_datasets_loads_a_release_offline(workdir: Path) -> None:
    folder = release_zs(workdir)
    code = (
        "import datasets, json, sys; d = datasets.load_dataset(sys.argv[1], split='train');"
        "print(json.dumps({'rows': d.num_rows, 'columns': d.column_names, 'first': d[0]}))"
    )
    env = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "HF_HOME": str(workdir / "hf")}
    done = subprocess.run(
        [sys.executable, "-c", code, str(folder)], capture_output=True, text=True, env=env, check=False, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded["rows"] == 2
    assert loaded["columns"] == [field.name for field in release._schema()]
    first = loaded["first"]
    assert first["query"] == "how long to boil an egg" and first["text"].startswith("Eggs boil in 9 minutes")
    assert first["model_version"] == "tiny-llm-2026-01" and first["exemplar_ids"] == [] and first["flags"] == []
    assert json.loads(first["provenance"])["sampling"]["seed"] == 1234


def test_round_trip_rebuilds_the_corpus_byte_for_byte(workdir: Path) -> None:
    folder = release_zs(workdir)
    spec = CorpusSpec.from_config({"name": "zs-back", "paradigm": "release", "path": str(folder)})
    stats = build_corpus(
        spec,
        out_path=str(workdir / "zs-back.jsonl"),
        stats_path=str(workdir / "zs-back.stats.json"),
        corpus_path=str(workdir / "corpus.jsonl"),
        queries_path=str(workdir / "queries.jsonl"),
        qrels_path=str(workdir / "qrels.tsv"),
    )
    assert (workdir / "zs-back.jsonl").read_bytes() == (workdir / "zs.jsonl").read_bytes()
    assert stats["passages"] == 2 and stats["cost_usd"] == 0.000126 and "api_calls" not in stats
    assert stats["release"]["template"]["text"] == TEMPLATE
    # released again, the rebuilt corpus describes the original and has the same data bytes
    again = release.release_corpus(
        out_dir=str(workdir / "release/zs-back"),
        corpus="zs-back",
        train_dataset="toy",
        corpus_path=str(workdir / "zs-back.jsonl"),
        stats_path=str(workdir / "zs-back.stats.json"),
        queries_path=str(workdir / "queries.jsonl"),
        spec={"name": "zs-back", "paradigm": "release", "path": str(folder)},
        source={},
        thesis=THESIS,
    )
    first = json.loads((folder / release.METADATA).read_text())
    second = json.loads((workdir / "release/zs-back" / release.METADATA).read_text())
    assert second == {**first, "corpus": "zs-back"}
    assert again[release.DATA_FILE] == release.verify_release(folder)[release.DATA_FILE]


def test_a_release_of_another_collection_is_refused(workdir: Path) -> None:
    folder = release_zs(workdir)
    write_jsonl(workdir / "other-queries.jsonl", [{"_id": "x1", "text": "elsewhere"}])
    with pytest.raises(SynthrankError, match=r"query 'q1' is not a training query of this workflow"):
        release.read_release(folder, str(workdir / "other-queries.jsonl"))


def test_same_corpus_same_bytes_and_nothing_private(workdir: Path) -> None:
    first, second = release_zs(workdir, "a"), release_zs(workdir, "b")
    assert (first / release.CHECKSUMS).read_bytes() == (second / release.CHECKSUMS).read_bytes()
    listed = {line.split("  ")[1] for line in (first / release.CHECKSUMS).read_text().splitlines()}
    assert listed == {release.DATA_FILE, release.METADATA, release.CARD}
    for path in first.rglob("*"):
        if path.is_file():
            blob = path.read_bytes()
            for private in (
                SECRET,
                str(workdir),
                str(Path.cwd()),
                "10.1.2.3",
                "SYNTHRANK_RELEASE_KEY",
                "batch_private",
            ):
                assert private.encode() not in blob, (path, private)
    meta = json.loads((first / release.METADATA).read_text())
    assert "api_calls" not in meta["stats"] and "cache_hits" not in meta["stats"]


def test_a_secret_in_a_passage_stops_the_release(workdir: Path) -> None:
    write_jsonl(workdir / "zs.jsonl", [generated_record("q1", f"my key is {SECRET}", "v1", [])])
    with pytest.raises(SynthrankError, match="would publish the value of a"):
        release_zs(workdir)
    assert not (workdir / "release/zs" / release.CARD).exists()


def test_card_tells_what_a_reader_needs(workdir: Path) -> None:
    folder = release_zs(workdir)
    card = (folder / release.CARD).read_text()
    _, front, body = card.split("---\n", 2)
    front = yaml.safe_load(front)
    assert front["license"] == "other" and front["license_name"] == "toy-licence"
    assert front["configs"][0]["data_files"][0]["path"] == "data/train-*"
    sums = release.verify_release(folder)
    for needed in (
        "Paradigm **zero-shot**",
        "`tiny-llm-2026-01`",  # the model version the API reported
        TEMPLATE.rstrip(),  # verbatim, in a fence longer than its own ```
        hashlib.sha256(TEMPLATE.encode()).hexdigest(),
        '"seed": 1234',
        "answers received (regenerations included): 3",
        "kept: 2 passages",
        "36 prompt + 70 completion tokens, US$0.0001",
        "Research only.",
        "@misc{toy",
        sums[release.DATA_FILE],
        sums[release.METADATA],
    ):
        assert needed in body, needed
    assert "````text" in body


def test_verify_finds_a_changed_file(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = release_zs(workdir)
    assert release.main(["verify", str(folder)]) == 0
    with (folder / release.DATA_FILE).open("ab") as handle:
        handle.write(b"\0")
    assert release.main(["verify", str(folder)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "SHA-256 does not match checksums.sha256" in err


def test_manifest_has_one_row_per_corpus(workdir: Path) -> None:
    zs = release_zs(workdir)
    release_human(workdir)
    rows = release.write_manifest(
        [str(zs), str(workdir / "release/human")], str(workdir / "m.csv"), str(workdir / "m.md"), "toy"
    )
    assert [(r["corpus"], r["generator"], r["passages"]) for r in rows] == [("human", "-", 1), ("zs", "tiny", 2)]
    assert rows[1]["cost_usd"] == 0.000126 and rows[1]["model_versions"] == "None tiny-llm-2026-01"
    assert (workdir / "m.csv").read_text().splitlines()[0] == ",".join(release.MANIFEST_COLUMNS)
    assert "| zs | zero-shot | tiny |" in (workdir / "m.md").read_text()
    human_card = (workdir / "release/human" / release.CARD).read_text()
    assert "## Generator" not in human_card and "## Prompt template" not in human_card


def test_push_needs_a_token(workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.delenv("HF_TOKEN", raising=False)
    assert release.main(["push", str(release_zs(workdir)), "someone/toy-zs"]) == 1
    err = capsys.readouterr().err
    assert err == "synthrank: push: needs a Hugging Face token in environment variable HF_TOKEN (not set)\n"


def test_push_uploads_the_verified_files(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, dict[str, Any]]] = []

    class FakeApi:
        def __init__(self, token: str) -> None:
            calls.append(("init", {"token": token}))

        def create_repo(self, **kwargs: Any) -> None:
            calls.append(("create_repo", kwargs))

        def upload_folder(self, **kwargs: Any) -> None:
            calls.append(("upload_folder", kwargs))

    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    monkeypatch.setenv("HF_TOKEN", "hf_fake_token_for_test")
    folder = release_zs(workdir)
    assert release.main(["push", str(folder), "someone/toy-zs", "--private"]) == 0
    assert calls[0] == ("init", {"token": "hf_fake_token_for_test"})
    assert calls[1] == (
        "create_repo",
        {"repo_id": "someone/toy-zs", "repo_type": "dataset", "private": True, "exist_ok": True},
    )
    upload = calls[2][1]
    assert upload["folder_path"] == str(folder) and upload["repo_type"] == "dataset"
    assert upload["allow_patterns"] == sorted(release.RELEASE_FILES)


def test_config_release_corpus_needs_a_path(demo_config: dict) -> None:
    config = json.loads(json.dumps(demo_config))
    config["corpora"]["back"] = {"paradigm": "release"}
    with pytest.raises(SynthrankError, match=r"corpora\.back: a release corpus needs .path."):
        config_schema.validate(config)
    config["corpora"]["back"] = {"paradigm": "release", "path": "results/release/x", "generator": "smollm2"}
    with pytest.raises(SynthrankError, match=r"corpora\.back\.generator: a release corpus has no generator"):
        config_schema.validate(config)
    config["corpora"]["back"] = {"paradigm": "release", "path": "results/release/demo-cooking/human"}
    config_schema.validate(config)


# -- the cards' headers: what a hub reads --------------------------------------------------------------


def header(folder: Path) -> dict[str, Any]:
    """A card's YAML header, loaded as a hub would (the text between the first two --- lines)."""
    text = (folder / release.CARD).read_text()
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n", 2)[1])


def test_dataset_card_header_has_the_fields(workdir: Path) -> None:
    zs = header(release_zs(workdir))
    for key in release.CARD_FIELDS["corpus"]:
        assert zs.get(key), key
    assert zs["source_datasets"] == ["someone/toy-collection"]
    assert zs["annotations_creators"] == ["machine-generated"]
    assert zs["language_creators"] == ["found", "machine-generated"]
    assert zs["license"] == "other" and zs["license_name"] == "toy-licence"
    assert zs["license_link"] == "https://example.org/terms" and "synthetic" in zs["tags"]
    release_human(workdir, source={"licence": SOURCE["licence"]})  # no hub id: the collection's name
    human = header(workdir / "release/human")
    assert human["annotations_creators"] == ["found"] and human["language_creators"] == ["found"]
    assert human["source_datasets"] == ["toy"] and "synthetic" not in human["tags"]


def test_dataset_card_states_the_generator_terms_and_cites_the_thesis(workdir: Path) -> None:
    folder = release_zs(workdir)
    body = (folder / release.CARD).read_text().split("---\n", 2)[2]
    assert (
        "The 2 passages of generator `tiny` are its output, used under: **tiny-terms** (https://example.org/tiny)"
        in body
    )
    assert "Outputs: research only." in body and "Research only." in body
    assert "@mastersthesis{doe2026thesis," in body and "school = {Example University}" in body
    meta = json.loads((folder / release.METADATA).read_text())
    assert meta["content"] == {"paradigms": {"zero-shot": 2}, "generators": {"tiny": 2}}
    assert meta["generator_licences"] == {"tiny": TINY_LICENCE}


def test_a_generator_without_terms_stops_the_release(workdir: Path) -> None:
    arguments = {
        "out_dir": str(workdir / "release/zs"),
        "corpus": "zs",
        "train_dataset": "toy",
        "corpus_path": str(workdir / "zs.jsonl"),
        "stats_path": str(workdir / "zs.stats.json"),
        "queries_path": str(workdir / "queries.jsonl"),
        "spec": {"name": "zs", "paradigm": "zero-shot", "generator": GENERATOR},
        "source": SOURCE,
        "thesis": THESIS,
    }
    with pytest.raises(
        SynthrankError, match=r"^config: generators\.tiny\.licence: missing \(corpus zs holds its passages"
    ):
        release.release_corpus(**arguments, generator_licences={"tiny": None})
    # the passages name a generator the caller gave no terms for: the rows decide, not the config
    with pytest.raises(SynthrankError, match=r"passages of generator 'tiny', whose terms are not known"):
        release.release_corpus(**arguments)


def test_check_card_names_the_missing_field(tmp_path: Path) -> None:
    card = "---\nlicense: mit\npretty_name: x\n---\n# x\n"
    with pytest.raises(SynthrankError, match=r"^x/README.md: card field 'language' is missing or empty$"):
        release.check_card(card, "corpus", "x/README.md")
    with pytest.raises(SynthrankError, match=r"no YAML front matter"):
        release.check_card("# no header\n", "corpus", "x/README.md")


def test_push_refuses_an_unfilled_citation(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_fake_token_for_test")
    unfilled = {"title": release.THESIS, "authors": [{"name": "FILL IN: the author"}]}
    folder = release_zs(workdir, thesis=unfilled)
    assert "{FILL IN: CITATION.cff preferred-citation.year}" in (folder / release.CARD).read_text()
    with pytest.raises(
        SynthrankError, match=r"README.md: the thesis citation still says 'FILL IN': fill in CITATION.cff"
    ):
        release.push(str(folder), "someone/toy-zs", api=object())


def test_a_mixture_card_names_both_creators_and_every_generator() -> None:
    rows = [
        {"paradigm": "human", "generator": None},
        {"paradigm": "zero-shot", "generator": "tiny"},
        {"paradigm": "few-shot-supervised", "generator": "big"},
        {"paradigm": "zero-shot", "generator": "tiny"},
    ]
    made = release.content(rows)
    assert made == {
        "paradigms": {"few-shot-supervised": 1, "human": 1, "zero-shot": 2},
        "generators": {"big": 1, "tiny": 2},
    }
    meta = {
        "corpus": "mix",
        "train_dataset": "toy",
        "paradigm": "mixture",
        "description": "a mixture",
        "source": {"dataset": "toy", "hub": None, "licence": SOURCE["licence"], "citation": None},
        "generator": None,
        "generator_licences": {"tiny": TINY_LICENCE, "big": {"id": "apache-2.0", "terms": "Apache 2.0."}},
        "content": made,
        "stats": {"passages": 4, "queries": 2},
    }
    card = release.dataset_card(meta, 4, "a" * 64, "b" * 64, THESIS)
    front = release.check_card(card, "corpus")
    assert front["annotations_creators"] == ["found", "machine-generated"] and "synthetic" in front["tags"]
    assert "The 1 passages of generator `big` are its output, used under: **apache-2.0**" in card
    assert "The 2 passages of generator `tiny`" in card
