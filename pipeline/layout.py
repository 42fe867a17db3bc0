"""Where a run's phases materialize their records, and how the next phase reads them back.

Every phase output is Parquet of `Record`s (the schema of `pipeline.record`) under `OUT/stages/<name>/`,
written by `WriteParquetShards`; a later phase (or a resumed run) reads it with `load_stage`.
"""
from __future__ import annotations

import apache_beam as beam

from pipeline.record import Record
from pipeline.stages import Funnel

# The categories a classified page can carry into the mix; anything else counts as text.
PAGE_CATEGORIES = ("code_web", "math_web", "text")


def stage_dir(output_dir: str, name: str) -> str:
    return f"{output_dir}/stages/{name}"


def stage_files(output_dir: str, name: str) -> str:
    return f"{stage_dir(output_dir, name)}/part-*.parquet"


def load_stage(p: beam.Pipeline, funnel: Funnel, pattern: str, stage: str) -> beam.PCollection:
    """The Records of the Parquet shards matching `pattern`, counted as funnel stage `stage` (in == out).

    Counting the reload lets the funnel show that what one phase wrote is what the next one read.
    """
    rows = p | f"Read[{stage}]" >> beam.io.ReadFromParquet(pattern)
    return funnel.apply(rows, stage, Record.from_row)
