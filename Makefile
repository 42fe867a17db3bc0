# Every target makes its own virtual environment and installs what it needs.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
OUT ?= out

.PHONY: install run test lint bench bench-scale wheel clean

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
	$(VENV)/bin/ruff check pipeline filters dedup classifiers tests benchmarks

# Every benchmarks/bench_*.py is one benchmark script; each prints its own table.
bench: $(STAMP)
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

# The whole pipeline on the sample replicated 1x/4x/16x, in-process and multi_processing (README "Scaling").
bench-scale: $(STAMP)
	$(PY) benchmarks/bench_scale.py

# The wheel workers install with --extra_package (README "Shipping the package to workers").
wheel: $(STAMP)
	rm -rf build dist/codecorpus-*.whl  # a stale build/lib would put deleted modules in the wheel
	$(PY) -m pip wheel -q --no-deps --no-build-isolation --wheel-dir dist .
	@ls dist/codecorpus-*.whl

clean:
	rm -rf $(VENV) $(OUT) build dist *.egg-info
