# Two commands on a fresh machine with Python 3.11 and make: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.requirements-installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test venv migrate demo lint format messages gettext bench bench-import bench-tools screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

venv: $(STAMP)

# The French catalogue: dealermine/locale/fr_CA/LC_MESSAGES/django.po is in the repo, its .mo is built here.
CATALOGUE := dealermine/locale/fr_CA/LC_MESSAGES/django
$(CATALOGUE).mo: $(CATALOGUE).po $(STAMP)
	$(BIN)/python scripts/messages.py compile

gettext:
	bash scripts/ensure-gettext.sh

# After marking new strings: re-extract them into django.po (translations kept), translate, `make test` checks it.
messages: venv gettext
	$(BIN)/python scripts/messages.py update
	$(BIN)/python scripts/messages.py compile

migrate: venv $(CATALOGUE).mo
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

test: venv gettext $(CATALOGUE).mo
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

format: venv
	$(BIN)/ruff format .

# Import / pages / outbox measured against the alternatives and the floor -> docs/PERFORMANCE.md, bench/results/.
# Needs PostgreSQL and Redis on 127.0.0.1. Default up to 10k customers; BENCH_SCALE=1000000 for the full run.
BENCH_STAMP := $(VENV)/.bench-requirements-installed

$(BENCH_STAMP): requirements-bench.txt $(STAMP)
	$(BIN)/python -m pip install --quiet -r requirements-bench.txt
	touch $(BENCH_STAMP)

bench-tools: $(BENCH_STAMP)
	@command -v wrk >/dev/null || apt-get install -y wrk || (apt-get update && apt-get install -y wrk)

bench: bench-tools
	$(BIN)/python bench/run.py

bench-import: bench-tools
	$(BIN)/python bench/run.py --only import

# PNGs of the main screens in English and French (NAME-fr.png) at 1280x800 into docs/screenshots/ (throwaway
# SQLite database, system Chromium); the French ones need the compiled catalogue.
screenshots: venv $(CATALOGUE).mo
	./scripts/ensure-browser.sh
	$(BIN)/python scripts/screenshots.py --out docs/screenshots

clean:
	rm -rf $(VENV) staticfiles var .pytest_cache
