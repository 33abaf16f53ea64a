# Two commands for a fresh machine: `make run` and `make test`.
# Each makes its own virtualenv in .venv (override with VENV=path).
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app blogapp
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install install-test lint bench docs screenshots clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/activate
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/activate
	$(BIN)/pip install --quiet -e '.[test,docs]'

## Install, create or update the SQLite database, load demo content, serve on :5000.
## Without SECRET_KEY, the first flask command makes a random one in instance/secret_key
## (mode 0600, git-ignored) and every later run uses it; none of this is a deployment key.
run: install
	$(FLASK) db upgrade
	$(FLASK) demo
	$(FLASK) run --host $(HOST) --port $(PORT)

## Install, lint, and run the whole test suite (and again on PostgreSQL when
## BLOGAPP_TEST_DATABASE_URL names a server).
test: install-test
	BIN=$(BIN) bash scripts/test

## Build a large database, drive gunicorn with wrk, print the table (bench-results/latest.md).
## Pass options with BENCH_ARGS, e.g. BENCH_ARGS="--seconds 10 --reuse-db".
bench: $(BIN)/activate
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

## The manual (mkdocs.yml, docs/), served with live reload on http://127.0.0.1:8000/.
docs: install-test
	$(BIN)/mkdocs serve

## The manual's screenshots (docs/screenshots/), made by the browser journeys that reach
## those pages, at 1280 and 360 px (mouse runs only). Needs Debian's chromium.
SHOT_JOURNEYS := reader_journey authoring_journey comment_journey editors_desk_journey \
	phone_writing_and_translations_journey mail_journey
screenshots: install-test
	BLOGAPP_DOCS_SCREENSHOTS=$(CURDIR)/docs/screenshots $(BIN)/python -m pytest -q -m browser \
		-k "not keyboard" $(SHOT_JOURNEYS:%=tests/browser/test_%.py)

lint: install-test
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts
