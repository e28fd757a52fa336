# The two commands of the README: `make run` and `make test`. Both build .venv themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CONFIG ?= config.example.toml
PYTEST_ARGS ?=

.PHONY: run test install install-dev migrate bench clean-venv help

help:
	@echo "make run    - install, migrate and serve the demo archive (SQLite under ./var/)"
	@echo "make test   - install dev dependencies and run the whole test suite"
	@echo "make bench  - run the benchmarks in bench/ against ../shared/corpora"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "replyall needs Python 3.11 or newer (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(BIN)/replyall --config $(CONFIG) db upgrade

run: migrate
	@echo "replyall: SMTP on 127.0.0.1:2525, web on http://127.0.0.1:8000/ (Ctrl-C stops)"
	$(BIN)/replyall --config $(CONFIG) serve

test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Each benchmark prints ratios against a reference measured in the same run;
# docs/benchmarks.md records results and the exact commands (some take long).
CORPORA ?= ../shared/corpora
bench: install-dev
	$(BIN)/python bench/cleaning.py $(CORPORA)
	$(BIN)/python bench/thread_accuracy.py $(CORPORA)
	$(BIN)/python bench/intake.py $(CORPORA)/list-ksummit.mbox.gz
	$(BIN)/python bench/search.py $(CORPORA) --messages 100000
	$(BIN)/python bench/web.py $(CORPORA)

clean-venv:
	rm -rf $(VENV)
