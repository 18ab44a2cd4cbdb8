"""What the experiment grid compares: corpus facets, reference corpora and the rows of each table.

Everything here is a pure function of the (validated) config, so the rules can call it while
Snakemake parses the workflow and the unit tests can call it on plain dicts.

Corpus facets:

- ``paradigm``: ``human``, ``zero-shot``, ``few-shot-unsupervised``, ``few-shot-supervised`` or
  ``mixture``;
- ``generators``: the generator(s) behind the passages (a mixture: those of its components);
- ``size``: the number of training queries the corpus covers, ``None`` meaning every training
  query (``training.max_queries`` if set, else all judged ones). A corpus's own ``queries: N``
  takes the first N of the seeded training-query order; a mixture component
  ``{corpus: c, queries: N, offset: M}`` queries M..M+N of ``c``. All corpora draw from the same
  order, so a mixture's size is the number of distinct training queries its slices cover together
  (``human`` 1k + ``few-shot`` 1k from query 1000: 2000);
- ``negatives``: where its training set's hard negatives come from (``human``, ``corpus`` or
  ``both``; :func:`negatives_settings`). A mixture of one whole corpus is a copy of it
  (:func:`copy_of`): the same passages, trained with other settings.

The reference of a corpus is the human corpus (paradigm ``human``) of the same size; the tables
test every other corpus against it, model by model (same architecture). A corpus without a
human corpus of its size is shown without a test.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from synthrank.errors import SynthrankError
from synthrank.groups import collection_name, reported_collections
from synthrank.paradigms import DEFAULT_NEGATIVES, HUMAN, MIXTURE, NAMES

#: the order tables and figures show paradigms in (that of :mod:`synthrank.paradigms`)
PARADIGM_ORDER = NAMES
#: the positives facet of a corpus whose passages a generator wrote (a human corpus's: ``human``)
GENERATED_POSITIVES = "generated"


@dataclass(frozen=True)
class Component:
    corpus: str
    queries: int | None  # None: the whole component corpus (from ``offset`` on)
    offset: int = 0  # the first query of the slice, in the seeded training-query order


@dataclass(frozen=True)
class Facets:
    name: str
    paradigm: str
    generators: tuple[str, ...]
    size: int | None  # training queries; None: every training query
    components: tuple[Component, ...] = field(default=())
    # a small-corpus setting: it, or one of its components, has fewer queries than the grid's full size
    limited: bool = False
    negatives: str = DEFAULT_NEGATIVES  # where its training set's hard negatives come from (:func:`negatives_settings`)
    # whose passages are its positives: "human", "generated", or a mixture's, e.g. "human + generated"
    positives: str = HUMAN

    @property
    def size_label(self) -> str:
        return "all" if self.size is None else str(self.size)


def _min_size(*sizes: int | None) -> int | None:
    known = [s for s in sizes if s is not None]
    return min(known) if known else None


def covered(slices: Sequence[tuple[int, int | None]]) -> int | None:
    """How many distinct queries of the training order the slices ``[start, end)`` cover together
    (end None: to the last training query, so the count is every training query, None)."""
    if any(end is None for _, end in slices):
        return None
    total, reach = 0, 0
    for start, end in sorted(slices):  # type: ignore[type-var]
        assert end is not None
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total


def _slice(part: Component, inner_size: int | None) -> tuple[int, int | None]:
    """The ``[start, end)`` of the training order a component contributes (within its corpus's size)."""
    end = inner_size if part.queries is None else _min_size(part.offset + part.queries, inner_size)
    return part.offset, end


def _components(name: str, spec: Mapping[str, Any]) -> tuple[Component, ...]:
    parts = []
    for i, item in enumerate(spec.get("components") or []):
        if isinstance(item, str):
            parts.append(Component(item, None))
        elif isinstance(item, Mapping) and "corpus" in item:
            parts.append(Component(str(item["corpus"]), item.get("queries"), int(item.get("offset", 0))))
        else:
            raise SynthrankError(f"config: corpora.{name}.components.{i}: give a corpus name or {{corpus, queries}}")
    if not parts:
        raise SynthrankError(f"config: corpora.{name}: a mixture needs components")
    return tuple(parts)


def corpus_facets(
    corpora: Mapping[str, Mapping[str, Any]], max_queries: int | None = None, negatives: str = DEFAULT_NEGATIVES
) -> dict[str, Facets]:
    """Facets of every configured corpus (``corpora``, ``training.max_queries`` and
    ``training.hard_negatives.source`` of the config: ``negatives``, what a corpus without its own
    ``negatives.source`` uses)."""
    facets: dict[str, Facets] = {}
    # the grid's full size: every training query (max_queries, or all) unless every corpus that is
    # not a mixture names its size; then the largest of them (the thesis: 10,000 queries)
    sizes = [spec.get("queries") for spec in corpora.values() if spec.get("paradigm") != MIXTURE]
    full = max_queries
    if sizes and all(size is not None for size in sizes):
        full = _min_size(max(sizes), max_queries)

    def cut(size: int | None) -> bool:
        return size is not None and (full is None or size < full)

    def resolve(name: str, stack: tuple[str, ...]) -> Facets:
        if name in facets:
            return facets[name]
        if name not in corpora:
            raise SynthrankError(f"config: corpora.{stack[-1]}.components: {name!r} is not defined under corpora")
        if name in stack:
            raise SynthrankError(f"config: corpora.{name}: a mixture cannot contain itself")
        spec = corpora[name]
        paradigm = spec["paradigm"]
        own = _min_size(spec.get("queries"), max_queries)
        source = (spec.get("negatives") or {}).get("source", negatives)
        if paradigm != MIXTURE:
            gens = (spec["generator"],) if spec.get("generator") else ()
            positives = HUMAN if paradigm == HUMAN else (GENERATED_POSITIVES if gens else paradigm)
            facets[name] = Facets(name, paradigm, gens, own, limited=cut(own), negatives=source, positives=positives)
            return facets[name]
        parts = _components(name, spec)
        slices: list[tuple[int, int | None]] = []
        gens: list[str] = []
        kinds: list[str] = []
        limited = False
        for part in parts:
            inner = resolve(part.corpus, (*stack, name))
            kinds.append(inner.positives)
            slices.append(_slice(part, _min_size(inner.size, max_queries)))
            gens.extend(inner.generators)
            part_size = None if slices[-1][1] is None else slices[-1][1] - slices[-1][0]
            limited = limited or inner.limited or cut(part_size)
        size = _min_size(covered(slices), own)
        facets[name] = Facets(
            name,
            MIXTURE,
            tuple(dict.fromkeys(gens)),
            size,
            parts,
            limited or cut(size),
            negatives=source,
            positives=" + ".join(dict.fromkeys(kinds)),
        )
        return facets[name]

    for name in corpora:
        resolve(name, ())
    return {name: facets[name] for name in corpora}


def reference_corpora(facets: Mapping[str, Facets]) -> dict[str, str | None]:
    """Each non-human corpus -> the first human corpus of the same size (None if there is none)."""
    humans: dict[int | None, str] = {}
    for f in facets.values():
        if f.paradigm == HUMAN:
            humans.setdefault(f.size, f.name)
    return {name: humans.get(f.size) for name, f in facets.items() if f.paradigm != HUMAN}


# ---------------------------------------------------------------- hard negatives


def negatives_settings(config: Mapping[str, Any], corpus: str) -> dict[str, Any]:
    """A corpus's hard-negative settings (count, depth, seed, source): ``training.hard_negatives``
    with the corpus's own ``negatives`` over it. They are the params of its training set and its
    mining runs, so changing them reruns those, and that corpus's models, only."""
    training = config["training"].get("hard_negatives") or {}
    return {"source": DEFAULT_NEGATIVES, **training, **(config["corpora"][corpus].get("negatives") or {})}


def default_negatives(config: Mapping[str, Any]) -> str:
    """The hard-negative source of a corpus without its own (``training.hard_negatives.source``)."""
    return str((config["training"].get("hard_negatives") or {}).get("source", DEFAULT_NEGATIVES))


def mined_sources(source: str) -> tuple[str, ...]:
    """The BM25 candidate runs a hard-negative source reads: ``human`` the one over the training
    collection, ``corpus`` the one over the corpus's own passages, ``both`` the two."""
    return ("human", "corpus") if source == "both" else (source,)


def copy_of(facet: Facets) -> str | None:
    """The corpus whose passages a mixture of one whole corpus holds (a copy of it, trained under
    other settings, e.g. its own ``negatives``); None for every other corpus."""
    if facet.paradigm == MIXTURE and len(facet.components) == 1:
        part = facet.components[0]
        if part.queries is None and part.offset == 0:
            return part.corpus
    return None


def twin_of(facet: Facets, facets: Mapping[str, Facets]) -> str | None:
    """The corpus a whole copy holds where the copy takes its hard negatives from another source
    (:func:`copy_of`): the twin it is tested against, so that the two differ in their negatives
    alone (the negatives ablation's 2x2: human or generated positives x human or corpus
    negatives). None for every other corpus."""
    original = copy_of(facet)
    if original and original in facets and facets[original].negatives != facet.negatives:
        return original
    return None


def enriched_of(facet: Facets, facets: Mapping[str, Facets]) -> str | None:
    """The human corpus an enrichment cell enriches: a mixture with a human component slice of the
    first N training queries (from query 0) and a generated component, tested also against the
    human corpus of N queries (``human`` 1k + generated 1k..5k: ``human-1k``). None where the
    mixture has no such component, where it is the mixture's own reference (same size), or where
    the grid has no human corpus of N queries."""
    if facet.paradigm != MIXTURE or copy_of(facet):
        return None
    humans = [p for p in facet.components if p.offset == 0 and facets.get(p.corpus, facet).paradigm == HUMAN]
    if not humans or len(humans) == len(facet.components):
        return None
    part = humans[0]
    size = _min_size(part.queries, facets[part.corpus].size)
    if size == facet.size:
        return None  # the same-size reference already is the human corpus it enriches
    return next((f.name for f in facets.values() if f.paradigm == HUMAN and f.size == size), None)


#: the kinds of reference a corpus is tested against, in table order: the human corpus of the same
#: size (the tables' main marks), the untuned base model (bi-encoders), the human corpus an
#: enrichment cell enriches, the twin with the other hard-negative source
REFERENCE_KINDS = ("size", "untuned", "enriched", "twin")


def references(
    facets: Mapping[str, Facets], trained: Sequence[str], untuned: bool = False
) -> list[tuple[str, str, str]]:
    """(corpus, reference, kind) of every test of one architecture's corpora (``trained``, config
    order); a reference must be trained too. ``untuned``: the architecture's untuned base model is
    its floor (:func:`floor_of`), a second reference of every trained corpus."""
    size_refs = reference_corpora(facets)
    out = []
    for corpus in trained:
        candidates = {
            "size": size_refs.get(corpus),
            "untuned": "untuned" if untuned else None,
            "enriched": enriched_of(facets[corpus], facets),
            "twin": twin_of(facets[corpus], facets),
        }
        for kind in REFERENCE_KINDS:
            ref = candidates[kind]
            if ref and (ref == "untuned" or ref in trained):
                out.append((corpus, ref, kind))
    return out


def _passages(facet: Facets) -> object:
    """What a corpus's passages are: two corpora with the same value hold the same passages."""
    return copy_of(facet) or (facet.components if facet.paradigm == MIXTURE else facet.name)


# ---------------------------------------------------------------- tables

#: an architecture's baseline rows, in table order, and the setting that adds each: ``random`` (a
#: random order of a cross-encoder's candidates, the chance floor) and ``untuned`` (the base model)
BASELINES = {"random": "random_baseline", "untuned": "untuned_baseline"}


def baselines(arch_spec: Mapping[str, Any]) -> list[str]:
    """The baseline rows (``BASELINES``) an architecture's settings ask for, in table order."""
    return [name for name, key in BASELINES.items() if arch_spec.get(key)]


#: architecture settings that no training or inference job's params read: what the checkpoint
#: cards quote, and the base model's own training sets (``trained_on``, read by the tables)
ARCHITECTURE_CARD_SETTINGS = ("base_model_card", "trained_on")


def trained_on(arch_spec: Mapping[str, Any]) -> list[str]:
    """The datasets the architecture's base model was trained on (``trained_on``): an
    out-of-domain average without them is its "unseen" average (synthrank.claims)."""
    return [str(d) for d in arch_spec.get("trained_on") or []]


#: architecture kind -> the baseline row that is its floor (synthrank.training_check): a random
#: order of a cross-encoder's candidates, a bi-encoder's untuned base model
FLOORS = {"cross-encoder": "random", "bi-encoder": "untuned"}


def floor_of(arch_spec: Mapping[str, Any]) -> str | None:
    """The floor row of an architecture (``random`` or ``untuned``), None where its config has none."""
    name = FLOORS[arch_spec["kind"]]
    return name if arch_spec.get(BASELINES[name]) else None


@dataclass(frozen=True)
class TableSpec:
    """One effectiveness table: rows (arch, corpus) and columns (collections and domain averages)."""

    name: str
    title: str
    rows: tuple[tuple[str, str], ...]  # (arch, corpus); arch "bm25" with corpus "BM25" is BM25
    collections: tuple[str, ...]
    averages: tuple[str, ...]  # "ID" and/or "OOD"
    # among "paradigm", "generator", "queries", "components", "reference", "negatives", "positives"
    facet_columns: tuple[str, ...] = ()
    empty: str = ""  # why the table has no rows (then it is written with this one explanatory row)
    note: str = ""  # what the caption adds for this table (synthrank.report.table_caption)


EFFECTIVENESS_TABLES = (
    "cross-encoder-id",
    "cross-encoder-ood",
    "bi-encoder-id",
    "bi-encoder-ood",
    "mixtures",
    "small-corpus",
    "generators",
    "negatives",
)


def _collections(config: Mapping[str, Any], domain: str) -> tuple[str, ...]:
    """A domain's columns: its collections, a group of them as one (``<group>/<split>``, synthrank.groups)."""
    return tuple(collection_name(c) for d, c in reported_collections(config["evaluation"]) if d == domain)


def _archs(config: Mapping[str, Any], kind: str | None = None) -> list[str]:
    return [a for a, spec in config["architectures"].items() if kind is None or spec["kind"] == kind]


def arch_corpora(config: Mapping[str, Any], arch: str) -> list[str]:
    """The corpora an architecture is trained on, in config order (``architectures.<a>.corpora``,
    default every corpus)."""
    chosen = config["architectures"][arch].get("corpora")
    return [c for c in config["corpora"] if chosen is None or c in chosen]


def gpu_workload(config: Mapping[str, Any]) -> dict[str, Any]:
    """What the cost estimate's GPU-hours read from the config (synthrank.cost_estimate.gpu_hours):
    the models of each architecture, the corpora they train on, the test collections. No
    fetch-only generator setting and no card setting, so changing one reruns nothing."""
    corpora = config["corpora"]
    evaluation = config["evaluation"]
    return {
        "architectures": {
            name: {
                **{k: v for k, v in spec.items() if k not in ARCHITECTURE_CARD_SETTINGS},
                "corpora": arch_corpora(config, name),
            }
            for name, spec in config["architectures"].items()
        },
        "corpora": corpora,
        # of the generators a corpus uses: one no corpus uses changes nothing
        "samples_per_query": {
            name: config["generators"][name]["samples_per_query"]
            for name in dict.fromkeys(spec["generator"] for spec in corpora.values() if spec.get("generator"))
        },
        "seeds": config["seeds"],
        "max_queries": config["training"].get("max_queries"),
        "hard_negatives": config["training"]["hard_negatives"],
        "datasets": {
            name: {key: spec[key] for key in ("irds", "path") if key in spec}
            for name, spec in config["datasets"].items()
        },
        "collections": [f"{c['dataset']}/{c['split']}" for d in ("in_domain", "out_of_domain") for c in evaluation[d]],
    }


def _paradigm_rank(paradigm: str) -> int:
    return PARADIGM_ORDER.index(paradigm) if paradigm in PARADIGM_ORDER else len(PARADIGM_ORDER)


def _trained(config: Mapping[str, Any], corpora: Sequence[str]) -> list[tuple[str, str]]:
    """(arch, corpus) rows for the given corpora, each architecture with those it is trained on."""
    return [(arch, c) for arch in _archs(config) for c in corpora if c in arch_corpora(config, arch)]


def training_length_note(config: Mapping[str, Any], archs: set[str]) -> str:
    """What the mixtures table's caption says of training length: equal optimiser steps where every
    architecture of its rows has a step budget (``train.steps``), else which ones train by epochs
    (a mixture, holding more passages than its human reference, then takes more steps)."""
    by_epochs = sorted(a for a in archs if (config["architectures"][a].get("train") or {}).get("steps") is None)
    if not by_epochs:
        return (
            "Mixtures are compared at equal optimiser steps: every cell of an architecture trains the "
            "same train.steps at the same batch size, so a mixture holds more passages than its human "
            "reference, not more training."
        )
    return (
        f"Not at equal steps: {', '.join(by_epochs)} train(s) by epochs, so a mixture, holding more "
        "passages than its human reference, also takes more optimiser steps."
    )


def table_spec(name: str, config: Mapping[str, Any]) -> TableSpec:
    """Rows and columns of one named effectiveness table (see ``EFFECTIVENESS_TABLES``).

    A table whose category the grid lacks (no mixture corpora, no out-of-domain collection...)
    has no rows and says why in ``empty``: every table target exists for every config, so a
    report or a paper draft never points at a missing file.
    """
    default = default_negatives(config)
    facets = corpus_facets(config["corpora"], config["training"].get("max_queries"), default)
    refs = reference_corpora(facets)
    ident, ood = _collections(config, "in_domain"), _collections(config, "out_of_domain")
    every = ident + ood
    both = ("ID", "OOD") if ood else ("ID",)
    corpora = list(facets)

    def with_baselines(arch: str) -> list[tuple[str, str]]:
        rows = [(arch, name) for name in baselines(config["architectures"][arch])]
        return rows + [(arch, c) for c in arch_corpora(config, arch)]

    if name in ("cross-encoder-id", "cross-encoder-ood", "bi-encoder-id", "bi-encoder-ood"):
        kind, domain = name.rsplit("-", 1)
        archs = _archs(config, kind)
        columns = ident if domain == "id" else ood
        title = f"{kind}, {'in-domain' if domain == 'id' else 'out-of-domain'}"
        if not archs:
            return TableSpec(name, title, (), columns, (), empty=f"no {kind} architecture in this config")
        if not columns:
            return TableSpec(name, title, (), (), (), empty="no out-of-domain collection in this config")
        rows = [("bm25", "BM25")] + [row for arch in archs for row in with_baselines(arch)]
        return TableSpec(name, title, tuple(rows), columns, ("ID",) if domain == "id" else ("OOD",))

    if name == "mixtures":
        # a mixture of one whole corpus is a copy of it (the negatives table shows it)
        mixtures = [c for c in corpora if facets[c].paradigm == MIXTURE and not copy_of(facets[c])]
        if not mixtures:
            return TableSpec(name, "mixtures vs human", (), every, both, empty="no mixture corpus in this config")
        shown: list[str] = []
        for mix in mixtures:
            ref = refs.get(mix)
            parts = [p.corpus for p in facets[mix].components if p.queries is None]
            shown.extend([ref] if ref else [])
            shown.extend(parts)
        shown = list(dict.fromkeys(c for c in corpora if c in shown and c not in mixtures)) + mixtures
        rows = _trained(config, shown)
        note = training_length_note(config, {a for a, _ in rows if a != "bm25"})
        return TableSpec(name, "mixtures vs human", tuple(rows), every, both, ("components", "reference"), note=note)

    if name == "small-corpus":
        small = [c for c in corpora if facets[c].limited]
        title = "small corpora and enrichment"
        if not small:
            return TableSpec(name, title, (), every, both, empty="no size-limited corpus in this config")
        related = {refs.get(c) for c in small} | {c for c in corpora if facets[c].paradigm == HUMAN}
        shown = [c for c in corpora if c in small or c in related]
        big = max((facets[c].size or 0) for c in corpora) + 1
        shown.sort(key=lambda c: (facets[c].size or big, _paradigm_rank(facets[c].paradigm)))
        rows = _trained(config, shown)
        return TableSpec(name, title, tuple(rows), every, both, ("queries", "components", "reference"))

    if name == "generators":
        generated = [c for c in corpora if facets[c].paradigm not in (HUMAN, MIXTURE)]
        title = "generator comparison"
        if not generated:
            return TableSpec(name, title, (), every, both, empty="no generated corpus in this config")
        shown = [r for r in dict.fromkeys(refs.get(c) for c in generated) if r]
        generated.sort(key=lambda c: (_paradigm_rank(facets[c].paradigm), facets[c].generators, facets[c].size or 0))
        rows = _trained(config, shown + generated)
        return TableSpec(name, title, tuple(rows), every, both, ("paradigm", "generator", "queries"))

    if name == "negatives":
        title = "hard-negative source"
        other = [c for c in corpora if facets[c].negatives != default]
        if not other:
            why = f"no corpus takes its hard negatives from another source than the default ({default}) in this config"
            return TableSpec(name, title, (), every, both, empty=why)
        pairs = []
        for corpus in other:  # each next to the corpus with the same passages and the default source
            twins = [
                c
                for c in corpora
                if c != corpus and facets[c].negatives == default and _passages(facets[c]) == _passages(facets[corpus])
            ]
            pairs.append([*twins[:1], corpus])
        # the 2x2 (positives x negatives): human positives first, then generated ones, each pair
        # default source first; the order does not depend on the reference a row is tested against
        pairs.sort(key=lambda pair: facets[pair[-1]].positives != HUMAN)
        rows = _trained(config, list(dict.fromkeys(c for pair in pairs for c in pair)))
        note = (
            "Rows: the 2x2 of positives (human or generated passages) and hard negatives (human: "
            "the training collection's; corpus: BM25 over the corpus's own passages, label-free); "
            "each copy with the other negative source is tested against its twin (the same passages "
            "with the default source): the Δ twin columns, every collection's test in "
            "results/significance/claims/; the ↑/↓ marks compare with the human corpus of the same size."
        )
        return TableSpec(
            name, title, tuple(rows), every, both, ("positives", "negatives", "components", "reference"), note=note
        )

    raise SynthrankError(f"no table named {name!r} (known: {', '.join(EFFECTIVENESS_TABLES)})")


def facet_values(facet: Facets | None, columns: Sequence[str], reference: str | None = None) -> dict[str, str]:
    """The facet columns of one table row (baselines have none); ``reference``: the human corpus the
    row is tested against (:func:`reference_corpora`), None when the grid has none of its size."""
    if facet is None:
        return dict.fromkeys(columns, "")
    # a human corpus is the reference of its size ("-")
    missing = f"none: no human corpus of {facet.size_label} queries"
    tested = "-" if facet.paradigm == HUMAN else reference or missing
    values = {
        "reference": tested,
        "paradigm": facet.paradigm,
        "generator": ", ".join(facet.generators) or "-",
        "queries": facet.size_label,
        "negatives": facet.negatives,
        "positives": facet.positives,
        "components": " + ".join(
            f"{p.corpus}"
            + ("" if p.queries is None else f" ({p.queries})")
            + ("" if not p.offset else f" from query {p.offset}")
            for p in facet.components
        )
        or "-",
    }
    return {c: values[c] for c in columns}


def numeric_sizes(facets: Mapping[str, Facets], counted: Mapping[str, int]) -> dict[str, int]:
    """Training queries per corpus as a number, for plots.

    A size the config fixes is used as is; "all" becomes the number of queries the corpus's
    stats ledger counted (``counted``: corpus -> ledger ``queries``, non-mixtures); a mixture
    covers the distinct queries of its components' slices together."""
    sizes: dict[str, int] = {}
    for name, f in facets.items():
        if f.paradigm != MIXTURE:
            sizes[name] = f.size if f.size is not None else int(counted[name])
    for name, f in facets.items():
        if f.paradigm == MIXTURE:
            together = covered([_slice(p, sizes.get(p.corpus, 0)) for p in f.components]) or 0
            sizes[name] = _min_size(together, f.size) or 0
    return sizes


def series_label(facet: Facets) -> str:
    """A corpus family for plots: its paradigm and generator(s), e.g. ``zero-shot / gpt-4.1-mini``,
    and its hard-negative source where it is not the thesis default (``..., corpus negatives``)."""
    label = f"{facet.paradigm} / {', '.join(facet.generators)}" if facet.generators else facet.paradigm
    # corpora of one family mined another way are another series (the thesis default is unmarked)
    return label if facet.negatives == DEFAULT_NEGATIVES else f"{label}, {facet.negatives} negatives"


def order_collections(config: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The evaluation collections whose judged query texts the training-query order leaves out
    (``training.exclude_evaluation_queries``): ``all`` every one, in and out of domain (adding a
    collection then replans the corpus jobs, which read its queries); ``held_out`` those of
    :func:`held_out_collections` only (adding an out-of-domain collection changes no corpus)."""
    if config["training"].get("exclude_evaluation_queries", "all") == "held_out":
        return held_out_collections(config)
    evaluation = config["evaluation"]
    return [c for d in ("in_domain", "out_of_domain") for c in evaluation[d]]


def held_out_collections(config: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The evaluation collections kept out of training data (``training.held_out``: dataset names;
    absent, the training dataset alone): their query texts are excluded from the exemplar pool and
    their judged passages from few-shot-unsupervised exemplars. Only these evaluation files are
    inputs of corpus jobs, so adding an out-of-domain collection changes no corpus."""
    training = config["training"]
    held = set(training.get("held_out", [training["dataset"]]))
    evaluation = config["evaluation"]
    return [c for d in ("in_domain", "out_of_domain") for c in evaluation[d] if c["dataset"] in held]
