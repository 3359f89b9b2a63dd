# posescore: `make demo` installs and scores sample_videos/; `make test` installs and runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_OUT ?= demo_out

.PHONY: install demo test test-fast lint bench train clean

$(BIN)/posescore: pyproject.toml
	@$(PYTHON) -c 'import sys; v=sys.version_info[:2]; sys.exit(0 if (3,9)<=v<=(3,12) else "posescore needs Python 3.9-3.12 (mediapipe 0.10.21); set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(BIN)/posescore

demo: install
	$(BIN)/posescore batch sample_videos --out $(DEMO_OUT)

test: install
	$(BIN)/python -m pytest -q

test-fast: install
	$(BIN)/python -m pytest -q -m "not slow"

lint: install
	$(BIN)/ruff check posescore api tests bench

bench: install
	$(BIN)/python bench/bench_stages.py

train: install
	$(BIN)/posescore train-phantom --out models/default.skops

clean:
	rm -rf $(DEMO_OUT) .pytest_cache
