# Custom SDK worker image for Dataflow custom containers and Flink's DOCKER environment:
# Beam's Python SDK image + codecorpus + its dependencies, with Beam's own entrypoint (/opt/apache/beam/boot).
#
#   docker build -t REGISTRY/codecorpus-worker:0.1.0 .        # BEAM_VERSION must equal the launcher's Beam
#   docker push REGISTRY/codecorpus-worker:0.1.0
#   codecorpus run --runner-profile dataflow --sdk_container_image=REGISTRY/codecorpus-worker:0.1.0 ...
#   codecorpus run --runner-profile flink --environment_config=REGISTRY/codecorpus-worker:0.1.0 ...
#
# The launcher (where `codecorpus run` runs) must use the same Beam version and the same Python minor
# version as this image: the job graph holds cloudpickled functions.
ARG BEAM_VERSION=2.62.0
ARG PYTHON_VERSION=3.11

# Stage 1: the codecorpus wheel, built from this source tree (the same artifact `make wheel` builds). Beam's
# SDK image is python:<version>-bullseye, which has gcc: setup.py compiles the MinHash kernel (dedup/_minhash.c).
FROM apache/beam_python${PYTHON_VERSION}_sdk:${BEAM_VERSION} AS wheel
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY pipeline ./pipeline
COPY filters ./filters
COPY dedup ./dedup
COPY repos ./repos
COPY classifiers ./classifiers
COPY mixing ./mixing
COPY report ./report
COPY configs ./configs
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /dist .

# Stage 2: the worker image.
FROM apache/beam_python${PYTHON_VERSION}_sdk:${BEAM_VERSION}
ARG BEAM_VERSION
# git: repositories given as git URLs are cloned on the workers.
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/*
COPY --from=wheel /dist/ /tmp/dist/
# Naming Beam's exact version keeps pip from replacing the image's SDK with another release. The native
# dependencies (fastText, pyarrow, lxml, tokenizers, xxhash) install as manylinux wheels: no compiler needed.
RUN pip install --no-cache-dir /tmp/dist/codecorpus-*.whl "apache-beam[gcp]==${BEAM_VERSION}" \
    && rm -rf /tmp/dist \
    && python -c "import pipeline.build, pipeline.cli, filters.language, fasttext, trafilatura, datasketch, dedup._minhash"
# No ENTRYPOINT or CMD: the base image's /opt/apache/beam/boot starts the SDK harness.
