"""Benchmark decontamination wired into Beam (the logic is `filters/decontaminate.py`).

The launcher builds the index once (benchmark files are small: the four test sets give ~760K grams in ~1 CPU-s)
and writes it to `stats/decontamination_index.bin` (~12 bytes per gram, ~9.5 MB for HumanEval + MBPP + GSM8K +
MATH); each worker loads that file once, in `setup()`. The file carries a key (a hash of the benchmark files'
bytes and the gram settings): a rerun or a resumed mix phase with the same benchmarks reuses it. Nothing of the
index goes through the job graph (Dataflow caps a graph at 10 MB) or a side input, and benchmark files may
sit on gs://.

How it scales: every worker holds the index, so its cost is memory, not shuffle. Up to tens of millions of
benchmark grams (hundreds of benchmarks) this is the cheapest plan. Past that, the keyed join is the other
design: key every document gram by hash and CoGroupByKey with the benchmark grams; it needs no memory per
worker but shuffles one element per document token, i.e. more than the corpus itself.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

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


def benchmark_files(config: Config) -> list[tuple[str, str, tuple, tuple, tuple, bool]]:
    """(name, path, fields, exact_fields, id_fields, require_all_fields) per file; a glob matching nothing
    is a configuration error raised before the pipeline starts."""
    out = []
    for i, bench in enumerate(config.decontamination.benchmarks):
        spec = bench.field_spec()
        for pattern in bench.paths:
            pattern = config.resolve(pattern)
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
    if FileSystems.exists(path):
        index, stored = ContaminationIndex.from_bytes(read_bytes(path))
        if stored == key:
            _write_summary(index, output_dir)
            return path
    d = config.decontamination
    strings = (s for entry in files for s in load_benchmark_file(entry))
    index = ContaminationIndex.build(
        strings, n=d.ngram, min_exact_grams=d.min_exact_grams, index_trivial_grams=d.index_trivial_grams
    )
    write_bytes(path, index.to_bytes(key))
    _write_summary(index, output_dir)
    return path


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
    records_by_category: dict[str, beam.PCollection], config: Config, funnel: Funnel, output_dir: str
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
