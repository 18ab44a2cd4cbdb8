"""Groups of evaluation collections reported as one, as BEIR reports CQADupStack.

BEIR's CQADupStack is 12 StackExchange forums, each its own corpus, queries and judgments, and
BEIR (and Pyserini, and MTEB) report one number for it: the mean of the 12 forums' scores. In the
config each forum is an ordinary evaluation collection (ingested, searched, run and scored on its
own) that names its group::

    out_of_domain:
      - {dataset: beir-cqadupstack-android, split: test, group: beir-cqadupstack}
      - {dataset: beir-cqadupstack-english, split: test, group: beir-cqadupstack}
      ...

and the results see the group only: one column ``<group>/<split>`` (``beir-cqadupstack/test``) in
place of its members, counted once in its domain's average, whose metric file
``results/metrics/<group>/<split>/<system>.json`` the ``group_metrics`` rule writes from the
members' (:func:`average_metric_files`). Tables, figures, significance tests and expected-score
checks read that file like any other collection's, so none of them needs to know about groups.

What the group's metric file holds:

- ``metrics``: per measure, the mean of the members' means (BEIR's average: each forum weighs
  1/12 whatever its number of queries);
- ``per_query``: every member's per-query values, keyed ``<member dataset>/<query id>``, each
  multiplied by ``N / (K * n_member)`` (``N`` queries in all, ``K`` members): their mean is the
  group's mean above, so a paired test over these values (:mod:`synthrank.significance`) tests a
  difference of the number the table shows. ``per_query_weights`` has each member's factor, to
  recover the raw values;
- ``not_reported``: measures a member does not report (a rerank beyond its depth), left out of
  the group too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from synthrank.errors import SynthrankError
from synthrank.io import read_json

DOMAINS = ("in_domain", "out_of_domain")


def collection_name(collection: Mapping[str, Any]) -> str:
    """``<dataset>/<split>`` of an evaluation collection (a group entry: ``<group>/<split>``)."""
    return f"{collection['dataset']}/{collection['split']}"


def reported_collections(evaluation: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(domain, collection) of every column the results show, in config order.

    A collection without ``group`` is itself; the members of a group are replaced by one entry,
    at the first member's place, shaped like a collection (``dataset`` is the group's name) with
    the members' ``split``, ``metric`` and ``relevance_level`` and ``members``, their
    ``<dataset>/<split>`` names."""
    out: list[tuple[str, dict[str, Any]]] = []
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for domain in DOMAINS:
        for c in evaluation.get(domain, []):
            group = c.get("group")
            if not group:
                out.append((domain, dict(c)))
                continue
            key = (group, c["split"])
            if key not in seen:
                seen[key] = {k: v for k, v in c.items() if k != "group"} | {"dataset": group, "members": []}
                out.append((domain, seen[key]))
            seen[key]["members"].append(collection_name(c))
    return out


def group_members(evaluation: Mapping[str, Any]) -> dict[str, list[str]]:
    """``<group>/<split>`` -> its members' ``<dataset>/<split>``, in config order."""
    return {collection_name(c): c["members"] for _, c in reported_collections(evaluation) if "members" in c}


def check_groups(config: Mapping[str, Any], source: str = "config") -> None:
    """The members of a group share split, domain, measure and relevance level; a group is no
    dataset's name (its column would be that dataset's) and has at least two members."""
    datasets = config["datasets"]
    first: dict[str, tuple[str, str, Mapping[str, Any]]] = {}
    counts: dict[str, int] = {}
    for domain in DOMAINS:
        for i, c in enumerate(config["evaluation"].get(domain, [])):
            group = c.get("group")
            if not group:
                continue
            where = f"{source}: evaluation.{domain}.{i}.group"
            if group in datasets:
                raise SynthrankError(f"{where}: {group!r} is a dataset's name; a group needs a name of its own")
            counts[group] = counts.get(group, 0) + 1
            if group not in first:
                first[group] = (domain, f"evaluation.{domain}.{i}", c)
                continue
            domain0, where0, c0 = first[group]
            for key in ("split", "metric", "relevance_level"):
                if c.get(key) != c0.get(key):
                    raise SynthrankError(
                        f"{where}: {key} {c.get(key)!r} differs from {c0.get(key)!r} of {where0}, "
                        f"the first collection of group {group!r} (a group's members are one column)"
                    )
            if domain != domain0:
                raise SynthrankError(f"{where}: group {group!r} is also in {domain0} ({where0}): one domain per group")
    for group, count in counts.items():
        if count < 2:
            raise SynthrankError(f"{source}: evaluation: group {group!r} has one collection; a group averages several")


def average_metric_files(members: Mapping[str, str], group: str) -> dict[str, Any]:
    """The metric file of a group from its members' (``<dataset>/<split>`` -> metric file path).

    See the module docstring for what it holds."""
    if not members:
        raise SynthrankError(f"group {group}: no member metric files")
    data = {name: read_json(path) for name, path in members.items()}
    names = list(data)
    measures = [m for m in data[names[0]].get("metrics", {}) if all(m in d.get("metrics", {}) for d in data.values())]
    not_reported: dict[str, str] = {}
    for name, d in data.items():
        for m, why in (d.get("not_reported") or {}).items():
            not_reported.setdefault(m, f"{name}: {why}")
        for m in d.get("metrics", {}):
            if m not in measures and m not in not_reported:
                lacking = [n for n in names if m not in data[n].get("metrics", {})]
                not_reported[m] = f"not reported by every member ({', '.join(lacking)})"
    sizes = {}
    for name, d in data.items():
        per_query = d.get("per_query", {})
        counts = {len(per_query.get(m, {})) for m in measures}
        if len(counts) != 1 or 0 in counts:
            raise SynthrankError(f"{members[name]}: per-query values missing or uneven (re-run its evaluation)")
        sizes[name] = counts.pop()
    total, k = sum(sizes.values()), len(names)
    weights = {name: total / (k * n) for name, n in sizes.items()}
    per_query: dict[str, dict[str, float]] = {}
    for m in measures:
        values: dict[str, float] = {}
        for name in names:
            dataset = name.rsplit("/", 1)[0]
            for qid, value in data[name]["per_query"][m].items():
                values[f"{dataset}/{qid}"] = float(value) * weights[name]
        per_query[m] = values
    return {
        "group": group,
        "members": dict(members),
        "averaging": "metrics: the mean of the members' means (BEIR's); per_query: each member's values x "
        "per_query_weights[member] = N / (members x member's queries), so that their mean is the group's",
        "num_queries": total,
        "num_queries_answered": sum(int(d.get("num_queries_answered", 0)) for d in data.values()),
        "relevance_level": data[names[0]].get("relevance_level"),
        "rerank_depth": data[names[0]].get("rerank_depth"),
        "not_reported": not_reported,
        "metrics": {m: round(sum(float(data[n]["metrics"][m]) for n in names) / k, 6) for m in measures},
        "per_query_weights": weights,
        "per_query": per_query,
    }


def member_files(members: Sequence[str], system: str) -> dict[str, str]:
    """Member ``<dataset>/<split>`` -> its metric file for ``system`` (a metric file's path tail)."""
    return {name: f"results/metrics/{name}/{system}.json" for name in members}
