# sohoa: `make run` starts the embedded stack, `make test` runs the whole suite.
# Both install what is missing first (Debian packages, then a .venv with the project).

PYTHON ?= python3
VENV   := .venv
STAMP  := $(VENV)/.installed

.PHONY: run test system-run system-test venv bench clean

run: system-run venv
	$(VENV)/bin/sohoa run

test: system-test venv
	scripts/run-tests.sh

system-run:
	scripts/install-system.sh run

system-test:
	scripts/install-system.sh test

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) .pytest_cache
