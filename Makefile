# Asamblea: the two commands a fresh machine needs are `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/asamblea
# Test processes (pytest-xdist): the tests are independent, each process has its own database.
JOBS ?= 2

.PHONY: demo test lint format bench crash-test install clean-venv test-sqlite test-postgres

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/asamblea migrate
	$(BIN)/asamblea demo
	ASAMBLEA_DEBUG=1 $(BIN)/asamblea serve --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench tools
	$(BIN)/ruff format --check src tests bench tools
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

format: $(STAMP)
	$(BIN)/ruff format src tests bench tools
	$(BIN)/ruff check --fix src tests bench tools

# The whole suite on SQLite, then again on PostgreSQL when a server answers (with CI=true a
# missing server is a failure, not a skip).
test: lint test-sqlite test-postgres

test-sqlite: $(STAMP)
	@echo "== test suite on SQLite =="
	env -u DATABASE_URL $(BIN)/pytest -n $(JOBS)

test-postgres: $(STAMP)
	@if $(BIN)/python tools/pg_reachable.py "$(PG_URL)"; then \
		echo "== test suite on PostgreSQL ($(PG_URL)) =="; \
		DATABASE_URL="$(PG_URL)" $(BIN)/pytest -n $(JOBS) tests/integration tests/e2e; \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL at $(PG_URL) is unreachable and CI=true: failing." >&2; exit 1; \
	else \
		echo "== PostgreSQL at $(PG_URL) unreachable: suite NOT run on PostgreSQL (set CI=true to fail instead) =="; \
	fi

# make bench BENCH="counting record" runs only those (bench/bench_<name>.py).
bench: $(STAMP)
	$(BIN)/python bench/run_all.py $(BENCH)

# Not part of `make test`: a PostgreSQL cluster of its own (port 55432), the production server,
# 1,200 voters, 5 worker kills and 5 database crashes, then the offline check (docs/operations.md).
# Negative runs: CRASH_ARGS=--unsafe-async-commit or CRASH_ARGS=--drop-one-ballot-constraint.
crash-test: $(STAMP)
	$(BIN)/python bench/crash/run.py $(CRASH_ARGS)

clean-venv:
	rm -rf $(VENV)
