# Tongbao — `make run` (intranet + notifier on http://127.0.0.1:5000) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
WORKERS ?= 4
PORT ?= 5000
# three test processes on the 2-core machine (each with its own databases: tests/conftest.py): the
# tests that wait on servers and subprocesses leave a core idle with two (-n 2: 766 s, -n 3: 653 s)
PYTEST_ARGS ?= -n 3

CATALOG_SOURCES := $(wildcard intranet/translations/*/*.po)
CATALOGS := intranet/translations/.compiled/en/LC_MESSAGES/messages.mo

.PHONY: run test serve bench lint typecheck install install-test system-deps system-deps-test catalogs lock clean

run: install
	$(BIN)/tongbao db upgrade
	$(BIN)/tongbao demo --if-empty
	$(BIN)/python scripts/run.py --port $(PORT)

test: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

serve: install
	$(BIN)/tongbao db upgrade
	$(BIN)/gunicorn --workers $(WORKERS) --bind 127.0.0.1:$(PORT) --access-logfile - 'intranet:create_app()'

bench: install-test
	@scripts/system-deps.sh bench
	$(BIN)/python -m bench $(BENCH_ARGS)

lint: install-test
	$(BIN)/ruff check intranet notifier tests bench scripts migrations
	$(BIN)/ruff format --check intranet notifier || true

typecheck: install-test
	$(BIN)/mypy

system-deps:
	@scripts/system-deps.sh run

system-deps-test:
	@scripts/system-deps.sh test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# exact versions with hashes (requirements*.lock, from pyproject.toml by `make lock`); then the project
# itself, editable, with nothing more. A changed lock or pyproject.toml installs again.
$(VENV)/.installed: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-test: requirements-test.lock $(VENV)/.installed
	$(BIN)/pip install --quiet --require-hashes -r requirements-test.lock
	touch $@

# the English catalogue: every fragment merged and compiled (the app only reads the result)
$(CATALOGS): $(CATALOG_SOURCES) scripts/compile_catalogs.py $(VENV)/.installed
	$(BIN)/python scripts/compile_catalogs.py

catalogs: $(CATALOGS)

install: system-deps $(VENV)/.installed $(CATALOGS)

install-test: system-deps-test install $(VENV)/.installed-test

# Re-resolve the locks after editing pyproject.toml's pins (pip-tools in a throwaway venv, never in
# .venv). Unchanged pins keep their locked versions; LOCK_ARGS=--upgrade moves every unpinned
# dependency to its newest release, LOCK_ARGS='--upgrade-package NAME' only that one.
PIP_TOOLS := /tmp/tongbao-pip-tools
LOCK_OPTS := --quiet --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links $(LOCK_ARGS)

lock:
	test -x $(PIP_TOOLS)/bin/pip-compile || { $(PYTHON) -m venv $(PIP_TOOLS) && $(PIP_TOOLS)/bin/pip install --quiet pip-tools==7.7.0; }
	CUSTOM_COMPILE_COMMAND="make lock" $(PIP_TOOLS)/bin/pip-compile $(LOCK_OPTS) -o requirements.lock pyproject.toml
	CUSTOM_COMPILE_COMMAND="make lock" $(PIP_TOOLS)/bin/pip-compile $(LOCK_OPTS) --extra test -o requirements-test.lock pyproject.toml

clean:
	rm -rf $(VENV) intranet/translations/.compiled .pytest_cache
