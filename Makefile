# Two commands from a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# the runtime alone (enough for the demo), and the dev tools on top (for the tests)
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: demo demo-auto test lint bench docs-chart clean

$(RUNTIME_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(RUNTIME_STAMP)

$(DEV_STAMP): $(RUNTIME_STAMP)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(DEV_STAMP)

demo: $(RUNTIME_STAMP)
	$(BIN)/rapport demo

demo-auto: $(RUNTIME_STAMP)
	$(BIN)/rapport demo --auto

test: $(DEV_STAMP)
	$(BIN)/ruff check bot tests bench
	$(BIN)/mypy
	$(BIN)/pytest -q

lint: $(DEV_STAMP)
	$(BIN)/ruff check bot tests bench
	$(BIN)/rapport questions lint

# the README's example chart, drawn from made-up figures (bench/stats_chart.py)
docs-chart: $(RUNTIME_STAMP)
	$(BIN)/python -m bench.stats_chart --runs 1 --out docs/stats-example.png

clean:
	rm -rf $(VENV) data/*.db
