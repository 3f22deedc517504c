# querylang: `make demo` and `make test` are all the set-up a fresh machine needs (python3, make).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install test test-spark lint types unit demo bench clean screenshot terminals

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,serve,fast,sql,duckdb,postgres]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check querylang tests benchmarks examples docs

types: $(STAMP)
	$(BIN)/mypy --strict querylang benchmarks examples/make_examples.py docs/make_screenshot.py

unit: $(STAMP)
	$(BIN)/pytest

test: lint types unit

# Spark in local mode (Java 17; pyspark is a large download, so `make test` leaves it out).
test-spark: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[spark]'
	QUERYLANG_SPARK=1 PYSPARK_PYTHON=$(abspath $(BIN)/python) $(BIN)/pytest tests/spark

# After editing grammar/querylang.lark: save its terminal patterns beside it, so that valid
# queries are read without building Lark's parser (a test fails until they are saved again).
terminals: $(STAMP)
	$(BIN)/python -c 'import json; from querylang.text.params import derive_terminals, terminals_path; \
		terminals_path().write_text(json.dumps(derive_terminals(), indent=2) + "\n", encoding="utf-8")'

# The README's picture of the playground (docs/playground.png), in Debian's chromium with its
# chromium-driver, as the browser tests use them.
screenshot: $(STAMP)
	$(BIN)/python docs/make_screenshot.py docs/playground.png

# The main job on the bundled export: completed text messages since 2020, newest first, with
# who completed them (from examples/users.json), as a table.
DEMO_QUERY := is_active=false&type[$$in][]=Text%20Contact&send_at[$$gte]=2020-01-01&$$sort[send_at]=-1&$$limit=5&$$select[]=id&$$select[]=send_at&$$select[]=campaign_name&$$select[]=completed_at&$$load=completing_user

demo: $(STAMP)
	$(BIN)/querylang check '$(DEMO_QUERY)'
	$(BIN)/querylang find '$(DEMO_QUERY)' examples/campaign-communications.jsonl --users examples/users.json --format table

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_parse.py
	$(BIN)/python benchmarks/bench_find.py
	$(BIN)/python benchmarks/bench_compile.py
	$(BIN)/python benchmarks/bench_sql.py
	$(BIN)/python benchmarks/bench_check.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
