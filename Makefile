# claimbot: `make demo` runs the pipeline on the bundled sample feeds; `make test` runs the test suite.
# Both create the virtual environment (.venv) from the pinned constraints.txt when it is missing.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export PIP_CONSTRAINT := $(CURDIR)/constraints.txt
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install demo test test-fast lint bench-match bench-ingest bench-fanout lock clean

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "claimbot needs Python 3.11 or newer: run make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/claimbot demo

test: $(STAMP)
	$(BIN)/pytest

test-fast: $(STAMP)  # the edit loop: all but the subprocess crash/outage tests (CI runs everything)
	$(BIN)/pytest -m "not slow"

lint: $(STAMP)  # what CI checks before the tests; mypy covers tests/, testkit/ and bench/ too (pyproject.toml)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench-match: $(STAMP)
	$(BIN)/python -m bench.match_bench $(ARGS)

bench-ingest: $(STAMP)
	$(BIN)/python -m bench.ingest_bench $(ARGS)

bench-fanout: $(STAMP)
	$(BIN)/python -m bench.fanout_bench $(ARGS)

lock: $(STAMP)
	@echo "# Pinned versions for every install (runtime, dev and build). Regenerate with \`make lock\`." > constraints.txt
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^-e' >> constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache dist build
