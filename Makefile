# Safehands: two commands do everything on a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench load install clean messages sbom

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,load]'
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

# ruff, the layer contracts, and deptry: product code may import only what a plain
# `pip install safehands` brings (no dev extra).
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/deptry src

# Every benchmark prints its measured figures beside its target. They run in their own venv
# with a plain `pip install .` (no extras, not editable), so the figures are what users get;
# it is rebuilt when pyproject.toml or any file under src/ changes.
BENCH_VENV := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed
$(BENCH_STAMP): pyproject.toml $(shell find src -type f -not -name '*.pyc' 2>/dev/null)
	@test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet --force-reinstall --no-deps .
	$(BENCH_VENV)/bin/python -m pip install --quiet .
	@touch $(BENCH_STAMP)

# Deep API fuzzing runs here too (the suite runs it small): it needs the test tools, so it
# uses the dev venv, on the same code.
FUZZ_EXAMPLES ?= 200
bench: $(BENCH_STAMP) $(STAMP)
	@cd bench && ../$(BENCH_VENV)/bin/python _plain_install.py
	@set -e; cd bench && for script in bench_*.py; do echo "== bench/$$script =="; \
		../$(BENCH_VENV)/bin/python $$script; done
	@echo "== API fuzzing: $(FUZZ_EXAMPLES) examples per operation and role =="
	env -u DATABASE_URL SAFEHANDS_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest -q \
		-p no:randomly tests/security/test_api_fuzz.py

# Load test on PostgreSQL (docs/operations.md#load): a fresh database with the demo and a
# synthetic nation, gunicorn with 2 x cores + 1 workers, locust headless for LOAD_TIME (2m);
# prints p50/p95/p99, requests/s and errors beside the targets, fails when one is missed.
# LOAD_USERS, LOAD_WORKERS, LOAD_PG and more: see load/run.sh.
load: $(STAMP)
	VENV=$(VENV) bash load/run.sh

# The software bill of materials (CycloneDX 1.6 JSON) of what `pip install safehands` brings:
# built from the plain-install venv of the benchmarks, so dev tools are not in it.
SBOM := dist/safehands-sbom.cdx.json
sbom: $(BENCH_STAMP) $(STAMP)
	@mkdir -p dist
	$(VENV)/bin/cyclonedx-py environment --pyproject pyproject.toml --of JSON \
		--output-reproducible -o $(SBOM) $(BENCH_VENV)/bin/python
	@echo "wrote $(SBOM)"

clean:
	rm -rf $(VENV) $(BENCH_VENV) .static safehands.sqlite3 .pytest_cache

# Refresh the Norwegian message catalogues after changing UI strings, then translate the
# new entries in the .po files and run this again to compile them.
messages: $(STAMP)
	cd src/safehands && DJANGO_SETTINGS_MODULE=safehands.settings ../../$(PY) -m django \
		makemessages -l nb --ignore 'catalogue/*' --ignore 'spc/*' --ignore 'cli/*' --no-location
	cd src/safehands/catalogue && DJANGO_SETTINGS_MODULE=safehands.settings ../../../$(PY) -m django \
		makemessages -l nb --no-location
	for po in $$(find src -path '*/locale/nb/LC_MESSAGES/django.po'); do \
		msgfmt -o $${po%.po}.mo $$po; done
