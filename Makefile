# The two set-up commands of the README: `make demo` (the main job) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-all bench clean

# A virtualenv with chainrule (editable) and its test and report extras.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,reports]'
	touch $(STAMP)

# ../shared/data when it is there; otherwise chainrule finds or fetches the data itself.
DATA_DIR ?= $(wildcard ../shared/data/mnist)
DEMO_ARGS ?= C2

# The main job: lab C2, the C2 CNN against the C1 MLP on MNIST, 10 epochs each (about 2 min).
demo: $(STAMP)
	$(BIN)/chainrule lab run $(DEMO_ARGS) $(if $(DATA_DIR),--data-dir $(DATA_DIR)) --out runs/demo

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

test-all: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q -m ''

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) runs .pytest_cache .hypothesis
