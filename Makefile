# Asamblea: the two commands a fresh machine needs are `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/asamblea
# Test processes (pytest-xdist): the tests are independent, each process has its own database.
# --dist loadgroup: tests marked with one xdist_group run in one process (the tests that read the
# whole demo share one load of it: tests/integration/test_demo_federation.py); the rest as they come.
JOBS ?= 2
XDIST = -n $(JOBS) --dist loadgroup

.PHONY: demo test lint format bench crash-test install clean-venv test-sqlite test-postgres test-fast

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
	env -u DATABASE_URL $(BIN)/pytest $(XDIST)

# For developers, not CI: the suite on SQLite without the tests marked slow (over 5 CPU-seconds;
# the end of a run lists any unmarked one). `make test` runs everything.
test-fast: $(STAMP)
	@echo "== test suite on SQLite, without the slow tests =="
	env -u DATABASE_URL $(BIN)/pytest $(XDIST) -m "not slow"

# The PostgreSQL pass repeats only what can differ by database: tests/integration and tests/e2e
# (tests/unit is pure: no database), and of those, with ASAMBLEA_SECOND_DATABASE_PASS=1
# (tests/conftest.py), it skips, each with its reason printed:
# - tests that ask for no database (no django_db mark or database fixture: pytest-django refuses
#   them a connection; those that start a process give it its own SQLite file or need none:
#   --help, offline verification);
# - browser tests (mark `browser`): they test pages in Chromium (layout, JavaScript, axe-core).
#   Every page they visit is rendered on PostgreSQL here by the test client (the Spanish-page walk
#   samples the same pages as the phone-width walk; tests/integration/{web,elections,trustees,
#   console,registry,assemblies} post the same forms through the same views and actions).
test-postgres: $(STAMP)
	@if $(BIN)/python tools/pg_reachable.py "$(PG_URL)"; then \
		echo "== test suite on PostgreSQL ($(PG_URL)) =="; \
		DATABASE_URL="$(PG_URL)" ASAMBLEA_SECOND_DATABASE_PASS=1 \
			$(BIN)/pytest $(XDIST) tests/integration tests/e2e; \
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
