# Two commands for a fresh machine: `make run` and `make test`.
# Each makes its own virtualenv in .venv (override with VENV=path).
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app blogapp
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install install-test lint bench clean translations

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/activate
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/activate
	$(BIN)/pip install --quiet -e '.[test]'

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

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts
