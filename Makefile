# Two commands on a fresh machine with Python 3.11 and make: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.requirements-installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test venv migrate demo lint format bench bench-import screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

venv: $(STAMP)

migrate: venv
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py load_demo --if-empty

run: demo
	@echo ""
	@echo "  DealerMine is serving on http://$(HOST):$(PORT)/"
	@echo "  Demo logins (password = user name):"
	@echo "    coordinator     both demo stores (Maple Ridge Toyota, CA; Lakeside Honda, US)"
	@echo "    coordinator_us  Lakeside Honda (US) only"
	@echo "    admin           staff: Django admin at http://$(HOST):$(PORT)/admin/"
	@echo ""
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .

format: venv
	$(BIN)/ruff format .

# DMS import benchmark on SQLite and PostgreSQL (when reachable) -> docs/PERFORMANCE.md. Default 10k customers;
# BENCH_SCALE=10 for 100k, BENCH_SCALE=100 for 1M.
bench: bench-import

bench-import: venv
	$(BIN)/python bench/import_bench.py

# PNGs of demo Customer Profiles at 1280x800 into docs/screenshots/ (throwaway SQLite database, system Chromium).
screenshots: venv
	./scripts/ensure-browser.sh
	$(BIN)/python scripts/screenshots.py --out docs/screenshots

clean:
	rm -rf $(VENV) staticfiles var .pytest_cache
