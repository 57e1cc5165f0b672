# Two commands: `make run` (install, migrate, demo data, serve) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: run test install install-test sysdeps sysdeps-test translations db demo serve clean

run: install translations db demo serve

install: sysdeps $(BIN)/.installed
$(BIN)/.installed: setup.cfg setup.py
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON))"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

# System libraries WeasyPrint needs (Pango); installed only when missing.
sysdeps:
	@bash bin/ensure-system-packages runtime

translations: install
	$(BIN)/pybabel -q compile -d translations

db: install
	$(BIN)/flask db upgrade

demo: db
	$(BIN)/flask seed-demo --if-empty

serve: install
	HOST=$(HOST) PORT=$(PORT) bash bin/serve

install-test: install $(BIN)/.installed-test
$(BIN)/.installed-test: setup.cfg
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

sysdeps-test:
	@bash bin/ensure-system-packages test

test: install-test sysdeps-test translations
	@source bin/test-postgres && $(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance/*.sqlite* .pytest_cache
