# One-command tasks. `make run` starts the demo app; `make test` lints, then runs every test.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: setup run test test-fast lint browser bench clean-demo

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

# The embedded default: data/encompass.duckdb, demo data when it is empty, mail to data/outbox/.
run: setup
	$(BIN)/encompass demo --if-empty --example
	$(BIN)/streamlit run app.py --server.port $(PORT) --server.address 0.0.0.0

# The whole suite, as CI runs it: lint first, then every test including the browser ones.
test: setup browser lint
	$(BIN)/python -m pytest

# Quick local runs: everything but the browser tests (CI still runs them).
test-fast: setup lint
	$(BIN)/python -m pytest -m "not browser"

# ruff with the small rule set in pyproject.toml.
lint: setup
	$(BIN)/ruff check .

# Browser tests drive Debian's Chromium (Playwright's own browser download does not work here).
browser:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	  else echo "Browser tests need Debian's chromium: sudo apt-get install -y chromium" >&2; exit 1; fi; }

# Every benchmark; the national-size demo they share is built once into bench/out/ (about two minutes).
bench: setup
	$(BIN)/python bench/daily.py --runs 7
	$(BIN)/python bench/statistics_page.py --runs 5
	$(BIN)/python bench/import_sheet.py --runs 9
	$(BIN)/python bench/send_smtp.py --runs 5

clean-demo:
	rm -f data/encompass.duckdb data/encompass.duckdb.wal
	rm -rf data/demo data/outbox
