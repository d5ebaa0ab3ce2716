# autograde: the two commands a fresh machine needs are `make serve` and `make test`.
# Every target creates and uses .venv/ at the repository root.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Type-checked with mypy --strict: every package of the project's code.
TYPED  := core worker api client launch

.PHONY: serve test test-fast lint bench setup system-deps clean

# Install the Python environment (torch pinned to the CPU wheel pip finds on disk).
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

# System packages the sandbox needs (bubblewrap); only attempted as root, skipped when present.
system-deps:
	@sh scripts/system-deps.sh

setup: system-deps $(STAMP)

# Start the whole service on the embedded default (SQLite + local queue).
serve: setup
	$(BIN)/autograde serve

# Run the whole test suite: import contracts, mypy --strict, then pytest. Integration tests
# use this machine's PostgreSQL/Redis when reachable; under CI=true they must be reachable.
# TEST_WORKERS pytest-xdist processes share the tests by work unit (a module, or a whole
# serial folder; tests/conftest.py `pytest_xdist_make_scheduler`); 0 runs one process.
TEST_WORKERS ?= 2
test: setup
	$(BIN)/lint-imports
	$(BIN)/mypy --strict $(TYPED)
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS)

# Everything but the slow tests, for the edit-test loop.
test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy --strict $(TYPED)
	$(BIN)/lint-imports

bench: setup
	$(BIN)/python bench/standings.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
