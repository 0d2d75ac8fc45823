# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_RECORD ?= examples/len-refractory-after-one-line.json

.PHONY: setup demo test lint typecheck unit contract bench clean lock

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

demo: setup
	$(BIN)/rrmm plan $(DEMO_RECORD)

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: setup
	$(BIN)/mypy

# The suite runs the persistence tests on SQLite and on a throwaway PostgreSQL (scripts/postgres.sh installs
# and starts it from Debian's packages), the browser tests in Debian's Chromium (scripts/chromium.sh) and
# the Spark tests on Debian's Java runtime (scripts/java.sh);
# where either cannot be had, the tests that need it are skipped and say why.
unit: setup
	@pg="$$(bash scripts/postgres.sh)" || { pg=""; echo "make: PostgreSQL unavailable (reason above): its tests are skipped" >&2; }; \
	bash scripts/chromium.sh || echo "make: Chromium unavailable (reason above): the browser tests are skipped" >&2; \
	bash scripts/java.sh || echo "make: Java unavailable (reason above): the Spark tests are skipped" >&2; \
	RRMM_TEST_POSTGRES_URL="$$pg" $(BIN)/python -m pytest -q

contract: setup
	@if [ -f ../shared/checks/plan_contract.py ]; then $(BIN)/python ../shared/checks/plan_contract.py; \
	else echo "contract check skipped: ../shared/checks/plan_contract.py is not beside this clone"; fi

test: lint typecheck unit contract

bench: setup
	$(BIN)/python bench/plan_throughput.py
	$(BIN)/python bench/trials_bench.py
	$(BIN)/python bench/fhir_bench.py
	$(BIN)/python bench/serve_bench.py

# Regenerate the lock file after changing dependencies in pyproject.toml.
lock:
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra spark -o requirements.lock --python-version 3.11

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
