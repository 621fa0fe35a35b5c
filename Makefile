# Every target installs what it needs into .venv first, so a fresh clone needs
# only Python 3.10+ and make.
PYTHON ?= python3
# pytest-cov's options for `make coverage` (and CI's `make test`); the floor is
# [tool.coverage.report] fail_under in pyproject.toml.
COVERAGE_ARGS := --cov --cov-report=term
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EMULATOR_PORT ?= 8765
DEMO_PORT ?= 8000
# The demo emulator's state file (Items, tokens, transactions, keys survive a restart);
# `make demo EMULATOR_STATE=` keeps the state in memory only.
EMULATOR_STATE ?= example_project/.emulator-state.json

.PHONY: help install demo test test-postgres coverage lint fmt docs dist clean

help:  ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-15s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)  ## Create .venv and install the package with its dev tools

demo: $(STAMP)  ## Run the example project against the Plaid emulator (SQLite, no credentials)
	$(BIN)/python scripts/demo.py --port $(DEMO_PORT) --emulator-port $(EMULATOR_PORT) \
		--emulator-state "$(EMULATOR_STATE)"

test: $(STAMP)  ## Run the whole test suite on SQLite
	$(BIN)/pytest $(PYTEST_ARGS)

test-postgres: $(STAMP)  ## Run the whole test suite on PostgreSQL (DATABASE_URL, default local "test")
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} $(BIN)/pytest $(PYTEST_ARGS)

coverage: $(STAMP)  ## Run the suite on SQLite and measure coverage (fails below the floor)
	$(BIN)/pytest $(COVERAGE_ARGS) $(PYTEST_ARGS)

# .pre-commit-config.yaml and tox's lint environment run these same commands.
lint: $(STAMP)  ## ruff, mypy, a check that migrations match the models, the import contracts
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy django_plaid
	DJANGO_SETTINGS_MODULE=tests.settings $(BIN)/django-admin makemigrations django_plaid --check --dry-run --pythonpath .
	$(BIN)/lint-imports

fmt: $(STAMP)  ## Format the code
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

docs: $(STAMP)  ## Build the MkDocs site into site/
	$(BIN)/mkdocs build --strict

# Until the first release on PyPI, `pip install dist/dj_plaid-*.whl` installs dj-plaid
# (docs/installation.md). python -m build makes the sdist, then the wheel from it.
dist: $(STAMP)  ## Build the wheel and the sdist into dist/
	rm -rf dist
	$(BIN)/python -m build --outdir dist .
	@ls -l dist

clean:  ## Remove the virtualenv, caches and builds
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .import_linter_cache .coverage site dist build
