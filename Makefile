# bulletguard developer tasks. `make run` and `make test` set up .venv on first use.
.DEFAULT_GOAL := help
.PHONY: help venv llama-rebuild system-deps run test bench load eval

VENV := .venv
BIN := $(VENV)/bin
# Re-run pip only when pyproject.toml changed since the last successful install.
STAMP := $(VENV)/.installed
# The core (guard, repair, coach) compiled by mypyc (scripts/build_native.py), rebuilt when one of its modules
# changes; service/_native.py uses it only while it matches the sources (else the Python reading runs).
NATIVE := $(VENV)/bulletguard-native/stamp.json

help:
	@echo "make run    - set up .venv and start the service with the bundled local model"
	@echo "make test   - set up .venv, then lint (ruff), type-check (mypy) and test (pytest)"
	@echo "make bench  - run the guard benchmark (evals/bench_guard.py)"
	@echo "make load   - load-test /v1/verify and /v1/rewrite against a bare echo endpoint (evals/load.py)"
	@echo "make eval   - run the eval suite on the bundled local model (report in eval-out/)"
	@echo "make venv   - create/refresh .venv with the dev and local extras"
	@echo "make llama-rebuild - rebuild llama-cpp-python (portable flags) into .venv, ignoring cached builds"

venv: $(STAMP) $(NATIVE)

# llama-cpp-python comes first, built portably (no -march=native, no AVX-512/AMX) and cached by its flags:
# scripts/llama-cpp.sh says why. pip then finds it installed and never builds it again itself.
$(STAMP): pyproject.toml scripts/llama-cpp.sh
	python3 -m venv $(VENV)
	scripts/llama-cpp.sh install $(BIN)/python
	$(BIN)/python -m pip install -e '.[dev,local]'
	touch $(STAMP)

$(NATIVE): $(STAMP) $(wildcard service/guard/*.py service/repair/*.py service/coach/*.py) service/_native.py scripts/build_native.py
	$(BIN)/python scripts/build_native.py || echo "make: the core was not compiled; it runs its Python reading (slower, same verdicts)"

llama-rebuild: venv
	scripts/llama-cpp.sh rebuild $(BIN)/python

run: venv
	$(BIN)/bulletguard serve --with-local-model

system-deps:
	scripts/system-deps.sh

test: venv system-deps
	$(BIN)/ruff check service tests
	$(BIN)/ruff format --check service tests
	$(BIN)/mypy
	$(BIN)/python -m pytest

bench: venv
	$(BIN)/python evals/bench_guard.py

load: venv
	$(BIN)/python evals/load.py

eval: venv
	$(BIN)/bulletguard eval
