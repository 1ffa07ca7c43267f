# The two commands of the README: `make demo` and `make test`. Only python3 (3.11+) and make needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test install install-test browsers clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e tests/plugins/example_vendor
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## make demo: embedded SQLite database, the 2021 ruleset and the sandbox city, served on :8000
demo: install
	$(BIN)/xuewei demo --host 127.0.0.1 --port 8000

## make test: the whole suite (PostgreSQL tests run where XUEWEI_TEST_POSTGRES_URL is set)
test: install-test browsers
	$(BIN)/python -m pytest

## Debian's chromium (and a CJK font for readable screenshots) for the browser tests;
## Playwright's own browser download does not work here
browsers:
	@{ command -v chromium >/dev/null && fc-list 2>/dev/null | grep -qi wqy; } || { [ "$$(id -u)" = 0 ] \
	  && { apt-get update -qq && apt-get install -y -qq chromium fonts-wqy-microhei; } \
	  || echo "chromium is missing and this is not root: browser tests will skip (apt-get install chromium)"; }

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis test-artifacts
