# Two commands matter: `make run` (the bot; the console without TELEGRAM_BOT_TOKEN) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench clean system-deps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the project's metadata changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/python -m bot

# The public directory's tests need Debian's Chromium (driven by Playwright; no browser download) and
# poppler-utils (pdftoppm/pdftotext read the poster back). Installed from the distribution when missing.
system-deps:
	@if ! command -v chromium >/dev/null || ! command -v pdftoppm >/dev/null; then \
		SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO="sudo"; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium poppler-utils; \
	fi

test: $(VENV)/.installed-test system-deps
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	PTB_TIMEDELTA=1 NO_PROXY=127.0.0.1,localhost $(BIN)/python -m pytest

# aiogram is floor (d) of the benchmark only: installed into the venv here, never a project dependency.
bench: $(VENV)/.installed-test
	$(BIN)/python -m pip install --quiet 'aiogram>=3,<4'
	PTB_TIMEDELTA=1 NO_PROXY=127.0.0.1,localhost $(BIN)/python -m bench
	NO_PROXY=127.0.0.1,localhost $(BIN)/python -m bench.web --write
	NO_PROXY=127.0.0.1,localhost $(BIN)/python -m bench.zalo --write
	$(BIN)/python -m bench.ingest --write
	$(BIN)/python -m bench.alerts --write

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
