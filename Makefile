# The two commands: `make run` and `make test`. Each sets up .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test lint typecheck pytest server screenshots clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[server,dev]"
	@rm -f $(VENV)/.installed-* && touch $@

# The desktop app on its embedded local server (SQLite in the user data dir, demo data on first run).
run: $(STAMP)
	$(BIN)/apptdesk --local

# The API server alone, with demo data, on http://127.0.0.1:8765 (for curl or a remote client).
server: $(STAMP)
	$(BIN)/apptdesk-server seed-demo
	$(BIN)/apptdesk-server run

# Render the main screens offscreen into docs/screenshots/.
screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen PYTHONPATH=. $(BIN)/python scripts/screenshots.py docs/screenshots

test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
