# Inputs and params of the reproduction rules (rules/reproduce.smk, which includes this file):
# the bundle a reproduction compares with (reproduce.bundle, set by `synthrank reproduce`), the
# results level 1 rebuilds, the cells level 2 retrains.
from synthrank.reproduce import select_cells

REPRODUCE = config["reproduce"]


def rebuilt_results():
    """What level 1 rebuilds and compares: every table, figure and check, the significance tests
    and the seed variance (the results bundle's published files)."""
    return (
        report_targets()
        + [f"results/significance/{arch}.csv" for arch in ARCHS]
        + claims_files(ARCHS)
        + floor_test_files(ARCHS)
        + [SEED_VARIANCE]
    )


def reproduced_entries():
    """The metric entries of the trained models level 2 retrains (reproduce.cells; all if empty)."""
    try:
        cells = select_cells(trained_models(), REPRODUCE["cells"])
    except SynthrankError as exc:
        sys.exit(f"synthrank: config: {exc}")
    chosen = set(cells)
    return [
        e for e in trained_entries() if (e["arch"], e["corpus"], e["seed"]) in chosen
    ]


def reproduced_floors():
    """The metric entries of the floor rows (FLOORS) on the collections of the retrained cells,
    read from the bundle: a cell is conclusive when its floor lies outside its tolerance.
    """
    cells = {(e["arch"], e["collection"]) for e in reproduced_entries()}
    return [
        e
        for e in metric_entries()
        if (e["arch"], e["collection"]) in cells
        and e["corpus"] == FLOORS.get(e["arch"])
    ]
