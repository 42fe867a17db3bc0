# Every target makes its own virtual environment and installs what it needs.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
OUT ?= out

.PHONY: install run test lint bench clean eval-extract sample-warc

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
	$(VENV)/bin/ruff check pipeline filters dedup classifiers tests

# Each benchmark is its own script; a failing one does not hide the others' figures.
BENCHES ?= $(sort $(wildcard benchmarks/bench_*.py))

bench: $(STAMP)
	@status=0; for b in $(BENCHES); do echo "== $$b"; $(PY) $$b || status=1; done; exit $$status

# Extraction quality on ../shared/data/html/scrapinghub-aeb (token P/R/F1 beside trafilatura defaults).
eval-extract: $(STAMP)
	$(PY) evals/eval_extract.py

# Rebuild the bundled sample WARC (deterministic; committed).
sample-warc: $(STAMP)
	$(PY) sample/make_sample_warc.py

clean:
	rm -rf $(VENV) $(OUT) build *.egg-info
