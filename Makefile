# sohoa: `make run` starts the embedded stack, `make test` runs the whole suite.
# Both first install what is missing (Debian packages, then a .venv with the project) and
# skip what is already there, so a second run starts at once.

PYTHON ?= python3
VENV   := .venv
RUN_STAMP  := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test system-run system-test venv venv-test bench e2e clean

run: system-run venv
	$(VENV)/bin/sohoa run

test: system-test venv-test
	scripts/run-tests.sh

system-run:
	scripts/install-system.sh run

system-test:
	scripts/install-system.sh test

venv: $(RUN_STAMP)

venv-test: $(TEST_STAMP)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --upgrade pip

$(RUN_STAMP): pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/python -m pip install -q -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/python -m pip install -q -e '.[test]'
	touch $@ $(RUN_STAMP)

# Whole pipeline on sample scans (default: ../shared/samples): starts its own stack on free
# ports, uploads, checks every document is indexed and every name is found, and times the
# pipeline against plain `tesseract -l vie` with as many processes. SAMPLES=dir.
SAMPLES ?= ../shared/samples
bench: system-run venv
	$(VENV)/bin/python bench/e2e_samples.py --samples $(SAMPLES) --raw-tesseract

clean:
	rm -rf $(VENV) .pytest_cache
