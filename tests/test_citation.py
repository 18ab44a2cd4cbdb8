"""CITATION.cff, the one record of how to cite the thesis, and the BibTeX every card quotes from it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import synthrank
from synthrank import citation, release
from synthrank.errors import SynthrankError

from .conftest import REPO

FILLED = {
    "type": "thesis",
    "title": release.THESIS,
    "authors": [{"family-names": "Åström", "given-names": "Karl"}, {"name": "Example Lab"}],
    "year": 2025,
    "institution": {"name": "Example University"},
    "thesis-type": "Master's thesis",
    "url": "https://example.org/thesis.pdf",
}


def cff(tmp_path: Path, **preferred) -> Path:
    path = tmp_path / "CITATION.cff"
    doc = {"cff-version": "1.2.0", "version": "9.9", "repository-code": "https://example.org/repo"}
    doc["preferred-citation"] = preferred
    path.write_text(yaml.safe_dump(doc))
    return path


def test_the_repository_cites_the_thesis() -> None:
    doc = yaml.safe_load((REPO / "CITATION.cff").read_text())
    assert doc["cff-version"] == "1.2.0" and doc["version"] == synthrank.__version__
    thesis = citation.load(REPO / "CITATION.cff")
    assert thesis["title"] == release.THESIS  # the title every card names
    assert thesis["version"] == synthrank.__version__
    # whatever is not filled in yet is marked so, never guessed: the BibTeX says where it goes
    entry = citation.bibtex(thesis)
    for key in citation.unfilled(thesis):
        assert f"FILL IN: CITATION.cff preferred-citation.{key}" in entry


def test_filled_thesis_as_bibtex(tmp_path: Path) -> None:
    thesis = citation.load(cff(tmp_path, **FILLED))
    assert citation.unfilled(thesis) == [] and thesis["repository"] == "https://example.org/repo"
    assert citation.bibtex(thesis) == (
        "@mastersthesis{astrom2025thesis,\n"
        "  author = {Åström, Karl and {Example Lab}},\n"
        "  title = {{Fine Tuning Dense Rankers Using Synthetic Data}},\n"
        "  school = {Example University},\n"
        "  year = {2025},\n"
        "  url = {https://example.org/thesis.pdf}\n"
        "}"
    )
    phd = citation.bibtex({**thesis, "thesis-type": "PhD thesis"})
    assert phd.startswith("@phdthesis{") and "school = {Example University}" in phd
    bachelor = citation.bibtex({**thesis, "thesis-type": "Bachelor's thesis"})
    assert bachelor.startswith("@thesis{") and "type = {Bachelor's thesis}" in bachelor
    assert "institution = {Example University}" in bachelor


def test_unfilled_fields_are_named(tmp_path: Path) -> None:
    thesis = citation.load(
        cff(
            tmp_path,
            type="thesis",
            title=release.THESIS,
            authors=[{"name": "FILL IN: the author"}],
            institution={"name": "FILL IN: the university"},
        )
    )
    assert citation.unfilled(thesis) == ["authors", "year", "institution", "thesis-type"]
    entry = citation.bibtex(thesis)
    assert entry.startswith("@thesis{synthrankthesis,")
    assert "author = {FILL IN: CITATION.cff preferred-citation.authors}" in entry
    assert "year = {FILL IN: CITATION.cff preferred-citation.year}" in entry


@pytest.mark.parametrize(
    ("preferred", "message"),
    [
        (None, r"preferred-citation: missing"),
        ({"type": "article", "title": "x"}, r"preferred-citation\.type: 'article', expected 'thesis'"),
        ({"type": "thesis"}, r"preferred-citation\.title: missing"),
    ],
)
def test_a_broken_citation_file_is_one_line(tmp_path: Path, preferred, message: str) -> None:
    path = tmp_path / "CITATION.cff"
    path.write_text(
        yaml.safe_dump({"cff-version": "1.2.0", **({"preferred-citation": preferred} if preferred else {})})
    )
    with pytest.raises(SynthrankError, match=rf"^{path}: {message}"):
        citation.load(path)
    with pytest.raises(SynthrankError, match=r"cannot read the citation file"):
        citation.load(tmp_path / "absent.cff")
