# sohoa: `make run` starts the embedded stack, `make test` runs the whole suite.
# Both first install what is missing (Debian packages, then a .venv with the project) and
# skip what is already there, so a second run starts at once.

PYTHON ?= python3
VENV   := .venv
RUN_STAMP  := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test fuzz system-run system-test venv venv-test opensearch-node bench e2e clean

run: system-run venv
	$(VENV)/bin/sohoa run

test: system-test venv-test opensearch-node
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

# The real OpenSearch node the tests start: its jars from Maven Central into .cache/m2 and the
# launcher into .cache/opensearch-node, once; a no-op while tests/opensearch_node is unchanged.
opensearch-node: system-test venv-test
	$(VENV)/bin/python -m tests.opensearch_node build

# Whole pipeline on sample scans (default: ../shared/samples): starts its own stack on free
# ports, uploads, checks every document is indexed and every name is found, and times the
# pipeline against plain `tesseract -l vie` with as many processes. SAMPLES=dir.
SAMPLES ?= ../shared/samples
bench: system-run venv
	$(VENV)/bin/python -m bench.e2e_samples --samples $(SAMPLES) --raw-tesseract

# Schemathesis over the whole OpenAPI spec of a throwaway stack, FUZZ_SECONDS (default 300)
# of budget; reports in var/fuzz/. Not part of `make test` (it is a search, not a check).
FUZZ_SECONDS ?= 300
fuzz: system-test venv-test
	$(VENV)/bin/python -m pip install -q -e '.[test,fuzz]'
	FUZZ_SECONDS=$(FUZZ_SECONDS) $(VENV)/bin/python scripts/fuzz.py

clean:
	rm -rf $(VENV) .pytest_cache
