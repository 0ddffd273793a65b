# The README's commands. Each one sets up what it needs on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/portal
REDIS_URL_SERVICES ?= redis://127.0.0.1:6379/0

.PHONY: install demo test test-services bench lint

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

## Run the portal with demo data on SQLite (WAL) and eager Celery at http://127.0.0.1:8000
demo: install
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py create_demo_users
	$(BIN)/python manage.py load_demo_data
	$(BIN)/python manage.py runserver 127.0.0.1:8000

## The whole suite on SQLite (tests that need PostgreSQL, Redis, a worker or Chromium are deselected)
test: install
	$(BIN)/pytest -m "not services"

## The same suite on PostgreSQL and Redis, with a real Celery worker and headless Chromium
test-services: install
	PORTAL_SERVICES=1 DATABASE_URL=$(POSTGRES_URL) REDIS_URL=$(REDIS_URL_SERVICES) $(BIN)/pytest

## Benchmarks: tables with ratios against plain baselines measured in the same run
bench: install
	$(BIN)/python -m benchmarks

lint: install
	$(BIN)/ruff check .
