"""Benchmark decontamination wired into Beam (the logic is `filters/decontaminate.py`).

The index is built inside the pipeline (benchmark files are read and hashed in parallel, then merged once)
and reaches every worker as a singleton side input: a few sorted uint64 arrays, ~12 bytes per benchmark
gram (~9 MB for HumanEval + MBPP + GSM8K + MATH test sets). Building it in the pipeline rather than in the
driver keeps it out of the job graph (Dataflow caps a graph at 10 MB) and lets benchmark files sit on gs://.

How it scales: a side input is broadcast once per worker, so its cost is memory, not shuffle. Up to tens of
millions of benchmark grams (hundreds of benchmarks) this is the cheapest plan. Past that, the keyed join is
the other design: key every document gram by hash and CoGroupByKey with the benchmark grams; it needs no
memory per worker but shuffles one element per document token, i.e. more than the corpus itself.
"""
from __future__ import annotations

import json
from collections.abc import Iterator

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from filters.decontaminate import (
    BenchmarkString,
    ContaminationIndex,
    benchmark_strings,
    read_benchmark_rows,
    string_grams,
)
from pipeline import layout
from pipeline.config import Config, ConfigError
from pipeline.record import Drop, Record
from pipeline.sinks import read_bytes
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


class BuildContaminationIndex(beam.PTransform):
    """Benchmark files -> one ContaminationIndex (a singleton PCollection, for `beam.pvalue.AsSingleton`)."""

    def __init__(self, config: Config):
        super().__init__()
        self.files = benchmark_files(config)
        d = config.decontamination
        self.gram_args = {
            "n": d.ngram, "min_exact_grams": d.min_exact_grams, "index_trivial_grams": d.index_trivial_grams
        }

    def expand(self, pbegin: beam.pvalue.PBegin) -> beam.PCollection:
        args, n = self.gram_args, self.gram_args["n"]
        return (
            pbegin
            | "BenchmarkFiles" >> beam.Create(self.files, reshuffle=False)
            | "BenchmarkStrings" >> beam.FlatMap(load_benchmark_file)
            | "SpreadStrings" >> beam.Reshuffle()
            | "HashGrams" >> beam.Map(lambda s: string_grams(s, **args))
            | "CollectGrams" >> beam.combiners.ToList()
            | "MergeIndex" >> beam.Map(lambda parts: ContaminationIndex.from_parts(parts, n=n))
        )


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

    Also writes `stats/decontamination.json` (the index: per benchmark items, strings, grams). Returns the
    kept records by category; unchanged when decontamination is off or lists no benchmark.
    """
    if not config.decontamination.enabled or not config.decontamination.benchmarks or not records_by_category:
        return records_by_category
    categories = sorted(records_by_category)
    pipeline = records_by_category[categories[0]].pipeline
    index = pipeline | "ContaminationIndex" >> BuildContaminationIndex(config)
    (
        index
        | "IndexSummary" >> beam.Map(lambda ix: json.dumps(ix.summary(), indent=1, sort_keys=True))
        | "WriteIndexSummary"
        >> beam.io.WriteToText(*layout.text_sink(output_dir, layout.DECONTAMINATION), shard_name_template="")
    )
    tagged = [tag_category(records_by_category[c], c, f"DecontamTag_{c}") for c in categories]
    records = tagged | "DecontamInputs" >> beam.Flatten()
    kept = funnel.apply(
        records, STAGE, contamination_step, side_inputs={"index": beam.pvalue.AsSingleton(index)}
    )
    parts = kept | "DecontamByCategory" >> beam.Partition(
        lambda r, n: categories.index(r.category), len(categories)
    )
    return {c: parts[i] for i, c in enumerate(categories)}
