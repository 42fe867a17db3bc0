# Every target makes its own virtual environment and installs what it needs.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
OUT ?= out

.PHONY: install run test lint bench eval-dedup clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/codecorpus run --config configs/local.yaml --output $(OUT)

test: $(STAMP)
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check pipeline filters dedup classifiers tests benchmarks evals

# Every benchmarks/bench_*.py, each run as a module from the repository root.
bench: $(STAMP)
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(PY) -m benchmarks.$$(basename $$f .py) || exit 1; done

# Near-dedup precision/recall on planted near-duplicates, ours and datasketch.MinHashLSH (a few minutes).
eval-dedup: $(STAMP)
	$(PY) -m evals.eval_dedup

clean:
	rm -rf $(VENV) $(OUT) build *.egg-info
