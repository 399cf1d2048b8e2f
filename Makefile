# Tableside. Needs only Python 3.11+ and make: uv is installed from PyPI when missing.
PYTHON ?= python3
# `uv` when it is on PATH, otherwise the copy pip installs (runnable as `python -m uv`).
UV = $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
PORT ?= 8000

.PHONY: demo test serve migrate worker lint typecheck contracts check bench install

install:
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 || \
		$(PYTHON) -m pip install --quiet --user uv || $(PYTHON) -m pip install --quiet uv
	@$(UV) sync --frozen --quiet

demo: install
	$(UV) run --frozen tableside demo --port $(PORT)

serve: install
	$(UV) run --frozen tableside serve --port $(PORT)

migrate: install
	$(UV) run --frozen tableside migrate

worker: install
	$(UV) run --frozen tableside worker

test: install
	$(UV) run --frozen pytest -n 2 --dist loadfile -q

lint: install
	$(UV) run --frozen ruff format --check src tests benchmarks migrations
	$(UV) run --frozen ruff check src tests benchmarks migrations

typecheck: install
	$(UV) run --frozen mypy

contracts: install
	$(UV) run --frozen lint-imports

check: test lint typecheck contracts

bench: install
	$(UV) run --frozen python benchmarks/auth_me.py
	$(UV) run --frozen python benchmarks/menu_import.py
	$(UV) run --frozen python benchmarks/orders.py
	$(UV) run --frozen python benchmarks/ingest.py
	$(UV) run --frozen python benchmarks/aggregate.py
	$(UV) run --frozen --extra prophet python benchmarks/forecast.py
