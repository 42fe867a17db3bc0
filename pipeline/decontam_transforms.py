"""Benchmark decontamination wired into Beam (the logic is `filters/decontaminate.py`).

The launcher builds the index once (benchmark files are small: the four test sets give ~760K grams in ~1 CPU-s)
and writes it to `stats/decontamination_index.bin` (~12 bytes per gram, ~9.5 MB for HumanEval + MBPP + GSM8K +
MATH); each worker loads that file once, in `setup()`. The file carries a key (a hash of the benchmark files'
bytes and the gram settings): a rerun or a resumed mix phase with the same benchmarks reuses it. Built indexes
are also kept in a cache folder of the launching machine (`$CODECORPUS_CACHE/decontamination`, default
~/.cache/codecorpus; CODECORPUS_CACHE=none turns it off), named by that key and a hash of the matching code
(filters/decontaminate.py and its confusables table), so a run into a new output folder copies the file instead
of paying the build (~0.5 CPU-s for the four test sets) as a fixed cost. Nothing of the index goes through the
job graph (Dataflow caps a graph at 10 MB) or a side input, and benchmark files may sit on gs://.

How it scales: every worker holds the index, so its cost is memory, not shuffle. Up to tens of millions of
benchmark grams (hundreds of benchmarks) this is the cheapest plan. Past that, the keyed join is the other
design: key every document gram by hash and CoGroupByKey with the benchmark grams; it needs no memory per
worker but shuffles one element per document token, i.e. more than the corpus itself.
"""
from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

import filters.decontaminate as decontaminate_module
from filters.decontaminate import (
    BenchmarkString,
    ContaminationIndex,
    benchmark_strings,
    read_benchmark_rows,
)
from pipeline import layout
from pipeline.config import Config, ConfigError
from pipeline.files import read_bytes, write_bytes, write_json
from pipeline.record import Drop, Record
from pipeline.stages import Funnel

STAGE = "decontaminate"
CACHE_ENV = "CODECORPUS_CACHE"

log = logging.getLogger(__name__)


def benchmark_files(config: Config) -> list[tuple[str, str, tuple, tuple, tuple, bool]]:
    """(name, path, fields, exact_fields, id_fields, require_all_fields) per file; a glob matching nothing
    is a configuration error raised before the pipeline starts."""
    out = []
    for i, bench in enumerate(config.decontamination.benchmarks):
        spec = bench.field_spec()
        for pattern in bench.paths:
            pattern = pattern.resolved
            matches = sorted(m.path for m in FileSystems.match([pattern])[0].metadata_list)
            if not matches:
                raise ConfigError(
                    f"config {config.source_file or '<dict>'}: decontamination.benchmarks.{i}.paths: "
                    f"{pattern} matches no file"
                )
            for path in matches:
                out.append(
                    (bench.name, path, spec.fields, spec.exact_fields, spec.id_fields, bench.fields is not None)
                )
    return out


def load_benchmark_file(entry: tuple) -> Iterator[BenchmarkString]:
    name, path, fields, exact_fields, id_fields, require_all = entry
    stem = path.rsplit("/", 1)[-1].split(".", 1)[0]
    rows = read_benchmark_rows(path, read_bytes=read_bytes)
    yield from benchmark_strings(
        name, rows, fields, exact_fields, id_fields,
        source=path, row_prefix=f"{stem}/", require_all_fields=require_all,
    )


INDEX_FILE = layout.DECONTAMINATION_INDEX
SUMMARY_FILE = layout.DECONTAMINATION


def index_key(config: Config, files: list[tuple]) -> str:
    """What an index is built from: the gram settings and each file's benchmark, fields and bytes (not its
    path, so moving the input folder changes no output byte)."""
    d = config.decontamination
    h = hashlib.sha256(json.dumps([d.ngram, d.min_exact_grams, d.index_trivial_grams]).encode())
    for name, path, fields, exact_fields, id_fields, require_all in files:
        stem = path.rsplit("/", 1)[-1].split(".", 1)[0]
        h.update(json.dumps([name, stem, fields, exact_fields, id_fields, require_all]).encode())
        h.update(hashlib.sha256(read_bytes(path)).digest())
    return h.hexdigest()


