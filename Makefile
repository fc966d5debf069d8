# kfdoctor's developer entry points. `make demo` and `make test` are the README's quick start.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: demo test unit servers provision system-deps benchmarks clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install -q -e ".[test]"
	touch $@

## demo: install kfdoctor and diagnose the recorded broken job (exit 1 = problems found, as expected)
demo: $(VENV)/.installed
	$(VENV)/bin/kfdoctor demo || test $$? -eq 1

## test: install everything, provision the real servers (cached), run the whole test suite
test: $(VENV)/.installed-test system-deps
	$(PY) -m tests.servers provision
	$(PY) -m pytest

## unit: the tests that need no server
unit: $(VENV)/.installed-test
	$(PY) -m pytest tests/unit tests/checks

system-deps:
	bash scripts/install-system-deps.sh

provision: $(VENV)/.installed-test
	$(PY) -m tests.servers provision

## servers: start the real test servers for manual use (Ctrl-C stops them)
servers: $(VENV)/.installed-test
	$(PY) -m tests.servers up

benchmarks: $(VENV)/.installed-test
	for b in benchmarks/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) build dist *.egg-info test-artifacts
