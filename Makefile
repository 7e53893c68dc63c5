# Two entry points (see README): `make demo` runs the pipeline, `make test` the tests.
# Each creates the virtual environment it needs on first use.

PYTHON ?= python3.11
VENV := .venv
CORE_VENV := .venv-evenet-core
SPANET_VENV := .venv-spanet
BIN := $(CURDIR)/$(VENV)/bin
# torch first from its CPU build: any other torch spec pulls GBs of CUDA packages.
TORCH := torch==2.13.0

.PHONY: demo test install side-env spanet-env clean-results

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

# SPANet 2.1.1 (the H -> aa -> 4b baseline, issue 11) pins numpy < 1.24 and
# pytorch-lightning 1.9.5, so it lives in its own environment too: the haa rules train
# it there (analyses/haa/spanet_train.py) and tests/haa read our export with its dataset class.
spanet-env: $(SPANET_VENV)/.installed

$(SPANET_VENV)/.installed: envs/spanet-side.txt
	$(PYTHON) -m venv $(SPANET_VENV)
	$(SPANET_VENV)/bin/pip install --quiet --upgrade pip
	$(SPANET_VENV)/bin/pip install --quiet $(TORCH)
	$(SPANET_VENV)/bin/pip install --quiet -r envs/spanet-side.txt
	$(SPANET_VENV)/bin/pip install --quiet "setuptools<70"
	touch $@

# Last step: the results report (figures, tables, captions per analysis; opens offline).
demo: install spanet-env
	PATH=$(BIN):$$PATH $(BIN)/snakemake --profile profiles/local all
	PATH=$(BIN):$$PATH $(BIN)/snakemake --profile profiles/local all --report results/report.zip
	@echo "Report: $(CURDIR)/results/report.zip (unzip it and open report/report.html in a browser)"

test: install side-env spanet-env
	PATH=$(BIN):$$PATH $(BIN)/pytest

clean-results:
	rm -rf results logs benchmarks .snakemake
