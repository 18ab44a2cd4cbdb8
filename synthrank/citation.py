"""How to cite the thesis: ``CITATION.cff`` is the one record of it, and every card quotes it.

The workflow reads ``CITATION.cff`` once (:func:`load`, from the repository beside the Snakefile)
and hands its ``preferred-citation`` to the rules that write cards (corpus releases, the results
bundle, checkpoint bundles) as a param, so filling in the citation rewrites the cards and nothing
else. What the file does not know yet is a value that starts with :data:`UNFILLED` (or a key left
out); the BibTeX then shows ``FILL IN: CITATION.cff <key>`` where the value belongs, and
``synthrank release push`` refuses to publish a card that still says so.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from synthrank.errors import SynthrankError

UNFILLED = "FILL IN"
#: what a thesis citation needs, as CITATION.cff's preferred-citation names it
THESIS_KEYS = ("authors", "title", "year", "institution", "thesis-type")


def load(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The thesis as CITATION.cff cites it: its ``preferred-citation`` (type thesis, with a title),
    plus the repository and the artifact's version. A missing file or key is one line naming it."""
    where = Path(path)
    try:
        cff = yaml.safe_load(where.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SynthrankError(f"{where}: cannot read the citation file ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise SynthrankError(f"{where}: not YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(cff, Mapping) or not isinstance(cff.get("preferred-citation"), Mapping):
        raise SynthrankError(f"{where}: preferred-citation: missing (the thesis, which every card cites)")
    thesis = dict(cff["preferred-citation"])
    if thesis.get("type") != "thesis":
        raise SynthrankError(f"{where}: preferred-citation.type: {thesis.get('type')!r}, expected 'thesis'")
    if not thesis.get("title"):
        raise SynthrankError(f"{where}: preferred-citation.title: missing")
    record = {key: thesis[key] for key in (*THESIS_KEYS, "url", "doi") if key in thesis}
    record["repository"] = cff.get("repository-code")  # the artifact's, for the cards' links
    record["version"] = cff.get("version")
    return record


def _filled(value: Any) -> bool:
    if value is None or value == "" or value == []:
        return False
    return not (isinstance(value, str) and value.startswith(UNFILLED))


def _person(person: Mapping[str, Any]) -> str:
    if "family-names" in person:
        given = person.get("given-names")
        return f"{person['family-names']}, {given}" if given else str(person["family-names"])
    return "{" + str(person.get("name", "")) + "}"


def authors(thesis: Mapping[str, Any]) -> list[str]:
    """The authors as BibTeX names ('Family, Given', or an entity in braces), unfilled ones left out."""
    names = []
    for person in thesis.get("authors") or []:
        parts = [person.get(k) for k in ("family-names", "given-names", "name") if k in person]
        if parts and all(_filled(p) for p in parts):
            names.append(_person(person))
    return names


def unfilled(thesis: Mapping[str, Any]) -> list[str]:
    """The keys of :data:`THESIS_KEYS` that CITATION.cff leaves out or marks ``FILL IN``."""
    missing = []
    for key in THESIS_KEYS:
        value = thesis.get(key)
        if key == "authors":
            value = authors(thesis)
        elif key == "institution" and isinstance(value, Mapping):
            value = value.get("name")
        if not _filled(value):
            missing.append(key)
    return missing


def _entry_type(thesis_type: Any) -> str:
    kind = str(thesis_type).lower() if _filled(thesis_type) else ""
    if "master" in kind:
        return "mastersthesis"
    if "phd" in kind or "doctor" in kind:
        return "phdthesis"
    return "thesis"  # biblatex's; a bachelor's thesis, or one whose type is not filled in yet


def bibtex(thesis: Mapping[str, Any]) -> str:
    """The thesis's BibTeX entry. An unfilled key is written as ``{FILL IN: CITATION.cff ...}``, so
    a card shows what is missing instead of leaving it out."""
    entry = _entry_type(thesis.get("thesis-type"))

    def todo(key: str) -> str:
        return f"{UNFILLED}: CITATION.cff preferred-citation.{key}"

    names = authors(thesis)
    institution = thesis.get("institution")
    institution = institution.get("name") if isinstance(institution, Mapping) else institution
    fields = [
        ("author", " and ".join(names) if names else todo("authors")),
        ("title", "{" + str(thesis["title"]) + "}"),
        (
            "school" if entry != "thesis" else "institution",
            institution if _filled(institution) else todo("institution"),
        ),
        ("year", str(thesis["year"]) if _filled(thesis.get("year")) else todo("year")),
    ]
    if entry == "thesis":
        kind = thesis.get("thesis-type")
        fields.append(("type", str(kind) if _filled(kind) else todo("thesis-type")))
    fields += [(key, str(thesis[key])) for key in ("url", "doi") if _filled(thesis.get(key))]
    family = names[0].split(",")[0] if names and "," in names[0] else "synthrank"
    key = re.sub(r"[^a-z0-9]", "", unicodedata.normalize("NFKD", family).lower())
    year = str(thesis["year"]) if _filled(thesis.get("year")) else ""
    lines = [f"@{entry}{{{key}{year}thesis,"]
    lines += [f"  {name} = {{{value}}}," for name, value in fields]
    lines[-1] = lines[-1].rstrip(",")
    return "\n".join([*lines, "}"])
