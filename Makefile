# The README's two commands: `make demo` and `make test`. Both build .venv with pip first.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
DEMO_DB ?= $(CURDIR)/demo/pledgewatch.duckdb
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false

.PHONY: demo test install dev lint clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev,dask]'  # dask: tests/test_dask.py (prefect-dask, pure Python)
	touch $@

install: $(VENV)/.installed

dev: $(VENV)/.installed-dev

demo: install
	@mkdir -p $(dir $(DEMO_DB))
	$(BIN)/pledgewatch run --db $(DEMO_DB)
	@# Every week's report (the run wrote the latest): HTML + Markdown in demo/reports/, with index.html.
	$(BIN)/pledgewatch report --db $(DEMO_DB) --format both --from $$($(BIN)/pledgewatch sql --db $(DEMO_DB) --format csv "SELECT min(week) FROM tagged_articles" | tail -1) > /dev/null
	@echo "Report: $(dir $(DEMO_DB))reports/index.html (every week; open it in a browser)"
	@echo "Database: $(DEMO_DB)  (try: $(BIN)/pledgewatch sql --db $(DEMO_DB) 'SELECT * FROM weekly_option_share ORDER BY week DESC, option_id LIMIT 8')"

lint: dev
	$(BIN)/ruff check models extractors storage reports flows tests
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

clean:
	rm -rf $(VENV) demo .pytest_cache .mypy_cache .ruff_cache
