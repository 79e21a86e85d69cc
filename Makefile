# patrolgrid: `make run` sets everything up and starts the demo; `make test` runs every check.

# The first interpreter that really runs (pyenv shims may exist without one) and is 3.11+.
PYTHON ?= $(shell for p in python3.11 python3.12 python3.13 python3; do \
            $$p -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null && { echo $$p; break; }; \
          done)
VENV := .venv
BIN := $(VENV)/bin
STATIC := src/patrolgrid/static/index.html
WEB_SOURCES := $(shell find web/src web/index.html web/m web/public web/vite.config.ts \
                 web/tsconfig*.json -type f 2>/dev/null)
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test setup web lint types pytest webtest e2e chromium ffmpeg bench clean

run: setup web  ## set up everything and start the demo console at http://127.0.0.1:8000
	$(BIN)/patrolgrid demo

setup: $(VENV)/.installed web/node_modules/.installed ffmpeg

$(VENV)/.installed: pyproject.toml constraints.txt
	@test -n "$(PYTHON)" || { echo "patrolgrid needs Python 3.11 or newer"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

web/node_modules/.installed: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

web: $(STATIC)

$(STATIC): web/node_modules/.installed $(WEB_SOURCES)
	cd web && npm run build

test: lint types pytest webtest e2e  ## every check CI runs

lint: $(VENV)/.installed
	$(BIN)/ruff check src tests $(wildcard bench)
	$(BIN)/ruff format --check src tests $(wildcard bench)

types: $(VENV)/.installed
	$(BIN)/mypy

pytest: $(VENV)/.installed ffmpeg
	$(BIN)/pytest -m "not e2e" -v --durations=10

webtest: web/node_modules/.installed
	cd web && npm run build && npm test

e2e: $(VENV)/.installed chromium ffmpeg web
	$(BIN)/pytest -m e2e -v

bench: $(VENV)/.installed  ## benchmarks; results go to bench/RESULTS.md (not part of make test)
	$(BIN)/python bench/routing.py
	$(BIN)/python bench/grids.py
	$(BIN)/python bench/dispatch.py
	$(BIN)/python bench/tracking.py
	$(BIN)/python bench/sos.py
	$(BIN)/python bench/presence.py

chromium:  ## Debian's Chromium for the browser tests (Playwright cannot download browsers here)
	@test -x $(CHROMIUM) || ($(SUDO) apt-get update && \
	  $(SUDO) apt-get install -y --no-install-recommends chromium fonts-noto-cjk)

ffmpeg:  ## Debian's ffmpeg: the demo cameras' clips are generated with it at set-up
	@command -v ffmpeg >/dev/null || ($(SUDO) apt-get update && \
	  $(SUDO) apt-get install -y --no-install-recommends ffmpeg fonts-noto-cjk)

clean:
	rm -rf $(VENV) web/node_modules src/patrolgrid/static var test-results
