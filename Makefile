# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# uv installs in about 3 s what pip installs in about 35 (2 cores, a nearby package index):
# it is used when it is on the PATH, and pip otherwise.
UV := $(shell command -v uv 2>/dev/null)
ifdef UV
INSTALL := $(UV) pip install --quiet --python $(BIN)/python
else
INSTALL := $(BIN)/python -m pip install --quiet
endif

.PHONY: run test explore bench install clean

run: $(STAMP)
	$(BIN)/simulator compare configs/compare_policies.yaml --out results/compare_policies
	@# the validation suite and a reproduction check beside the results, for the report; a
	@# failed check fails `make run`, once the report that shows it is written
	$(BIN)/simulator check --quiet --out results/compare_policies; status=$$?; \
	$(BIN)/simulator reproduce results/compare_policies --check --no-progress || status=1; \
	$(BIN)/simulator report results/compare_policies && exit $$status

test: $(STAMP)
	@# the checks people use to help themselves: lint and types, so the hints stay true
	$(BIN)/ruff check simulator tests benchmarks
	$(BIN)/mypy
	@# pytest exits 5 when it collects no tests: that is a failure here, not a pass. The
	@# tests run in a process per core (pytest-xdist), a file's tests in one process, so that a
	@# module's expensive fixture is made once.
	$(BIN)/python -m pytest -n auto --dist loadfile; status=$$?; \
	if [ $$status -eq 5 ]; then echo "error: no tests were collected" >&2; exit 1; fi; \
	exit $$status
	@# the validation suite: what the model must show (validation/*.yaml)
	$(BIN)/simulator check --quiet --out results/checks

explore: $(STAMP)
	@# the shipped exploration: four policies across 256 futures (2-3 minutes on 2 cores)
	$(BIN)/simulator explore configs/explore_outreach.yaml --out results/explore_outreach
	$(BIN)/simulator report results/explore_outreach

bench: $(STAMP)
	@# timed runs, not tests: each script prints a table and writes benchmarks/results/*.json
	$(INSTALL) -e '.[bench]'
	for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

install: $(STAMP)

$(STAMP): pyproject.toml
ifdef UV
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(VENV)
else
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
endif
	$(INSTALL) -e '.[test]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) results .pytest_cache .hypothesis
