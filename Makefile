# Everything a reporter or CI needs, from a machine with only Python 3.11+, make and git.
# `make help` lists the targets.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.DEFAULT_GOAL := help
.PHONY: help setup report report-hi screenshots clean-data test test-fast lint format lab lock bench

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-11s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: $(STAMP) ## Create .venv and install the pinned stack (constraints.txt)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	@touch $@

report: $(STAMP) ## Clean data/raw if it changed and render reports/ (index.html + one page per notebook)
	$(VENV)/bin/takedowns report

report-hi: $(STAMP) ## The same reports in Hindi, in reports/hi/
	$(VENV)/bin/takedowns report --lang hi --out reports/hi

screenshots: report report-hi ## Write a PNG of every page (English and Hindi, 1366 and 390 px wide) into docs/img/
	$(PY) docs/screenshots.py

lab: $(STAMP) ## Open the notebooks in JupyterLab with the project's environment as the kernel
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks

clean-data: $(STAMP) ## Only clean: data/raw -> data/processed
	$(VENV)/bin/takedowns clean

test: $(STAMP) lint ## Lint, then run the whole test suite
	$(PY) -m pytest

test-fast: $(STAMP) ## The tests not marked slow (no notebooks, browser or kill tests): under a minute
	$(PY) -m pytest -m "not slow"

lint: $(STAMP) ## ruff check and ruff format --check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP) ## Apply ruff's formatting and safe fixes
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

N ?= 20000
CHECKS ?= 2000000
bench: $(STAMP) ## Benchmarks (clean vs DuckDB, metrics, report, scale-out); N=2000000 CHECKS=50000000 for the real run
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev,bench]"
	$(PY) bench/run_all.py --rows $(N) --events $$(( $(N) * 5 )) --checks $(CHECKS)

lock: ## Re-resolve the newest allowed versions into constraints.txt
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --upgrade pip
	.lock-venv/bin/pip install --quiet -e ".[dev]"
	.lock-venv/bin/pip freeze --exclude-editable | grep -v '^-e' > constraints.txt
	rm -rf .lock-venv
