# Two entry points (see README): `make demo` runs the pipeline, `make test` the tests.
# Each creates the virtual environment it needs on first use.

PYTHON ?= python3.11
VENV := .venv
CORE_VENV := .venv-evenet-core
BIN := $(CURDIR)/$(VENV)/bin
# torch first from its CPU build: any other torch spec pulls GBs of CUDA packages.
TORCH := torch==2.13.0

.PHONY: demo test install side-env clean-results

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet $(TORCH)
	$(VENV)/bin/pip install --quiet -e ".[test,slurm]"
	touch $@

# evenet-core (the EveNet authors' released model code) pins numpy 1.26.4 and
# shares our import name, so it lives in its own environment, used by the
# compatibility test and by `evenet bench model`.
side-env: $(CORE_VENV)/.installed

$(CORE_VENV)/.installed: envs/evenet-core-side.txt
	$(PYTHON) -m venv $(CORE_VENV)
	$(CORE_VENV)/bin/pip install --quiet --upgrade pip
	$(CORE_VENV)/bin/pip install --quiet $(TORCH)
	$(CORE_VENV)/bin/pip install --quiet -r envs/evenet-core-side.txt
	touch $@

demo: install
	PATH=$(BIN):$$PATH $(BIN)/snakemake --profile profiles/local all

test: install side-env
	PATH=$(BIN):$$PATH $(BIN)/pytest

clean-results:
	rm -rf results logs benchmarks .snakemake
