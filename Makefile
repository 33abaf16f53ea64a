# Two commands for a fresh machine: `make run` and `make test`.
# Each makes its own virtualenv in .venv (override with VENV=path).
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app blogapp
HOST ?= 127.0.0.1
PORT ?= 5000

# Installs come only from the locks in requirements/ (every package pinned, with hashes):
# main.txt for the site, dev.txt for the site with the test, docs and bench tools.
# pyproject.toml says what we need; `make lock` turns that into the locks.
LOCK_MAIN := requirements/main.txt
LOCK_DEV := requirements/dev.txt
PIP_LOCKED := $(BIN)/pip install --quiet --require-hashes
UV_COMPILE := $(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes --no-strip-extras

.PHONY: run test install install-test lint bench docs screenshots clean lock translations

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

# blogapp itself goes in last, with no resolving and no build downloads of its own.
install: $(BIN)/activate
	$(PIP_LOCKED) -r $(LOCK_MAIN)
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .

install-test: $(BIN)/activate
	$(PIP_LOCKED) -r $(LOCK_DEV)
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .

## Refresh the locks from pyproject.toml, keeping every pin that still fits.
## One package: make lock UPGRADE="--upgrade-package flask"; all: make lock UPGRADE=--upgrade
## dev.txt is solved first and main.txt inside it, so the site runs what the tests ran.
lock: $(BIN)/activate
	$(PIP_LOCKED) -r requirements/tools.txt
	$(UV_COMPILE) $(UPGRADE) -o $(LOCK_DEV) pyproject.toml requirements/build.in \
		--extra test --extra docs --extra bench
	$(UV_COMPILE) $(UPGRADE) -o $(LOCK_MAIN) pyproject.toml requirements/build.in -c $(LOCK_DEV)
	grep -o '"lxml[^"]*"' pyproject.toml | tr -d '"' \
		| $(UV_COMPILE) --resolution lowest -o requirements/lxml-oldest.txt -
	$(UV_COMPILE) $(UPGRADE) -o requirements/tools.txt requirements/tools.in

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
bench: install-test
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

## The manual (mkdocs.yml, docs/), served with live reload on http://127.0.0.1:8000/.
docs: install-test
	$(BIN)/mkdocs serve

## The manual's screenshots (docs/screenshots/), made by the browser journeys that reach
## those pages, at 1280 and 360 px (mouse runs only). Needs Debian's chromium.
SHOT_JOURNEYS := reader_journey authoring_journey comment_journey editors_desk_journey \
	phone_writing_and_translations_journey mail_journey sharing_journey pen_name_journey \
	writers_desk_journey stats_journey
screenshots: install-test
	BLOGAPP_DOCS_SCREENSHOTS=$(CURDIR)/docs/screenshots $(BIN)/python -m pytest -q -m browser \
		-k "not keyboard" $(SHOT_JOURNEYS:%=tests/browser/test_%.py)

## Extract the interface's strings (babel.cfg), merge them into each language's catalog
## (blogapp/translations/<lang>/LC_MESSAGES/messages.po) and compile the .mo files,
## which are committed. Translate the new or fuzzy entries, then run it again.
translations: install
	$(BIN)/pybabel extract --mapping-file babel.cfg --keywords N_ --keywords _l \
		--no-location --sort-output --project blogapp --output-file blogapp/translations/messages.pot .
	$(BIN)/pybabel update --input-file blogapp/translations/messages.pot \
		--output-dir blogapp/translations --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile --directory blogapp/translations --statistics

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts
