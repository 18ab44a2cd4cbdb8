# synthrank: `make demo` runs the embedded demo end to end; `make test` runs the test suite.
# Both create .venv (Python 3.11+) and install the project into it first.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
CORES  ?= 2
# torch is installed first and pinned: on a machine without torch, pip would otherwise pick
# whatever build the resolver likes. Override for a CUDA cluster, e.g. TORCH="torch==2.13.0".
TORCH  ?= torch==2.13.0
STAMP  := $(VENV)/.synthrank-installed
SNAKEMAKE := $(BIN)/snakemake
export NUMBA_CACHE_DIR := $(CURDIR)/.cache/numba

.DEFAULT_GOAL := help
.PHONY: help install demo test lint format dry-run clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml envs/constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q "$(TORCH)"
	$(BIN)/python -m pip install -q -c envs/constraints.txt -e ".[dev]"
	@touch $@

install: $(STAMP) ## create .venv and install synthrank with its tools

demo: $(STAMP) ## run the offline demo workflow: table in results/tables, figure in figures/
	$(SNAKEMAKE) --workflow-profile profiles/demo --cores $(CORES)
	@echo; cat results/tables/overview.md; echo; echo "figure: figures/id-vs-ood.png"

test: $(STAMP) ## run the test suite (unit tests, the demo end to end, real data if ../shared/data exists)
	$(BIN)/pytest

lint: $(STAMP) ## ruff, snakefmt --check and snakemake --lint
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/snakefmt --check Snakefile rules
	$(SNAKEMAKE) --lint --configfile config/demo.yaml

format: $(STAMP) ## format Python and Snakemake files
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIN)/snakefmt Snakefile rules

dry-run: $(STAMP) ## dry-run the whole thesis grid (config/config.yaml)
	$(SNAKEMAKE) -n --quiet rules

clean: ## remove the demo's and the workflow's outputs (keeps .venv and the LLM request cache)
	rm -rf results/datasets results/indexes results/runs results/metrics results/corpora \
	  results/trainsets results/models results/tables figures/*.png figures/*.pdf \
	  figures/*.provenance.json logs benchmarks
