# The Glue data platform's commands. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
CHECKOV_VENV := .venv-checkov
APPS := infrastructure_repo applications_repo

export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export SPARK_LOCAL_IP := 127.0.0.1
export PYSPARK_PYTHON := $(CURDIR)/$(BIN)/python

.PHONY: help prerequisites setup browser run ui test chaos bench docs diagrams lint format synth check-infrastructure post-deploy-test clean

help: ## List the commands
	@printf 'Glue data platform. Two commands do everything on a laptop:\n\n'
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

prerequisites:
	@bash scripts/check-prerequisites.sh "$(PYTHON)"

$(BIN)/.installed: pyproject.toml requirements.lock | prerequisites
	@echo "Setting up $(VENV) from requirements.lock"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -qq --disable-pip-version-check "$$(grep -E '^uv==' requirements.lock | cut -d' ' -f1)"
	@$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python requirements.lock
	@$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $@

$(CHECKOV_VENV)/.installed: requirements-checkov.lock $(BIN)/.installed
	@echo "Setting up $(CHECKOV_VENV) (checkov, apart: it pins an older boto3)"
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	@$(BIN)/uv pip sync --quiet --compile-bytecode --python $(CHECKOV_VENV)/bin/python requirements-checkov.lock
	@touch $@

node_modules/.installed: package.json package-lock.json | prerequisites
	@echo "Installing the CDK CLI and asl-validator from package-lock.json"
	@npm ci --no-audit --no-fund --silent
	@touch $@

setup: $(BIN)/.installed $(CHECKOV_VENV)/.installed node_modules/.installed ## Create or refresh .venv, .venv-checkov and node_modules

run: setup ## Run the dev stage end to end on a local AWS (moto) and local Spark; FILE=... for yours
	@$(BIN)/gdp run $(FILE)

ui: setup ## Build jobs-api's web UI and serve it with its local API on the local stage (prints the URL; Ctrl-C stops)
	@$(BIN)/gdp run --app jobs-api --keep

CHROMIUM := /usr/bin/chromium

browser: ## Install Debian's Chromium (apt) for the browser tests, if missing
	@test -x $(CHROMIUM) || { echo "Installing Chromium for the browser tests (apt-get install chromium)"; \
		$$(command -v sudo) apt-get install -y --no-install-recommends chromium >/dev/null \
		|| { $$(command -v sudo) apt-get update -qq && $$(command -v sudo) apt-get install -y --no-install-recommends chromium >/dev/null; }; }

test: setup browser ## ruff, mypy, then every test (unit, Spark, CDK with cdk-nag/cfn-lint/checkov, deployability, integration, the browser) on three workers
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .
	@$(BIN)/mypy
	@$(BIN)/pytest --numprocesses 3 --dist loadfile

SEED ?= 1
INPUTS ?= 1000

chaos: setup ## Feed every application on the local stage while faults are injected, recover, audit that nothing is lost or duplicated (SEED=1 INPUTS=1000)
	@$(BIN)/gdp chaos --seed $(SEED) --inputs $(INPUTS)

bench: setup ## Benchmark FileProcessor (DuckDB, pyarrow, naive Spark), the NDJSON batch job, parquet-to-json, jobs-api's local API and the soak of 1,000 and 10,000 inputs (SIZES="100 500 2000" REPEATS=3 SOAK="1000 10000")
	@$(BIN)/python -m benchmarks.run $(if $(SIZES),--sizes $(SIZES)) $(if $(REPEATS),--repeats $(REPEATS))
	@$(BIN)/python -m benchmarks.ndjson $(if $(REPEATS),--repeats $(REPEATS))
	@$(BIN)/python -m benchmarks.parquet_to_json $(if $(REPEATS),--repeats $(REPEATS))
	@$(BIN)/python -m benchmarks.jobs_api
	@$(BIN)/python -m benchmarks.soak $(if $(SOAK),--sizes $(SOAK))

docs: setup ## Regenerate docs/configuration.md and docs/security.md from the code
	@$(BIN)/gdp docs

diagrams: setup ## Draw docs/diagrams/*.png from the synthesized templates (installs Graphviz with apt if missing)
	@command -v dot >/dev/null || { echo "Installing Graphviz (apt-get install graphviz)"; \
		$$(command -v sudo) apt-get install -y --no-install-recommends graphviz >/dev/null; }
	@$(BIN)/gdp diagrams

lint: setup ## ruff (lint and format check), mypy, then synth both apps through cdk-nag, cfn-lint and checkov
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .
	@$(BIN)/mypy
	@$(BIN)/gdp synth

format: setup ## Apply ruff's fixes and formatting
	@$(BIN)/ruff check --fix .
	@$(BIN)/ruff format .

synth: setup ## Synthesize the CDK apps into each app's cdk.out/ (APP=infrastructure for one)
	@$(BIN)/gdp synth $(if $(APP),--app $(APP))

check-infrastructure: setup ## Stop unless STAGE's infrastructure is as new as the applications need (pipeline pre-step)
	@test -n "$(STAGE)" || { echo "usage: make check-infrastructure STAGE=dev|prod"; exit 2; }
	@$(BIN)/gdp infrastructure check --stage $(STAGE)

post-deploy-test: setup ## Test a deployed stage: make post-deploy-test APP=infrastructure STAGE=dev
	@test -n "$(APP)" -a -n "$(STAGE)" || { echo "usage: make post-deploy-test APP=infrastructure|applications STAGE=dev|prod"; exit 2; }
	@$(BIN)/pytest tests/post_deploy/test_$(APP).py --stage $(STAGE) -p no:cacheprovider

clean: ## Remove the environments, cloud assemblies and caches
	rm -rf $(VENV) $(CHECKOV_VENV) node_modules .local-run $(addsuffix /cdk.out,$(APPS)) .pytest_cache .ruff_cache build
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
