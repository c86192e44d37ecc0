# Safehands: two commands do everything on a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test test-sqlite test-postgres lint bench install clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/safehands setup --demo
	$(VENV)/bin/safehands serve

# The whole suite on SQLite; then, when SAFEHANDS_TEST_DATABASE_URL is set, every test that
# touches the database again on that PostgreSQL.
test: $(STAMP)
	env -u DATABASE_URL $(PY) -m pytest
	@if [ -n "$$SAFEHANDS_TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL ($$SAFEHANDS_TEST_DATABASE_URL) =="; \
		DATABASE_URL="$$SAFEHANDS_TEST_DATABASE_URL" $(PY) -m pytest --ignore=tests/spc; \
	fi

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

bench: $(STAMP)
	$(PY) bench/bench_spc.py

clean:
	rm -rf $(VENV) .static safehands.sqlite3 .pytest_cache
