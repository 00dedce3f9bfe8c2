# The README's two commands: `make app` and `make test`. Both install into .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
# The CPU build of torch: a plain `torch` requirement would pull gigabytes of CUDA packages.
TORCH ?= torch==2.13.0

.PHONY: install app test test-fast lint browser screenshots bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

app: install
	$(BIN)/rag app

lint: install
	$(BIN)/ruff check rag tests bench
	$(BIN)/ruff format --check rag tests bench

# The browser tests drive Debian's Chromium (Playwright's own browser download cannot run here).
browser:
	@test -x /usr/bin/chromium || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

test: lint browser
	$(BIN)/python -m pytest -q

# The fast tier for your own loop: no index builds, no app, no browser (about 15 s).
test-fast: install
	$(BIN)/python -m pytest -q -m "not slow"

# Refresh the README's pictures (the tests themselves never write into the checkout).
screenshots: install browser
	SCREENSHOT_DIR=docs $(BIN)/python -m pytest -q tests/test_browser.py tests/test_browser_beat.py

clean:
	rm -rf $(VENV) index/current index/builds
