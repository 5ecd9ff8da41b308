# Everything runs from a local virtualenv built from the hash-pinned lock files.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run install test test-sqlite lint bench eval lock container-check clean

$(VENV)/.installed: requirements-dev.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements-dev.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

install: $(VENV)/.installed

## run: set up, migrate ./data/corpus.db, ingest seeds/, serve on http://$(HOST):$(PORT) (docs at /docs)
run: install
	$(BIN)/corpus migrate
	$(BIN)/corpus ingest seeds/
	$(BIN)/corpus serve --host $(HOST) --port $(PORT)

## test: lint, type-check and run the whole test suite, on SQLite and on a throwaway local
## PostgreSQL server (.ci/with-postgres; Debian's postgresql is installed when missing)
test: install lint
	bash .ci/with-postgres $(BIN)/pytest

## test-sqlite: the same on SQLite alone (the PostgreSQL half is skipped), no server needed
test-sqlite: install lint
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## bench: our API beside Datasette, the FTS5 floor and the framework ceiling (docs/benchmarks.md)
## flags in BENCH_ARGS (e.g. BENCH_ARGS="--quick --db path/to/corpus.db"); SOAK=600 soaks instead
bench: install
	$(BIN)/python -m bench $(if $(SOAK),--soak $(SOAK)) $(BENCH_ARGS)

## eval: score extraction against eval/gold/ beside textacy (output kept in docs/extraction.md)
eval: install
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements-eval.lock
	$(BIN)/python eval/evaluate.py

## lock: re-resolve the pinned dependencies (needs network access to PyPI)
lock: install
	$(BIN)/pip install --quiet uv==0.13.9
	$(BIN)/uv pip compile pyproject.toml --generate-hashes --python-version 3.11 -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements-dev.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra eval --generate-hashes --python-version 3.11 -o requirements-eval.lock

## container-check: build the Dockerfile and run the image (needs root and podman)
container-check:
	bash ../shared/tools/container-check.sh .

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
