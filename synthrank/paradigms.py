"""The passage-corpus paradigms: the one list of their names and what each one is.

Everything that names a paradigm takes it from here: the config schema's enum (filled in by
:mod:`synthrank.config`), the corpus builders (:mod:`synthrank.corpora`), the grid and its plot
order (:mod:`synthrank.grid`), the release cards (:mod:`synthrank.release`) and the corpus rules
(``rules/corpora.smk``). So does every name of a hard-negative source (:data:`NEGATIVE_SOURCES`,
the schema's other enum filled in from here). Imports nothing, so any module (and the Snakefile)
can read it.
"""

from __future__ import annotations

from dataclasses import dataclass

HUMAN = "human"
ZERO_SHOT = "zero-shot"
FEW_SHOT_UNSUPERVISED = "few-shot-unsupervised"
FEW_SHOT_SUPERVISED = "few-shot-supervised"
MIXTURE = "mixture"
RELEASE = "release"


@dataclass(frozen=True)
class Paradigm:
    """What a paradigm is.

    ``generated``: an LLM writes its passages (it needs a generator and a prompt template);
    ``exemplars``: what its prompt shows besides the query (``None``; ``passages``: raw corpus
    passages; ``pairs``: labelled (query, passage) pairs); ``keys``: the corpus settings it takes
    besides ``paradigm``; ``description``: one line for dataset cards and docs.
    """

    name: str
    generated: bool
    exemplars: str | None
    keys: frozenset[str]
    description: str


#: corpus settings that shape its training set, not its passages: they reach the training-set
#: rule only (a corpus job's params leave them out, so changing them regenerates nothing)
TRAINING_KEYS = frozenset({"negatives"})
_GENERATION_KEYS = frozenset({"generator", "template", "queries", "samples_per_query"}) | TRAINING_KEYS

#: every paradigm, in the order tables and figures show them
PARADIGMS: dict[str, Paradigm] = {
    p.name: p
    for p in (
        Paradigm(
            HUMAN,
            generated=False,
            exemplars=None,
            keys=frozenset({"queries"}) | TRAINING_KEYS,
            description="the judged-relevant passages of the training queries, as the source collection has them",
        ),
        Paradigm(
            ZERO_SHOT,
            generated=True,
            exemplars=None,
            keys=_GENERATION_KEYS,
            description="an LLM wrote one passage per query from a prompt that holds the query only",
        ),
        Paradigm(
            FEW_SHOT_UNSUPERVISED,
            generated=True,
            exemplars="passages",
            keys=_GENERATION_KEYS | {"exemplars"},
            description="an LLM wrote one passage per query from a prompt that holds the query and "
            "k raw passages sampled from the training collection (no queries) as style exemplars",
        ),
        Paradigm(
            FEW_SHOT_SUPERVISED,
            generated=True,
            exemplars="pairs",
            keys=_GENERATION_KEYS | {"exemplars"},
            description="an LLM wrote one passage per query from a prompt that holds the query and "
            "k human (query, passage) pairs from a labelled exemplar pool disjoint from the training and "
            "evaluation queries",
        ),
        Paradigm(
            MIXTURE,
            generated=False,
            exemplars=None,
            keys=frozenset({"components"}) | TRAINING_KEYS,
            description="the concatenation of other corpora, each cut to a slice of the training-query order",
        ),
        Paradigm(
            RELEASE,
            generated=False,
            exemplars=None,
            keys=frozenset({"path"}) | TRAINING_KEYS,
            description="a released corpus read back from its release folder, byte for byte",
        ),
    )
}

#: every paradigm name
NAMES: tuple[str, ...] = tuple(PARADIGMS)
#: the paradigms whose passages an LLM writes
GENERATED: tuple[str, ...] = tuple(name for name, p in PARADIGMS.items() if p.generated)

#: where a training set's hard negatives come from (``training.hard_negatives.source``, a corpus's
#: ``negatives.source``): BM25's top ``depth`` for the query, then a seeded sample
NEGATIVE_SOURCES: dict[str, str] = {
    "human": "BM25 over the human training collection, minus the passages the training qrels judge for the query",
    "corpus": "label-free: BM25 over the corpus's own passages, minus the query's own passage(s)",
    "both": "the two lists merged alternately by rank (each minus what either excludes), cut to depth",
}
#: the thesis setting (the schema's default)
DEFAULT_NEGATIVES = "human"