def write_index(config: Config, output_dir: str) -> str:
    """Build the index of the configured benchmarks into `<output>/INDEX_FILE` (kept when its key matches) and
    write its summary to `<output>/SUMMARY_FILE`; returns the index file's path."""
    files = benchmark_files(config)
    key = index_key(config, files)
    path = f"{output_dir}/{INDEX_FILE}"
    for source in (path, cached_index_path(key)):
        if source and FileSystems.exists(source):
            data = read_bytes(source)
            index, stored = ContaminationIndex.from_bytes(data)
            if stored == key:
                if source != path:
                    write_bytes(path, data)
                _write_summary(index, output_dir)
                return path
    d = config.decontamination
    strings = (s for entry in files for s in load_benchmark_file(entry))
    index = ContaminationIndex.build(
        strings, n=d.ngram, min_exact_grams=d.min_exact_grams, index_trivial_grams=d.index_trivial_grams
    )
    data = index.to_bytes(key)
    write_bytes(path, data)
    _keep_in_cache(key, data)
    _write_summary(index, output_dir)
    return path


@functools.cache
def _code_version() -> str:
    """A hash of the code that decides the index's content: a changed match form never reuses an old index."""
    module = Path(decontaminate_module.__file__)
    h = hashlib.sha256(module.read_bytes())
    h.update(module.with_name("confusables.tsv").read_bytes())
    return h.hexdigest()[:16]


def cached_index_path(key: str) -> str | None:
    """Where the launching machine keeps the index of `key` between runs, or None when the cache is off."""
    root = os.environ.get(CACHE_ENV, os.path.join(os.path.expanduser("~"), ".cache", "codecorpus"))
    if root in ("", "none"):
        return None
    return os.path.join(root, "decontamination", f"{key}-{_code_version()}.bin")


def _keep_in_cache(key: str, data: bytes) -> None:
    path = cached_index_path(key)
    if path is None:
        return
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        write_bytes(path, data)
    except OSError as err:  # a read-only or full home folder costs the next run a rebuild, nothing else
        log.warning("decontamination index not cached at %s: %s", path, err)


def _write_summary(index: ContaminationIndex, output_dir: str) -> None:
    write_json(f"{output_dir}/{SUMMARY_FILE}", index.summary())


class ContaminationStep:
    """Keep a record, or drop it as contaminated.<benchmark>, naming the benchmark item and the matched text.
    The index is read from its file once per worker, in `setup()`."""

    def __init__(self, index_path: str):
        self.index_path = index_path
        self.index: ContaminationIndex | None = None

    def setup(self) -> None:
        if self.index is None:
            self.index, _ = ContaminationIndex.from_bytes(read_bytes(self.index_path))

    def __getstate__(self) -> dict:
        return {"index_path": self.index_path, "index": None}  # workers load the file, never a pickle

    def __call__(self, record: Record) -> Record | Drop:
        self.setup()
        return contamination_step(record, self.index)


def contamination_step(record: Record, index: ContaminationIndex) -> Record | Drop:
    """Keep `record`, or drop it as contaminated.<benchmark>, naming the benchmark item and the matched text."""
    match = index.find(record.text)
    if match is None:
        return record
    return Drop(f"contaminated.{match.benchmark}", record.id, match.describe())


def tag_category(pcoll: beam.PCollection, category: str, label: str) -> beam.PCollection:
    """The records of `pcoll` with `category` set (the dict key they came under is authoritative)."""
    return pcoll | label >> beam.Map(lambda r, c=category: r if r.category == c else r.replace(category=c))


def decontaminate(
    records_by_category: dict[str, beam.PCollection], funnel: Funnel, config: Config, output_dir: str
) -> dict[str, beam.PCollection]:
    """Drop every record that contains benchmark text, as one funnel stage over all categories.

    Also writes `stats/decontamination.json` (the index: per benchmark items, strings, grams) and the index
    file the workers load (`INDEX_FILE`). Returns the
    kept records by category; unchanged when decontamination is off or lists no benchmark.
    """
    if not config.decontamination.enabled or not config.decontamination.benchmarks or not records_by_category:
        return records_by_category
    categories = sorted(records_by_category)
    step = ContaminationStep(write_index(config, output_dir))
    tagged = [tag_category(records_by_category[c], c, f"DecontamTag_{c}") for c in categories]
    records = tagged | "DecontamInputs" >> beam.Flatten()
    kept = funnel.apply(records, STAGE, step)
    parts = kept | "DecontamByCategory" >> beam.Partition(
        lambda r, n: categories.index(r.category), len(categories)
    )
    return {c: parts[i] for i, c in enumerate(categories)}
