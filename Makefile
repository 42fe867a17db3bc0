# Every target makes its own virtual environment and installs what it needs.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
OUT ?= out

.PHONY: install run test lint bench clean eval-classifier recall-sample

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

# Every benchmarks/bench_*.py, each its own script.
BENCHES := $(sort $(wildcard benchmarks/bench_*.py))
bench: $(STAMP)
	@for b in $(BENCHES); do echo "== $$b"; $(PY) $$b || exit 1; done

# Recall of code and math pages: BPE vs whitespace tokens on the generated sample (README).
eval-classifier: $(STAMP)
	$(PY) benchmarks/eval_recall_tokens.py --out $(OUT)

recall-sample: $(STAMP)
	$(PY) sample/recall/make_pages.py $(OUT)/sample-recall
	$(VENV)/bin/codecorpus recall --config configs/local.yaml --pages $(OUT)/sample-recall/pages.jsonl --output $(OUT)

clean:
	rm -rf $(VENV) $(OUT) build *.egg-info
