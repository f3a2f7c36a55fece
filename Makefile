# Two commands do all set-up on a fresh Debian machine with Python 3.11:
#   make demo   - runs the main job on the built-in example pipeline and shows its result
#   make test   - installs what the tests need (Python packages, Chromium, PostgreSQL) and runs them
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
EXTRAS ?= test

.PHONY: demo test lint bench install install-test system-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install -q -e .

demo: install
	$(BIN)/flowgraph demo

install-test: $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[$(EXTRAS)]'

system-deps:
	bash .ci/system-deps

test: install-test system-deps
	$(BIN)/python -m pytest -q

lint: install-test
	$(BIN)/ruff check flowgraph scanners render tests bench
	$(BIN)/ruff format --check flowgraph scanners render tests bench
	$(BIN)/mypy

bench: install-test
	for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info flowgraph-demo
