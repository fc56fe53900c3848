# Every target bootstraps .venv from the pinned requirements first; a fresh machine needs only
# python3 (3.11+), node/npm and make.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: all venv test lint typecheck unit contract integration infrastructure e2e browser chromium demo bench synth deploy layer catalogue clean

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

# The store port's contract: the same cases on the in-memory fake and on DynamoDB (moto).
contract: $(STAMP)
	$(BIN)/pytest tests/contract

integration: $(STAMP)
	$(BIN)/pytest tests/integration

infrastructure: $(STAMP)
	$(BIN)/pytest tests/infrastructure

e2e: $(STAMP)
	$(BIN)/pytest tests/e2e

browser: $(STAMP) chromium
	$(BIN)/pytest tests/browser

# The browser tests drive Debian's Chromium (Playwright's own download is not used): installed here
# when missing and we may; otherwise tests/browser is skipped, and said so loudly.
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		fi; \
	fi
	@if [ ! -x $(CHROMIUM) ]; then \
		echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
		echo "!!! $(CHROMIUM) is missing and could not be installed (needs root + apt):"; \
		echo "!!! the browser tests (tests/browser, R28) will be SKIPPED."; \
		echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
	fi

# R30: the one message catalogue. Extracts the message ids (the `N_` marks of catalogue.py), adds new
# ones to each language's .po (empty: translate fi and sv by hand; English says the id itself), drops
# the ones the code no longer says, compiles the .mo files and writes the page's JSON (the `web` domain).
# tests/unit/test_catalogue.py fails on a missing translation or a stale .mo.
LOCALES := layers/common/python/autodispatch/locales
# The second, small domain: typer's and its click's own words ("Usage:", "Options", "No such option")
# in fi and sv (cli/autodispatch_cli/speaking.py); English is their own text.
CLI_LOCALES := cli/autodispatch_cli/locales
TYPER = $(shell $(BIN)/python -c 'import os, typer; print(os.path.dirname(typer.__file__))')
catalogue: $(STAMP)
	$(BIN)/pybabel --quiet extract --no-default-keywords --keyword N_ --no-location --sort-output --no-wrap \
		--project autodispatch --omit-header -o $(LOCALES)/autodispatch.pot layers/common/python/autodispatch/i18n/catalogue.py
	$(BIN)/pybabel --quiet update --domain autodispatch --input-file $(LOCALES)/autodispatch.pot \
		--output-dir $(LOCALES) --no-fuzzy-matching --ignore-obsolete --no-wrap --ignore-pot-creation-date
	$(BIN)/python -m autodispatch_cli.english_catalogue
	$(BIN)/pybabel compile --domain autodispatch --directory $(LOCALES) --statistics
	$(BIN)/python -m autodispatch_cli.web_catalogue
	$(BIN)/pybabel --quiet extract --no-default-keywords --keyword _ --keyword N_ --no-location --sort-output --no-wrap \
		--project autodispatch --omit-header -o $(CLI_LOCALES)/typer.pot \
		$(TYPER)/core.py $(TYPER)/rich_utils.py cli/autodispatch_cli/speaking.py cli/autodispatch_cli/localized.py
	for language in fi sv; do \
		test -f $(CLI_LOCALES)/$$language/LC_MESSAGES/typer.po || \
			$(BIN)/pybabel --quiet init --domain typer --locale $$language --input-file $(CLI_LOCALES)/typer.pot \
				--output-dir $(CLI_LOCALES) --no-wrap; \
	done
	$(BIN)/pybabel --quiet update --domain typer --input-file $(CLI_LOCALES)/typer.pot --output-dir $(CLI_LOCALES) \
		--no-fuzzy-matching --ignore-obsolete --no-wrap --ignore-pot-creation-date
	$(BIN)/pybabel compile --domain typer --directory $(CLI_LOCALES) --statistics

test: lint typecheck $(STAMP) chromium
	$(BIN)/pytest -n 2

demo: $(STAMP)
	$(BIN)/autodispatch local run --scenario examples/demo-scenario.json \
		--date 2026-03-10 --date 2026-03-11 --out out/demo

bench: $(STAMP)
	$(BIN)/python -m benchmarks notify --tenants 300 --failed 3000
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
