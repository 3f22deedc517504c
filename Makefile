# querylang: `make demo` and `make test` are all the set-up a fresh machine needs (python3, make).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install test lint types unit demo bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,serve]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check querylang tests benchmarks examples

types: $(STAMP)
	$(BIN)/mypy --strict querylang benchmarks examples/make_examples.py

unit: $(STAMP)
	$(BIN)/pytest

test: lint types unit

demo: $(STAMP)
	$(BIN)/querylang format 'type[$$in]=Text%20Contact&send_at[$$gte]=2019-01-01T11:00:00Z&campaign_name[$$like]=%New%&$$sort[send_at]=-1&$$limit=10'
	$(BIN)/querylang parse 'type[$$in]=Text%20Contact&send_at[$$gte]=2019-01-01T11:00:00Z&campaign_name[$$like]=%New%&$$sort[send_at]=-1&$$limit=10'

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_parse.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
