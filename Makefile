# Every target bootstraps .venv from the pinned requirements first; a fresh machine needs only
# python3 (3.11+), node/npm and make.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: all venv test lint typecheck unit integration infrastructure e2e demo bench synth deploy layer clean

all: test

venv: $(STAMP)

$(STAMP): requirements/dev.txt requirements/lambda.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements/dev.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy layers/common/python/autodispatch functions cli cdk tests/fakes

unit: $(STAMP)
	$(BIN)/pytest tests/unit

integration: $(STAMP)
	$(BIN)/pytest tests/integration

infrastructure: $(STAMP)
	$(BIN)/pytest tests/infrastructure

e2e: $(STAMP)
	$(BIN)/pytest tests/e2e

test: lint typecheck $(STAMP)
	$(BIN)/pytest -n 2

demo: $(STAMP)
	$(BIN)/autodispatch local run --scenario examples/demo-scenario.json \
		--date 2026-03-10 --date 2026-03-11 --out out/demo

bench: $(STAMP)
	$(BIN)/python -m benchmarks

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

synth: $(STAMP) node_modules/.package-lock.json
	PATH="$(CURDIR)/$(BIN):$$PATH" npx cdk synth --quiet
	$(BIN)/cfn-lint --ignore-checks W -- cdk.out/*.template.json

layer: $(STAMP)
	$(BIN)/python -m cdk.layer_build

deploy: $(STAMP) node_modules/.package-lock.json
	PATH="$(CURDIR)/$(BIN):$$PATH" npx cdk deploy

clean:
	rm -rf $(VENV) cdk.out build node_modules out .mypy_cache .ruff_cache .hypothesis
