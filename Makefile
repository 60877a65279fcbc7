# The two commands of the README:
#   make run    set up and start the app on the embedded data (http://localhost:8501)
#   make test   set up and run every check CI runs (lint, data validation, unit/app/browser tests, notebooks)
PYTHON ?= python3
PIP := $(PYTHON) -m pip

.PHONY: run test setup setup-test browser postgres lint validate pytest bench

setup:
	$(PIP) install -q -e .

run: setup
	$(PYTHON) -m streamlit run app.py

setup-test:
	$(PIP) install -q -e '.[test]'

# Debian's Chromium for the browser tests (Playwright's own browser download does not work offline), and
# an emoji font so the screenshots in test-artifacts/ show the icons as phones do.
browser:
	@{ command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "color emoji"; } || { \
	  if [ "$$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi; \
	  $$sudo apt-get update -qq && $$sudo apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null; }

# Debian's PostgreSQL for the corrections tests (they start a throwaway server on 127.0.0.1).
postgres:
	@command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq postgresql >/dev/null; fi; }

lint:
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .

validate:
	$(PYTHON) -m finder.cli validate data/offices.csv

pytest:
	$(PYTHON) -m pytest -q

test: setup-test browser postgres lint validate pytest

bench:
	$(PYTHON) benchmarks/bench_search.py
	$(PYTHON) benchmarks/bench_locate.py
	$(PYTHON) benchmarks/bench_coverage.py
	$(PYTHON) benchmarks/bench_cli.py
	$(PYTHON) benchmarks/bench_import.py
	$(PYTHON) benchmarks/bench_language_reach.py
