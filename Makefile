# The two commands of the README:
#   make run    set up and start the app on the embedded data (http://localhost:8501)
#   make test   set up and run every check CI runs (lint, data validation, unit/app/browser tests, notebooks)
PYTHON ?= python3
PIP := $(PYTHON) -m pip

.PHONY: run test setup setup-test browser postgres nginx lint validate pytest bench bench-load serve serve-stop

# make serve: nginx in front of SERVE_PROCESSES app processes at http://127.0.0.1:SERVE_PORT/ (deploy/).
SERVE_PORT ?= 8080
SERVE_PROCESSES ?= 2

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

# Debian's nginx (and its brotli module) for `make serve` and the deployment tests; its own service is not
# started by this (the stack runs nginx as the current user with a private prefix).
nginx:
	@{ command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; } && \
	  { [ -e /usr/lib/nginx/modules/ngx_http_brotli_filter_module.so ] || ! apt-cache show libnginx-mod-http-brotli-filter >/dev/null 2>&1; } || { \
	  if [ "$$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi; \
	  $$sudo apt-get update -qq && $$sudo apt-get install -y -qq nginx >/dev/null && \
	  { $$sudo apt-get install -y -qq libnginx-mod-http-brotli-filter >/dev/null 2>&1 || echo "nginx: brotli module not installable, gzip only"; }; }

serve: setup nginx
	$(PIP) install -q -e '.[serve]'
	$(PYTHON) -m deploy.serve run --port $(SERVE_PORT) --processes $(SERVE_PROCESSES) $(if $(SERVE_ENV_FILE),--env-file $(SERVE_ENV_FILE)) $(if $(SERVE_SECRETS),--secrets $(SERVE_SECRETS))

serve-stop:
	$(PYTHON) -m deploy.serve stop

lint:
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .

validate:
	$(PYTHON) -m finder.cli validate data/offices.csv

pytest:
	$(PYTHON) -m pytest -q

test: setup-test browser postgres nginx lint validate pytest

bench:
	$(PYTHON) benchmarks/bench_search.py
	$(PYTHON) benchmarks/bench_locate.py
	$(PYTHON) benchmarks/bench_coverage.py
	$(PYTHON) benchmarks/bench_cli.py
	$(PYTHON) benchmarks/bench_import.py
	$(PYTHON) benchmarks/bench_language_reach.py
	$(PYTHON) benchmarks/bench_page_cpu.py
	$(PYTHON) benchmarks/bench_outreach.py

# Concurrent visitors (1, 10, 25, 50) against one app process, then against nginx + 2 processes (deploy/):
# several minutes, and it uses both cores.
bench-load: setup-test nginx
	$(PYTHON) benchmarks/bench_load.py
	$(PYTHON) benchmarks/bench_load.py --stack 2
